/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access,
   @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return
   -- juggler models, instances and rows are dynamic; the tests turn these rules off the same way */
/*
 * A five-minute tour of loopback-connector-mysql-ts through loopback-datasource-juggler:
 *
 *   npm run demo                                             # root@127.0.0.1:3306, no password
 *   MYSQL_URL=mysql://user:password@host:3306 npm run demo   # another server
 *
 * Your databases are safe. The demo creates a new database with a fresh name, lbts_demo_<8 hex digits>, on the
 * server MYSQL_URL points at, works only in it, and drops only that database: at the end, and also when it is
 * interrupted (Ctrl-C, SIGTERM: it then exits 130 or 143) or fails midway. A database named in MYSQL_URL
 * (mysql://.../shop) is neither used nor touched; the demo says so. Its user needs the right to create and drop
 * a database.
 *
 * It migrates two related models, writes, queries, upserts, runs two transactions and prints what happened. When it
 * cannot use the server (none listens, the credentials are refused, MYSQL_URL is not a URL...), it says why and
 * what to do in one line, and exits 1.
 *
 * For test/integration/first-hour.test.ts only: LBTS_DEMO_STOP=pause makes the demo wait inside an open
 * transaction (after a line saying so), LBTS_DEMO_STOP=throw makes it fail there.
 */
import {randomBytes} from 'node:crypto';
import * as connector from '../src';
import {
  type FailureContext,
  errorCode,
  explainServerFailure,
  parseServerUrl,
  UsageError,
} from '../test/helpers/server-failure';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const DEFAULT_URL = 'mysql://root@127.0.0.1:3306';
/** How shells report a process ended by a signal. */
const SIGNAL_EXIT_CODES: Readonly<Partial<Record<NodeJS.Signals, number>>> = {
  SIGINT: 130,
  SIGTERM: 143,
};

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

/** The tests' way to interrupt the demo at a known point, inside an open transaction (see the top of the file). */
async function testStop(): Promise<void> {
  const stop = process.env.LBTS_DEMO_STOP;
  if (stop === 'throw') throw new Error('LBTS_DEMO_STOP=throw: failing inside an open transaction');
  if (stop === 'pause') {
    console.log('  (LBTS_DEMO_STOP=pause: waiting inside an open transaction)');
    await new Promise(() => setInterval(() => undefined, 60000));
  }
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
  await testStop();
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

// ---------------------------------------------------------------------------------------------------------------
// The demo's own database

/** One run of the demo: the database it creates, and the two data sources it uses. */
interface Run {
  /** lbts_demo_<8 hex digits>: the only database this run creates, hence the only one it drops. */
  readonly database: string;
  /** On the server without a database: creates and drops `database`. */
  server?: any;
  /** On `database`: the tour's. */
  ds?: any;
  /** Whether CREATE DATABASE succeeded; unset until it was sent. */
  created?: Promise<boolean>;
  cleaning?: Promise<void>;
  /** Set once the tour has begun: a failure from then on is the demo's, not the connection's. */
  touring?: boolean;
  /** The signal that interrupted the run. */
  signal?: NodeJS.Signals;
}

function quoteName(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** Ends both data sources and drops the run's database if this run created it. Runs once, however often called. */
function cleanUp(run: Run): Promise<void> {
  run.cleaning ??= (async () => {
    // Ending the tour's pool first closes its connections, an open transaction's included: its metadata locks
    // would make DROP DATABASE wait.
    await run.ds?.disconnect().catch(() => undefined);
    if (run.created && (await run.created)) {
      try {
        await run.server.connector.execute(`DROP DATABASE ${quoteName(run.database)}`, [], {});
        console.log(`\nDropped database ${run.database}.`);
      } catch (err) {
        const reason = errorCode(err) ?? (err instanceof Error ? err.message : String(err));
        console.error(
          `Could not drop the demo's database ${run.database} (${reason}): ` +
            `drop it with DROP DATABASE ${quoteName(run.database)};`,
        );
      }
    }
    await run.server?.disconnect().catch(() => undefined);
  })();
  return run.cleaning;
}

/** Ctrl-C or SIGTERM: drop the database, then exit as a process ended by that signal. */
function interrupt(run: Run, signal: NodeJS.Signals): void {
  // tsx and npm relay the signal the terminal already sent: a second one must not cut the clean-up short.
  if (run.signal) return;
  run.signal = signal;
  const code = SIGNAL_EXIT_CODES[signal] ?? 1;
  console.error(`\nInterrupted (${signal}): cleaning up.`);
  // The clean-up is bounded (disconnect waits at most 10 s for statements in flight); this is a last resort.
  setTimeout(() => {
    console.error(
      `Gave up waiting: drop the demo's database with DROP DATABASE ${quoteName(run.database)};`,
    );
    process.exit(code);
  }, 20000).unref();
  void cleanUp(run).finally(() => process.exit(code));
}

async function main(
  run: Run,
  ctx: FailureContext,
  serverUrl: string,
  urlDatabase: string,
): Promise<void> {
  const common = {url: serverUrl, lazyConnect: true, connectTimeout: 5000};
  run.server = new DataSource(connector, {...common, connectionLimit: 1});
  // juggler emits 'error' on a failed connect; the awaited connect() reports it.
  run.server.on('error', () => undefined);
  await run.server.connect();

  // Plain CREATE DATABASE, not IF NOT EXISTS: a database of that name made by anyone else is an error, never ours.
  const create = run.server.connector.execute(
    `CREATE DATABASE ${quoteName(run.database)} CHARACTER SET utf8mb4`,
    [],
    {},
  );
  run.created = create.then(
    () => true,
    () => false,
  );
  await create;

  run.ds = new DataSource(connector, {...common, database: run.database, connectionLimit: 4});
  run.ds.on('error', () => undefined);
  await run.ds.connect();
  console.log(
    `Connected to ${ctx.host}:${ctx.port} as ${ctx.user}; working in database ${run.database}, ` +
      'created for this run and dropped at the end',
  );
  if (urlDatabase) note(`MYSQL_URL names the database ${urlDatabase}: the demo leaves it alone`);
  run.touring = true;
  await tour(run.ds);
}

function start(): void {
  const run: Run = {database: `lbts_demo_${randomBytes(4).toString('hex')}`};
  let ctx: FailureContext = {host: '', port: 0, user: '', command: 'npm run demo'};
  let serverUrl: string;
  let urlDatabase: string;
  try {
    const target = parseServerUrl(process.env.MYSQL_URL || DEFAULT_URL);
    ctx = {...ctx, host: target.host, port: target.port, user: target.user};
    // The URL's database (if any) is left alone: the demo names its own.
    urlDatabase = target.database;
    target.url.pathname = '';
    serverUrl = target.url.toString();
  } catch (err) {
    console.error(err instanceof UsageError ? err.message : String(err));
    process.exitCode = 1;
    return;
  }
  // `npm run demo | head` closes the output early: the write error (EPIPE) would end the process before it drops
  // its database. Carry on without output instead; the run ends as usual.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.on('SIGINT', () => interrupt(run, 'SIGINT'));
  process.on('SIGTERM', () => interrupt(run, 'SIGTERM'));

  main(run, ctx, serverUrl, urlDatabase).then(
    async () => {
      await cleanUp(run);
      console.log('Done.');
    },
    async (err: unknown) => {
      await cleanUp(run);
      // Once interrupted, the failures that follow (a closed pool) are the interruption's, not news.
      if (run.signal) return;
      const reason = explainServerFailure(err, ctx);
      console.error(run.touring ? `The demo failed midway: ${reason}` : reason);
      process.exitCode = 1;
    },
  );
}

start();
