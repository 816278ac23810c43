/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return
   -- juggler models, instances and rows are dynamic; the tests turn these rules off the same way */
/*
 * A five-minute tour of loopback-connector-mysql-ts through loopback-datasource-juggler:
 *
 *   npm run demo                                         # root@127.0.0.1:3306, database lbts_demo
 *   MYSQL_URL=mysql://user:pass@host:3306/db npm run demo
 *
 * It creates its own database, migrates two related models, writes, queries, upserts, runs two transactions,
 * prints what happened, then drops the database.
 */
import * as connector from '../src';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306/lbts_demo';
const URL_TEXT = process.env.MYSQL_URL || DEFAULT_URL;

/** Errors meaning "there is no usable server", answered with one line instead of a stack trace. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR, ER_DBACCESS_DENIED_ERROR... */
const DENIED = /^ER_(DB)?ACCESS_DENIED/;

/** The URL without its password, for messages. */
function safeUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return text;
  }
}

function errorCode(err: unknown): string | undefined {
  const e = err as {code?: unknown; errors?: unknown[]};
  if (typeof e?.code === 'string') return e.code;
  // Node reports "localhost" that resolves to ::1 and 127.0.0.1 as an AggregateError.
  if (Array.isArray(e?.errors)) return errorCode(e.errors[0]);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

function heading(text: string): void {
  console.log(`\n== ${text} ${'='.repeat(Math.max(0, 74 - text.length))}`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}

/** Prints rows (model instances or plain objects) as an aligned table. */
function table(rows: any[], columns?: string[]): void {
  const data: Record<string, unknown>[] = rows.map((r) =>
    typeof r?.toJSON === 'function' ? r.toJSON() : r,
  );
  const cols = columns ?? [...new Set(data.flatMap((r) => Object.keys(r)))];
  if (data.length === 0) {
    console.log('  (no rows)');
    return;
  }
  const widths = cols.map((c) => Math.max(c.length, ...data.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    '  ' +
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  console.log(line(cols));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('-+-'));
  for (const r of data) console.log(line(cols.map((c) => cell(r[c]))));
}

/** Prints one JSON line per row, indented. */
function jsonLines(rows: any[]): void {
  for (const r of rows) console.log('  ' + JSON.stringify(r?.toJSON ? r.toJSON() : r));
}

function note(text: string): void {
  console.log(`  -> ${text}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The tour

async function tour(ds: any): Promise<void> {
  const Author = ds.define('Author', {
    id: {type: Number, id: true, generated: true},
    name: {type: String, required: true},
    country: String,
  });
  const Book = ds.define(
    'Book',
    {
      id: {type: Number, id: true, generated: true},
      title: {type: String, required: true},
      year: Number,
      price: {type: Number, mysql: {dataType: 'decimal', dataPrecision: 6, dataScale: 2}},
      authorId: Number,
    },
    {indexes: {book_author: {keys: {authorId: 1}}}},
  );
  Author.hasMany(Book, {as: 'books', foreignKey: 'authorId'});
  Book.belongsTo(Author, {as: 'author', foreignKey: 'authorId'});

  heading('Migrate');
  await ds.automigrate(['Author', 'Book']);
  const [server] = await ds.connector.execute('SELECT VERSION() AS version', [], {});
  note(`server ${server.version}: tables Author and Book created`);

  heading('Create: create() and createAll()');
  const leGuin = await Author.create({name: 'Ursula K. Le Guin', country: 'US'});
  const [lem, tolkien, jemisin] = await Author.createAll([
    {name: 'Stanisław Lem', country: 'PL'},
    {name: 'J. R. R. Tolkien', country: 'GB'},
    {name: 'N. K. Jemisin', country: 'US'},
  ]);
  await Book.createAll([
    {title: 'A Wizard of Earthsea', year: 1968, price: 9.99, authorId: leGuin.id},
    {title: 'The Left Hand of Darkness', year: 1969, price: 12.5, authorId: leGuin.id},
    {title: 'The Dispossessed', year: 1974, price: 11.0, authorId: leGuin.id},
    {title: 'Solaris', year: 1961, price: 10.25, authorId: lem.id},
    {title: 'The Cyberiad', year: 1965, price: 8.75, authorId: lem.id},
    {title: 'The Hobbit', year: 1937, price: 7.99, authorId: tolkien.id},
    {title: 'The Fifth Season', year: 2015, price: 14.0, authorId: jemisin.id},
  ]);
  table(await Author.find({order: 'id ASC'}));
  note(`${await Book.count()} books inserted with one multi-row INSERT`);

  heading('where {year: {gt: 1965}}, order year DESC, limit 3, fields');
  table(
    await Book.find({
      where: {year: {gt: 1965}},
      order: 'year DESC',
      limit: 3,
      fields: ['title', 'year'],
    }),
    ['title', 'year'],
  );

  heading('where {country: {inq: ["PL", "GB"]}}');
  table(await Author.find({where: {country: {inq: ['PL', 'GB']}}, order: 'name ASC'}));

  heading("where {title: {like: 'The %'}} and {title: {ilike: '%OF%'}}");
  const like = await Book.find({where: {title: {like: 'The %'}}, order: 'title ASC'});
  const ilike = await Book.find({where: {title: {ilike: '%OF%'}}, order: 'title ASC'});
  note(`like 'The %' : ${like.map((b: any) => b.title).join(', ')}`);
  note(`ilike '%OF%' : ${ilike.map((b: any) => b.title).join(', ')}  (case-insensitive)`);

  heading('include: Author hasMany books');
  const withBooks = await Author.find({
    where: {country: 'US'},
    order: 'name ASC',
    include: {relation: 'books', scope: {fields: ['title', 'year'], order: 'year ASC'}},
  });
  jsonLines(withBooks);

  heading('include: Book belongsTo author');
  const withAuthor = await Book.find({
    where: {year: {lt: 1966}},
    order: 'year ASC',
    include: 'author',
  });
  table(
    withAuthor.map((b: any) => ({title: b.title, year: b.year, author: b.author()?.name})),
    ['title', 'year', 'author'],
  );

  heading('Upsert: updateOrCreate (isNewInstance from an "after save" hook)');
  const seen: {title: string; isNewInstance: boolean}[] = [];
  Book.observe('after save', (ctx: any) => {
    seen.push({title: ctx.instance?.title, isNewInstance: ctx.isNewInstance});
    return Promise.resolve();
  });
  const hobbit = await Book.findOne({where: {title: 'The Hobbit'}});
  await Book.updateOrCreate({id: hobbit.id, title: 'The Hobbit', year: 1937, price: 9.5});
  await Book.updateOrCreate({
    title: 'The Silmarillion',
    year: 1977,
    price: 13.0,
    authorId: tolkien.id,
  });
  Book.clearObservers('after save');
  table(seen, ['title', 'isNewInstance']);
  table(await Book.find({where: {authorId: tolkien.id}, order: 'year ASC'}), [
    'id',
    'title',
    'price',
  ]);

  heading('Transactions: one committed, one rolled back');
  const before = await Book.count();
  const tx1 = await Book.beginTransaction({isolationLevel: 'READ COMMITTED'});
  await Book.create(
    {title: 'The Lathe of Heaven', year: 1971, authorId: leGuin.id},
    {transaction: tx1},
  );
  await tx1.commit();
  note(`committed: 'The Lathe of Heaven' -> books ${before} -> ${await Book.count()}`);

  const tx2 = await Book.beginTransaction({isolationLevel: 'READ COMMITTED'});
  await Book.create({title: 'Never Published', year: 2099, authorId: lem.id}, {transaction: tx2});
  const inside = await Book.count({}, {transaction: tx2});
  await tx2.rollback();
  const after = await Book.count();
  const ghost = await Book.findOne({where: {title: 'Never Published'}});
  note(
    `rolled back: 'Never Published' -> books ${inside} inside the transaction, ${after} after rollback`,
  );
  note(`findOne({title: 'Never Published'}) after rollback: ${JSON.stringify(ghost)}`);

  heading('Counts per author (raw SQL through the connector)');
  table(
    await ds.connector.execute(
      'SELECT a.name, COUNT(b.id) AS books FROM Author a LEFT JOIN Book b ON b.authorId = a.id ' +
        'WHERE a.country = ? GROUP BY a.id, a.name ORDER BY books DESC, a.name',
      ['US'],
      {},
    ),
  );
}

async function main(): Promise<number> {
  const ds = new DataSource(connector, {
    url: URL_TEXT,
    database: 'lbts_demo', // used when MYSQL_URL names no database; the URL's wins otherwise
    createDatabase: true,
    lazyConnect: true,
    connectTimeout: 5000,
    connectionLimit: 4,
  });
  // juggler emits 'error' on a failed connect; the awaited connect() below reports it.
  ds.on('error', () => undefined);

  try {
    await ds.connect();
  } catch (err) {
    const code = errorCode(err) ?? '';
    const hint =
      'start one with `docker compose up -d`, or point MYSQL_URL at yours, e.g. ' +
      'MYSQL_URL=mysql://user:password@host:3306/lbts_demo npm run demo';
    if (UNREACHABLE.has(code) || DENIED.test(code)) {
      const problem = DENIED.test(code) ? 'Access denied by the' : 'Cannot reach a';
      console.error(`${problem} MySQL/MariaDB server at ${safeUrl(URL_TEXT)} (${code}): ${hint}`);
      await ds.disconnect().catch(() => undefined);
      return 1;
    }
    throw err;
  }

  const [{db}] = await ds.connector.execute('SELECT DATABASE() AS db', [], {});
  console.log(`Connected to ${safeUrl(URL_TEXT)} (database ${db})`);
  try {
    await tour(ds);
  } finally {
    await ds.connector.execute(
      `DROP DATABASE IF EXISTS \`${String(db).replace(/`/g, '``')}\``,
      [],
      {},
    );
    await ds.disconnect();
    console.log(`\nDropped database ${db}. Done.`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
