/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Every CRUD method of the connector through juggler models, against the real server.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';
import {assertPrinted, capturing} from '../helpers/output';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

/** Asserts that `promise` rejects with an error having these properties. */
async function rejectsWith(promise: Promise<unknown>, expected: Record<string, unknown>) {
  await assert.rejects(promise, (err: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(expected)) assert.equal(err[key], value, key);
    return true;
  });
}

describe('crud (integration)', function () {
  let db: string;
  let ds: any;
  let Item: any;
  let Author: any;
  let Book: any;
  let Person: any;
  let Membership: any;
  let Account: any;
  let Counter: any;
  let Tag: any;
  let Hooked: any;
  let Bulk: any;
  let Member: any;
  let Contact: any;

  /** Raw SQL on the data source's pool. */
  function sql(text: string, params: unknown[] = []): Promise<any> {
    return ds.connector.execute(text, params, {});
  }

  before(async function () {
    db = await createDatabase('crud');
    ds = new DataSource(connector, dataSourceSettings(db));
    Item = ds.define(
      'Item',
      {
        id: {type: Number, id: true, generated: true},
        name: {type: String, required: true},
        age: Number,
        active: Boolean,
        born: Date,
        meta: Object,
        tags: [String],
        notes: {type: String, mysql: {dataType: 'text'}},
      },
      {forceId: false},
    );
    Author = ds.define('Author', {
      id: {type: Number, id: true, generated: true},
      name: String,
    });
    Book = ds.define('Book', {
      id: {type: Number, id: true, generated: true},
      title: String,
      authorId: Number,
    });
    Author.hasMany(Book, {as: 'books', foreignKey: 'authorId'});
    Person = ds.define(
      'Person',
      {
        id: {type: Number, id: true, generated: true},
        fullName: {type: String, mysql: {columnName: 'FULL_NAME'}},
        age: Number,
      },
      {mysql: {table: 'people_tbl'}},
    );
    Membership = ds.define('Membership', {
      groupId: {type: Number, id: 1},
      userId: {type: Number, id: 2},
      role: String,
    });
    Account = ds.define(
      'Account',
      {
        id: {type: Number, id: true},
        email: {type: String, required: true},
        name: String,
      },
      {indexes: {uniq_email: {keys: {email: 1}, options: {unique: true}}}},
    );
    Counter = ds.define('Counter', {
      id: {type: String, id: true},
      n: Number,
    });
    Tag = ds.define('Tag', {
      id: {type: Number, id: true, generated: true},
      name: String,
    });
    Hooked = ds.define('Hooked', {
      id: {type: Number, id: true, generated: true},
      name: String,
      extra: String,
    });
    Bulk = ds.define(
      'Bulk',
      {
        id: {type: Number, id: true, generated: true},
        name: String,
        n: Number,
      },
      {forceId: false},
    );
    Member = ds.define('Member', {
      id: {type: Number, id: true},
      name: String,
      friends: [{name: String, age: Number}],
      address: {city: String, tags: [{tag: String}]},
      contact: {emails: [String]},
    });
    Contact = ds.define('Contact', {
      id: {type: Number, id: true, generated: true},
      email: String,
      name: String,
      n: Number,
    });
    await ds.automigrate();
  });

  after(async function () {
    if (ds) await ds.disconnect();
    if (db) await dropDatabase(db);
  });

  describe('create', function () {
    beforeEach(() => Item.destroyAll());

    it('returns the generated id, and stores every type', async function () {
      const born = new Date('1990-05-06T07:08:09.123Z');
      const created = await Item.create({
        name: 'Alice',
        age: 33,
        active: true,
        born,
        meta: {a: 1, b: {c: [1, 2]}},
        tags: ['x', 'y'],
        notes: 'long text',
      });
      assert.equal(typeof created.id, 'number');
      assert.ok(created.id > 0);
      const rows = await sql('SELECT id, name, age, active, born, meta, tags, notes FROM Item');
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, created.id);
      assert.equal(rows[0].name, 'Alice');
      assert.equal(rows[0].age, 33);
      assert.equal(rows[0].active, 1);
      assert.equal((rows[0].born as Date).toISOString(), born.toISOString());
      assert.deepEqual(JSON.parse(rows[0].meta), {a: 1, b: {c: [1, 2]}});
      assert.deepEqual(JSON.parse(rows[0].tags), ['x', 'y']);
      assert.equal(rows[0].notes, 'long text');
      const found = await Item.findById(created.id);
      assert.deepEqual(found.toObject(), {
        id: created.id,
        name: 'Alice',
        age: 33,
        active: true,
        born,
        meta: {a: 1, b: {c: [1, 2]}},
        tags: ['x', 'y'],
        notes: 'long text',
      });
    });

    it('gives consecutive generated ids to successive creates', async function () {
      const a = await Item.create({name: 'a'});
      const b = await Item.create({name: 'b'});
      assert.equal(b.id, a.id + 1);
      assert.equal((await Item.findById(b.id)).name, 'b');
    });

    it('fails a duplicate id with ER_DUP_ENTRY and statusCode 422', async function () {
      const a = await Item.create({name: 'first'});
      await rejectsWith(Item.create({id: a.id, name: 'second'}), {
        code: 'ER_DUP_ENTRY',
        statusCode: 422,
      });
      const rows = await sql('SELECT name FROM Item WHERE id = ?', [a.id]);
      assert.deepEqual(
        rows.map((r: any) => r.name),
        ['first'],
      );
    });
  });

  describe('createAll', function () {
    beforeEach(() => Bulk.destroyAll());

    it('creates 2500 rows and returns their ids in order', async function () {
      const data = Array.from({length: 2500}, (_, i) => ({name: `row${i}`, n: i}));
      const created = await Bulk.createAll(data);
      assert.equal(created.length, 2500);
      const rows = await sql('SELECT id, name, n FROM Bulk ORDER BY id');
      assert.equal(rows.length, 2500);
      const byName = new Map<string, number>(rows.map((r: any) => [r.name, r.id]));
      created.forEach((inst: any, i: number) => {
        assert.equal(inst.name, `row${i}`);
        assert.equal(inst.n, i);
        assert.equal(inst.id, byName.get(`row${i}`), `id of row${i}`);
      });
      for (let i = 1; i < created.length; i++) assert.ok(created[i].id > created[i - 1].id);
    });

    it('gives each row of a mixed batch its own id (given or generated)', async function () {
      const data = [
        {name: 'gen0'},
        {id: 100000, name: 'own100000'},
        {name: 'gen1'},
        {id: 50000, name: 'own50000'},
        {name: 'gen2'},
      ];
      const created = await Bulk.createAll(data);
      assert.deepEqual(
        created.map((c: any) => c.name),
        data.map((d) => d.name),
      );
      assert.equal(created[1].id, 100000);
      assert.equal(created[3].id, 50000);
      const rows = await sql('SELECT id, name FROM Bulk');
      assert.equal(rows.length, 5);
      const byName = new Map<string, number>(rows.map((r: any) => [r.name, r.id]));
      for (const c of created) {
        assert.equal(typeof c.id, 'number', c.name);
        assert.equal(c.id, byName.get(c.name), c.name);
      }
      assert.equal(new Set(created.map((c: any) => c.id)).size, 5);
    });
  });

  describe('find', function () {
    const beatles = [
      {name: 'John Lennon', age: 40, active: true},
      {name: 'Paul McCartney', age: 80, active: true},
      {name: 'George Harrison', age: 58, active: false},
      {name: 'Ringo Starr', age: 83, active: true},
      {name: 'jane roe', age: 30, active: false},
    ];

    before(async function () {
      await Item.destroyAll();
      for (const b of beatles) await Item.create(b);
    });

    async function names(where: unknown): Promise<string[]> {
      const rows = await Item.find({where, order: 'name ASC'});
      return rows.map((r: any) => r.name as string).sort();
    }

    it('eq / neq', async function () {
      assert.deepEqual(await names({name: 'John Lennon'}), ['John Lennon']);
      assert.deepEqual(await names({age: {eq: 58}}), ['George Harrison']);
      assert.deepEqual(await names({age: {neq: 58}}), [
        'John Lennon',
        'Paul McCartney',
        'Ringo Starr',
        'jane roe',
      ]);
    });

    it('gt / gte / lt / lte / between', async function () {
      assert.deepEqual(await names({age: {gt: 80}}), ['Ringo Starr']);
      assert.deepEqual(await names({age: {gte: 80}}), ['Paul McCartney', 'Ringo Starr']);
      assert.deepEqual(await names({age: {lt: 40}}), ['jane roe']);
      assert.deepEqual(await names({age: {lte: 40}}), ['John Lennon', 'jane roe']);
      assert.deepEqual(await names({age: {between: [40, 58]}}), ['George Harrison', 'John Lennon']);
    });

    it('inq / nin', async function () {
      assert.deepEqual(await names({age: {inq: [30, 83, 1]}}), ['Ringo Starr', 'jane roe']);
      assert.deepEqual(await names({age: {nin: [30, 83, 40, 58]}}), ['Paul McCartney']);
      // Without an order, rows come by id (the order they were created in here), not in the order of the list.
      const rows = await Item.find({where: {age: {inq: [83, 40]}}});
      assert.deepEqual(
        rows.map((r: any) => r.name),
        ['John Lennon', 'Ringo Starr'],
      );
    });

    it('boolean and and/or/nor', async function () {
      assert.deepEqual(await names({active: false}), ['George Harrison', 'jane roe']);
      assert.deepEqual(await names({or: [{age: 30}, {name: 'Ringo Starr'}]}), [
        'Ringo Starr',
        'jane roe',
      ]);
      assert.deepEqual(await names({and: [{active: true}, {age: {gt: 50}}]}), [
        'Paul McCartney',
        'Ringo Starr',
      ]);
      assert.deepEqual(await names({nor: [{active: true}, {age: 30}]}), ['George Harrison']);
    });

    it('like has SQL LIKE semantics (anchored, % wildcard)', async function () {
      assert.deepEqual(await names({name: {like: 'John'}}), []);
      assert.deepEqual(await names({name: {like: 'John%'}}), ['John Lennon']);
      assert.deepEqual(await names({name: {like: '%rr%'}}), ['George Harrison', 'Ringo Starr']);
      assert.deepEqual(await names({name: {like: 'J_hn Lennon'}}), ['John Lennon']);
    });

    it('nlike is the negation of like', async function () {
      assert.deepEqual(await names({name: {nlike: 'John'}}), [
        'George Harrison',
        'John Lennon',
        'Paul McCartney',
        'Ringo Starr',
        'jane roe',
      ]);
      assert.deepEqual(await names({name: {nlike: 'John%'}}), [
        'George Harrison',
        'Paul McCartney',
        'Ringo Starr',
        'jane roe',
      ]);
    });

    it('ilike / nilike are case-insensitive', async function () {
      assert.deepEqual(await names({name: {ilike: 'john%'}}), ['John Lennon']);
      assert.deepEqual(await names({name: {ilike: 'JOHN LENNON'}}), ['John Lennon']);
      assert.deepEqual(await names({name: {ilike: 'john'}}), []);
      assert.deepEqual(await names({name: {ilike: 'J%'}}), ['John Lennon', 'jane roe']);
      assert.deepEqual(await names({name: {nilike: 'john%'}}), [
        'George Harrison',
        'Paul McCartney',
        'Ringo Starr',
        'jane roe',
      ]);
      assert.deepEqual(await names({name: {nilike: 'J%'}}), [
        'George Harrison',
        'Paul McCartney',
        'Ringo Starr',
      ]);
    });

    it('regexp honours the i flag, and is case-sensitive without it', async function () {
      assert.deepEqual(await names({name: {regexp: /^j/i}}), ['John Lennon', 'jane roe']);
      assert.deepEqual(await names({name: {regexp: /^J/}}), ['John Lennon']);
      assert.deepEqual(await names({name: {regexp: /^j/}}), ['jane roe']);
      assert.deepEqual(await names({name: {regexp: /son$/}}), ['George Harrison']);
    });

    it('order / limit / skip / fields', async function () {
      const byAgeDesc = await Item.find({order: 'age DESC'});
      assert.deepEqual(
        byAgeDesc.map((r: any) => r.age),
        [83, 80, 58, 40, 30],
      );
      const page = await Item.find({order: 'age DESC', limit: 2, skip: 1});
      assert.deepEqual(
        page.map((r: any) => r.name),
        ['Paul McCartney', 'George Harrison'],
      );
      const offsetOnly = await Item.find({order: 'age ASC', skip: 3});
      assert.deepEqual(
        offsetOnly.map((r: any) => r.name),
        ['Paul McCartney', 'Ringo Starr'],
      );
      const multi = await Item.find({order: ['active ASC', 'age DESC']});
      assert.deepEqual(
        multi.map((r: any) => r.name),
        ['George Harrison', 'jane roe', 'Ringo Starr', 'Paul McCartney', 'John Lennon'],
      );
      const projected = await Item.find({fields: ['name', 'age'], order: 'age ASC', limit: 1});
      assert.equal(projected.length, 1);
      assert.deepEqual(JSON.parse(JSON.stringify(projected[0])), {name: 'jane roe', age: 30});
      const one = await Item.findOne({where: {age: {gt: 50}}, order: 'age ASC'});
      assert.equal(one.name, 'George Harrison');
    });

    it('count and exists', async function () {
      assert.equal(await Item.count(), 5);
      assert.equal(await Item.count({active: true}), 3);
      assert.equal(await Item.count({name: {like: 'Nobody%'}}), 0);
      const john = await Item.findOne({where: {name: 'John Lennon'}});
      assert.equal(await Item.exists(john.id), true);
      assert.equal(await Item.exists(john.id + 1000), false);
      assert.equal(await Item.findById(john.id + 1000), null);
    });

    it('include through a hasMany relation', async function () {
      await Book.destroyAll();
      await Author.destroyAll();
      const a1 = await Author.create({name: 'Tolkien'});
      const a2 = await Author.create({name: 'Nobody'});
      await Book.create({title: 'The Hobbit', authorId: a1.id});
      await Book.create({title: 'The Silmarillion', authorId: a1.id});
      await Book.create({title: 'Orphan', authorId: 9999});
      const authors = await Author.find({include: 'books', order: 'id ASC'});
      assert.equal(authors.length, 2);
      const json = authors.map((a: any) => a.toJSON());
      assert.equal(json[0].id, a1.id);
      assert.deepEqual(json[0].books.map((b: any) => b.title).sort(), [
        'The Hobbit',
        'The Silmarillion',
      ]);
      assert.equal(json[1].id, a2.id);
      assert.deepEqual(json[1].books, []);
      const books = await a1.books.find({order: 'title DESC'});
      assert.deepEqual(
        books.map((b: any) => b.title),
        ['The Silmarillion', 'The Hobbit'],
      );
    });

    it('raw ds.execute with ? params', async function () {
      const rows = await ds.execute(
        'SELECT name FROM Item WHERE age > ? AND active = ? ORDER BY age',
        [50, 1],
      );
      assert.deepEqual(
        rows.map((r: any) => r.name),
        ['Paul McCartney', 'Ringo Starr'],
      );
      const hostile = await ds.execute('SELECT COUNT(*) AS c FROM Item WHERE name = ?', [
        "x' OR '1'='1",
      ]);
      assert.equal(Number(hostile[0].c), 0);
    });

    it('before execute / after execute observers see the statement', async function () {
      const seen: {sql: string; params: unknown[]}[] = [];
      const results: unknown[] = [];
      const before = (ctx: any, next: () => void) => {
        seen.push({sql: ctx.req.sql, params: [...ctx.req.params]});
        next();
      };
      const after = (ctx: any, next: () => void) => {
        results.push(ctx.res);
        next();
      };
      ds.connector.observe('before execute', before);
      ds.connector.observe('after execute', after);
      try {
        const rows = await Item.find({where: {age: {gt: 81}}});
        assert.deepEqual(
          rows.map((r: any) => r.name),
          ['Ringo Starr'],
        );
        await ds.execute('SELECT ? AS v', [42]);
      } finally {
        ds.connector.removeObserver('before execute', before);
        ds.connector.removeObserver('after execute', after);
      }
      assert.equal(seen.length, 2);
      assert.match(seen[0]!.sql, /^SELECT .* FROM `Item` WHERE `age`>\?/);
      assert.deepEqual(seen[0]!.params, [81]);
      assert.deepEqual(seen[1], {sql: 'SELECT ? AS v', params: [42]});
      assert.equal(results.length, 2);
      assert.equal((results[1] as any)[0].v, 42);
    });

    it('a before execute observer can rewrite the SQL', async function () {
      const rewrite = (ctx: any, next: () => void) => {
        ctx.req.sql = 'SELECT ? + 1 AS v';
        next();
      };
      ds.connector.observe('before execute', rewrite);
      try {
        const rows = await ds.execute('SELECT ? AS v', [41]);
        assert.equal(Number(rows[0].v), 42);
      } finally {
        ds.connector.removeObserver('before execute', rewrite);
      }
    });
  });

  describe('nested paths through arrays', function () {
    /** What each member stores, as raw JSON: members left out, JSON nulls, empty arrays and SQL NULL. */
    const MEMBERS: [number, string, string | null, string | null, string | null][] = [
      [
        1,
        'John',
        '[{"name":"Ringo Starr","age":30},{"name":"George","age":25}]',
        '{"city":"Liverpool","tags":[{"tag":"business"},{"tag":"rent"}]}',
        '{"emails":["john@x.io","j@beatles.uk"]}',
      ],
      [
        2,
        'Paul',
        '[{"name":"Ringo","age":40}]',
        '{"city":"London","tags":[{"tag":"home"}]}',
        '{"emails":[]}',
      ],
      [3, 'Solo', '[]', '{"city":"Oslo"}', '{}'],
      [4, 'Nobody', null, null, null],
      [
        5,
        'Odd',
        '[{"age":50},{"name":null}]',
        '{"tags":[{"tag":"Business"}]}',
        '{"emails":["odd@x.io"]}',
      ],
    ];

    beforeEach(async function () {
      await Member.destroyAll();
      for (const row of MEMBERS)
        await sql(
          'INSERT INTO Member (id, name, friends, address, contact) VALUES (?,?,?,?,?)',
          row,
        );
    });

    async function names(where: unknown): Promise<string[]> {
      const rows = await Member.find({where, order: 'id'});
      return rows.map((r: any) => r.name as string);
    }

    it('equality and regexp: some element matches (juggler: "nested property with regex over arrays")', async function () {
      assert.deepEqual(await names({'friends.name': 'Ringo'}), ['Paul']);
      assert.deepEqual(await names({'friends.name': {regexp: /^Ringo/}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.name': {regexp: /^ringo/i}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.name': {regexp: /^ringo/}}), []);
      assert.deepEqual(await names({'friends.age': 30}), ['John']);
    });

    it('neq: some element differs; no element equals is a nor', async function () {
      assert.deepEqual(await names({'friends.name': {neq: 'Ringo'}}), ['John']);
      assert.deepEqual(await names({nor: [{'friends.name': 'Ringo'}]}), [
        'John',
        'Solo',
        'Nobody',
        'Odd',
      ]);
    });

    it('gt / between / inq / nin', async function () {
      assert.deepEqual(await names({'friends.age': {gt: 35}}), ['Paul', 'Odd']);
      assert.deepEqual(await names({'friends.age': {lte: 25}}), ['John']);
      assert.deepEqual(await names({'friends.age': {between: [26, 45]}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.name': {inq: ['George', 'Nobody']}}), ['John']);
      assert.deepEqual(await names({'friends.name': {inq: ['George', null]}}), [
        'John',
        'Solo',
        'Nobody',
        'Odd',
      ]);
      assert.deepEqual(await names({'friends.name': {nin: ['Ringo', 'Ringo Starr']}}), ['John']);
    });

    it('like / nlike are SQL LIKE and case-sensitive; ilike / nilike are not', async function () {
      assert.deepEqual(await names({'friends.name': {like: 'Ringo%'}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.name': {like: 'ringo%'}}), []);
      assert.deepEqual(await names({'friends.name': {like: 'Ringo'}}), ['Paul']);
      assert.deepEqual(await names({'friends.name': {nlike: 'Ringo%'}}), ['John']);
      assert.deepEqual(await names({'friends.name': {ilike: 'ringo%'}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.name': {nilike: 'ringo%'}}), ['John']);
    });

    it('null: no element has a value; {neq: null}: some element has one', async function () {
      assert.deepEqual(await names({'friends.name': null}), ['Solo', 'Nobody', 'Odd']);
      assert.deepEqual(await names({'friends.name': {neq: null}}), ['John', 'Paul']);
      assert.deepEqual(await names({'friends.age': {neq: null}}), ['John', 'Paul', 'Odd']);
    });

    it('arrays inside objects, arrays of strings, indexes and plain object paths (juggler: "multi-level nested array property")', async function () {
      assert.deepEqual(await names({'address.tags.tag': 'business'}), ['John']);
      assert.deepEqual(await names({'address.tags.tag': {ilike: 'business'}}), ['John', 'Odd']);
      assert.deepEqual(await names({'contact.emails': 'odd@x.io'}), ['Odd']);
      assert.deepEqual(await names({'contact.emails': {like: '%@x.io'}}), ['John', 'Odd']);
      assert.deepEqual(await names({'friends.0.name': 'Ringo'}), ['Paul']);
      assert.deepEqual(await names({'address.city': 'Oslo'}), ['Solo']);
      const [john] = await Member.find({where: {'address.tags.tag': 'rent'}});
      assert.deepEqual(
        john.address.tags.map((t: any) => t.tag),
        ['business', 'rent'],
      );
    });

    it('count, updateAll and destroyAll take the same paths', async function () {
      assert.equal(await Member.count({'friends.name': {like: 'Ringo%'}}), 2);
      assert.deepEqual(await Member.updateAll({'friends.name': 'Ringo'}, {name: 'Paul M'}), {
        count: 1,
      });
      assert.deepEqual(await Member.destroyAll({'friends.age': {gt: 45}}), {count: 1});
      assert.deepEqual(
        (await sql('SELECT name FROM Member ORDER BY id')).map((r: any) => r.name),
        ['John', 'Paul M', 'Solo', 'Nobody'],
      );
    });

    it('stays right on 5000 rows, where MySQL would materialize an EXISTS subquery once for every row', async function () {
      // Digits 0-9, four times over: 0..9999 without a recursive CTE (MySQL stops those at 1000 levels).
      const digits =
        'SELECT 0 AS d UNION ALL ' +
        [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => `SELECT ${d}`).join(' UNION ALL ');
      await sql(
        'INSERT INTO Member (id, name, friends) ' +
          `SELECT 100 + n, CONCAT('m', n), IF(n % 500 = 0, '[{"name":"Ringo"}]', '[{"name":"x"},{"name":"y"}]') ` +
          `FROM (SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d AS n FROM (${digits}) a, (${digits}) b, ` +
          `(${digits}) c, (${digits}) e) t WHERE n < 5000`,
      );
      await sql('ANALYZE TABLE Member');
      assert.equal(await Member.count({'friends.name': 'Ringo'}), 11);
      assert.deepEqual(
        (await Member.find({where: {'friends.name': 'Ringo'}, fields: ['id'], order: 'id'})).map(
          (m: any) => m.id,
        ),
        [2, 100, 600, 1100, 1600, 2100, 2600, 3100, 3600, 4100, 4600],
      );
      assert.equal(await Member.count({'friends.name': null}), 3);
      assert.equal(await Member.count({nor: [{'friends.name': 'x'}]}), 15);
    });

    it('values are parameters, and a path key is never SQL', async function () {
      const seen: {sql: string; params: unknown[]}[] = [];
      const observer = (ctx: any, next: () => void) => {
        seen.push({sql: ctx.req.sql, params: ctx.req.params});
        next();
      };
      ds.connector.observe('before execute', observer);
      try {
        assert.deepEqual(await names({'friends.name': "Ringo' OR 1=1 -- "}), []);
        assert.deepEqual(await names({'friends.a"]\') OR 1=1 -- ': 'x'}), []);
      } finally {
        ds.connector.removeObserver('before execute', observer);
      }
      assert.equal(seen.length, 2);
      for (const {sql: text} of seen) {
        assert.ok(!text.includes('Ringo') && !text.includes('OR 1=1'), text);
      }
      assert.deepEqual(seen[0]?.params, ['$[*]."name"', "Ringo' OR 1=1 -- "]);
    });

    it('bad input is a 400 that runs nothing', async function () {
      for (const where of [
        {'friends.name': {gt: {a: 1}}},
        {'friends.name': {foo: 1}},
        {'friends.name': {inq: 'Ringo'}},
        {'friends.name': {like: 5}},
      ]) {
        await rejectsWith(Member.destroyAll(where), {statusCode: 400});
      }
      assert.equal(await Member.count(), MEMBERS.length);
    });
  });

  describe('custom table and column names', function () {
    it('maps the model to people_tbl and fullName to FULL_NAME', async function () {
      const p = await Person.create({fullName: 'Ada Lovelace', age: 36});
      const cols = await sql(
        'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ' +
          "AND TABLE_NAME = 'people_tbl' ORDER BY ORDINAL_POSITION",
      );
      assert.deepEqual(
        cols.map((r: any) => r.c),
        ['id', 'FULL_NAME', 'age'],
      );
      const raw = await sql('SELECT id, FULL_NAME FROM people_tbl');
      assert.deepEqual(raw, [{id: p.id, FULL_NAME: 'Ada Lovelace'}]);
      const found = await Person.find({where: {fullName: {like: 'Ada%'}}, order: 'fullName'});
      assert.equal(found.length, 1);
      assert.equal(found[0].fullName, 'Ada Lovelace');
      assert.equal((await Person.updateAll({fullName: 'Ada Lovelace'}, {age: 37})).count, 1);
      await Person.replaceById(p.id, {fullName: 'Ada King'});
      const raw2 = await sql('SELECT FULL_NAME, age FROM people_tbl');
      assert.deepEqual(raw2, [{FULL_NAME: 'Ada King', age: null}]);
      assert.equal((await Person.destroyAll({fullName: 'Ada King'})).count, 1);
      assert.equal(await Person.count(), 0);
    });
  });

  describe('composite id', function () {
    it('creates, finds, updates and deletes by both id columns', async function () {
      await Membership.create({groupId: 1, userId: 1, role: 'owner'});
      await Membership.create({groupId: 1, userId: 2, role: 'member'});
      await Membership.create({groupId: 2, userId: 1, role: 'member'});
      await rejectsWith(Membership.create({groupId: 1, userId: 2, role: 'dup'}), {
        code: 'ER_DUP_ENTRY',
        statusCode: 422,
      });
      const pk = await sql(
        "SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Membership' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
      );
      assert.deepEqual(
        pk.map((r: any) => r.c),
        ['groupId', 'userId'],
      );
      const g1 = await Membership.find({where: {groupId: 1}, order: 'userId ASC'});
      assert.deepEqual(
        g1.map((m: any) => [m.userId, m.role]),
        [
          [1, 'owner'],
          [2, 'member'],
        ],
      );
      const upd = await Membership.updateAll({groupId: 1, userId: 2}, {role: 'admin'});
      assert.equal(upd.count, 1);
      const raw = await sql('SELECT role FROM Membership WHERE groupId = 1 AND userId = 2');
      assert.equal(raw[0].role, 'admin');
      const del = await Membership.destroyAll({groupId: 2, userId: 1});
      assert.equal(del.count, 1);
      assert.equal(await Membership.count(), 2);
    });
  });

  describe('update and delete', function () {
    let ids: number[];
    beforeEach(async function () {
      await Item.destroyAll();
      ids = [];
      for (const [name, age, active] of [
        ['a', 1, true],
        ['b', 2, true],
        ['c', 3, false],
        ['d', 4, true],
      ] as const) {
        ids.push((await Item.create({name, age, active, notes: 'n'})).id);
      }
    });

    it('updateAll returns the matched count, also when values are unchanged', async function () {
      assert.deepEqual(await Item.updateAll({active: true}, {age: 10}), {count: 3});
      assert.deepEqual(await Item.updateAll({active: true}, {age: 10}), {count: 3});
      assert.deepEqual(await Item.updateAll({active: true}, {active: true}), {count: 3});
      assert.deepEqual(await Item.updateAll({name: 'zzz'}, {age: 5}), {count: 0});
      const rows = await sql('SELECT name, age FROM Item ORDER BY name');
      assert.deepEqual(
        rows.map((r: any) => [r.name, r.age]),
        [
          ['a', 10],
          ['b', 10],
          ['c', 3],
          ['d', 10],
        ],
      );
    });

    it('updateAll with {} sends no invalid SQL and returns the matched count', async function () {
      const statements: string[] = [];
      const spy = (ctx: any, next: () => void) => {
        statements.push(ctx.req.sql);
        next();
      };
      ds.connector.observe('before execute', spy);
      try {
        assert.deepEqual(await Item.updateAll({active: true}, {}), {count: 3});
        assert.deepEqual(await Item.updateAll({}, {}), {count: 4});
      } finally {
        ds.connector.removeObserver('before execute', spy);
      }
      assert.ok(
        statements.every((s) => !/^UPDATE/.test(s)),
        statements.join('\n'),
      );
    });

    it('updateAll without a where updates every row', async function () {
      assert.deepEqual(await Item.updateAll({notes: 'all'}), {count: 4});
      const rows = await sql('SELECT DISTINCT notes FROM Item');
      assert.deepEqual(rows, [{notes: 'all'}]);
    });

    it('updateAttributes patches one row; 404 when the row is gone', async function () {
      const inst = await Item.findById(ids[1]);
      await inst.updateAttributes({age: 20, notes: 'patched'});
      const rows = await sql('SELECT name, age, active, notes FROM Item WHERE id = ?', [ids[1]]);
      assert.deepEqual(rows, [{name: 'b', age: 20, active: 1, notes: 'patched'}]);
      const other = await sql('SELECT age FROM Item WHERE id = ?', [ids[0]]);
      assert.equal(other[0].age, 1);
      await Item.destroyById(ids[1]);
      await rejectsWith(inst.updateAttributes({age: 21}), {statusCode: 404});
    });

    it('updateAttributes with {} on an existing row succeeds and changes nothing', async function () {
      const inst = await Item.findById(ids[2]);
      const out = await inst.updateAttributes({});
      assert.equal(out.id, ids[2]);
      const rows = await sql('SELECT name, age, active, notes FROM Item WHERE id = ?', [ids[2]]);
      assert.deepEqual(rows, [{name: 'c', age: 3, active: 0, notes: 'n'}]);
    });

    it('updateAttributes with unchanged values succeeds', async function () {
      const inst = await Item.findById(ids[0]);
      await inst.updateAttributes({age: 1, name: 'a'});
      const rows = await sql('SELECT age FROM Item WHERE id = ?', [ids[0]]);
      assert.equal(rows[0].age, 1);
    });

    it('replaceById writes NULL for omitted properties; 404 when missing', async function () {
      await Item.replaceById(ids[0], {name: 'A'});
      const rows = await sql('SELECT name, age, active, notes, meta FROM Item WHERE id = ?', [
        ids[0],
      ]);
      assert.deepEqual(rows, [{name: 'A', age: null, active: null, notes: null, meta: null}]);
      await rejectsWith(Item.replaceById(987654, {name: 'ghost'}), {statusCode: 404});
      assert.equal(await Item.count({name: 'ghost'}), 0);
      assert.equal(await Item.count(), 4);
    });

    it('destroyAll and destroyById report counts', async function () {
      assert.deepEqual(await Item.destroyAll({active: true, age: {gte: 2}}), {count: 2});
      assert.deepEqual(await Item.destroyById(ids[0]), {count: 1});
      assert.deepEqual(await Item.destroyById(ids[0]), {count: 0});
      assert.deepEqual(await Item.destroyAll({name: 'nothing'}), {count: 0});
      const rows = await sql('SELECT name FROM Item');
      assert.deepEqual(rows, [{name: 'c'}]);
      assert.deepEqual(await Item.destroyAll(), {count: 1});
      assert.equal(await Item.count(), 0);
    });

    it('an unknown property in a destroyAll where is a 400 and deletes nothing', async function () {
      await rejectsWith(Item.destroyAll({nope: 1}), {statusCode: 400});
      await rejectsWith(Item.destroyAll({or: [{name: 'a'}, {nope: 1}]}), {statusCode: 400});
      await rejectsWith(Item.updateAll({nope: 1}, {age: 0}), {statusCode: 400});
      assert.equal(await Item.count(), 4);
      const rows = await sql('SELECT COUNT(*) AS c FROM Item WHERE age <> 0');
      assert.equal(Number(rows[0].c), 4);
    });

    it('an unknown operator is a 400', async function () {
      await rejectsWith(Item.find({where: {age: {foo: 1}}}), {statusCode: 400});
    });
  });

  describe('upsert family', function () {
    let lastIsNew: unknown[];
    const record = (ctx: any, next: () => void) => {
      lastIsNew.push(ctx.isNewInstance);
      next();
    };
    before(function () {
      Item.observe('after save', record);
    });
    after(function () {
      Item.removeObserver('after save', record);
    });
    beforeEach(async function () {
      lastIsNew = [];
      await Item.destroyAll();
    });

    it('updateOrCreate reports isNewInstance: new, changed, unchanged', async function () {
      const created = await Item.updateOrCreate({id: 700, name: 'u', age: 1});
      assert.equal(created.id, 700);
      // A patch without the required name: juggler warns that it skips validation, and patches.
      const {result: changed, lines} = await capturing(() =>
        Item.updateOrCreate({id: 700, age: 2}),
      );
      assertPrinted(lines, [
        /^Ignoring validation errors in updateOrCreate\(\):/,
        /`name` can't be blank/,
      ]);
      assert.equal(changed.age, 2);
      await Item.updateOrCreate({id: 700, name: 'u', age: 2});
      assert.deepEqual(lastIsNew, [true, false, false]);
      const rows = await sql('SELECT id, name, age FROM Item');
      assert.deepEqual(rows, [{id: 700, name: 'u', age: 2}]);
    });

    it('upsert without an id creates a row with a generated id', async function () {
      const created = await Item.upsert({name: 'noid', age: 9});
      assert.equal(typeof created.id, 'number');
      assert.deepEqual(lastIsNew, [true]);
      const rows = await sql('SELECT id, name FROM Item');
      assert.deepEqual(rows, [{id: created.id, name: 'noid'}]);
    });

    it('updateOrCreate patches: properties left out keep their values', async function () {
      await Item.create({id: 710, name: 'p', age: 5, notes: 'keep'});
      const patched = await capturing(() => Item.updateOrCreate({id: 710, age: 6}));
      assertPrinted(patched.lines, [
        /^Ignoring validation errors in updateOrCreate\(\):/,
        /`name` can't be blank/,
      ]);
      const rows = await sql('SELECT name, age, notes FROM Item WHERE id = 710');
      assert.deepEqual(rows, [{name: 'p', age: 6, notes: 'keep'}]);
      assert.deepEqual(lastIsNew, [true, false]);
      // Without the row, the left-out required column makes the insert fail.
      const failed = await capturing(() =>
        rejectsWith(Item.updateOrCreate({id: 711, age: 1}), {
          code: 'ER_NO_DEFAULT_FOR_FIELD',
          statusCode: 422,
        }),
      );
      assertPrinted(failed.lines, [
        /^Ignoring validation errors in updateOrCreate\(\):/,
        /`name` can't be blank/,
      ]);
      assert.equal(await Item.count(), 1);
    });

    it('replaceOrCreate reports isNewInstance and replaces the whole row', async function () {
      await Item.replaceOrCreate({id: 720, name: 'r', age: 1, notes: 'x'});
      await Item.replaceOrCreate({id: 720, name: 'r2'});
      await Item.replaceOrCreate({id: 720, name: 'r2'});
      assert.deepEqual(lastIsNew, [true, false, false]);
      const rows = await sql('SELECT id, name, age, notes FROM Item');
      assert.deepEqual(rows, [{id: 720, name: 'r2', age: null, notes: null}]);
    });

    it('updateOrCreate conflicting on another unique index is a 422 and leaves that row alone', async function () {
      await Account.destroyAll();
      await Account.create({id: 1, email: 'a@x.io', name: 'A'});
      await Account.create({id: 2, email: 'b@x.io', name: 'B'});
      // A new id whose email belongs to row 1.
      await rejectsWith(Account.updateOrCreate({id: 3, email: 'a@x.io', name: 'C'}), {
        statusCode: 422,
        code: 'ER_DUP_ENTRY',
      });
      // An existing id taking row 1's email.
      await rejectsWith(Account.updateOrCreate({id: 2, email: 'a@x.io', name: 'B2'}), {
        statusCode: 422,
        code: 'ER_DUP_ENTRY',
      });
      await rejectsWith(Account.replaceOrCreate({id: 4, email: 'b@x.io', name: 'D'}), {
        statusCode: 422,
        code: 'ER_DUP_ENTRY',
      });
      const rows = await sql('SELECT id, email, name FROM Account ORDER BY id');
      assert.deepEqual(rows, [
        {id: 1, email: 'a@x.io', name: 'A'},
        {id: 2, email: 'b@x.io', name: 'B'},
      ]);
    });

    it('20 concurrent updateOrCreate on one id leave exactly one row', async function () {
      await Counter.destroyAll();
      const results = await Promise.all(
        Array.from({length: 20}, (_, i) => Counter.updateOrCreate({id: 'c1', n: i})),
      );
      assert.equal(results.length, 20);
      for (const r of results) assert.equal(r.id, 'c1');
      const rows = await sql('SELECT id, n FROM Counter');
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, 'c1');
      assert.ok(Number.isInteger(rows[0].n) && rows[0].n >= 0 && rows[0].n < 20);
    });
  });

  describe('upsertWithWhere', function () {
    beforeEach(() => Contact.destroyAll());

    /** The name of the GET_LOCK that upsertWithWhere and findOrCreate take for `where` on Contact. */
    const lockName = (where: string) =>
      `lb:${createHash('sha1').update(`\`Contact\`:${where}`).digest('hex')}`;

    it('updates the first match by id, and returns the row with the data over it', async function () {
      // Inserted out of id order: the first by id is not the first inserted.
      await sql("INSERT INTO Contact (id, email, name, n) VALUES (5, 'x@x.io', 'B', 2)");
      await sql("INSERT INTO Contact (id, email, name, n) VALUES (3, 'x@x.io', 'A', 1)");
      const updated = await Contact.upsertWithWhere({email: 'x@x.io'}, {name: 'C'});
      assert.deepEqual(updated.toObject(), {id: 3, email: 'x@x.io', name: 'C', n: 1});
      assert.deepEqual(await sql('SELECT id, name FROM Contact ORDER BY id'), [
        {id: 3, name: 'C'},
        {id: 5, name: 'B'},
      ]);
    });

    it('inserts one row when nothing matches, with the values the where pins', async function () {
      const created = await Contact.upsertWithWhere({email: 'new@x.io'}, {name: 'N'});
      assert.equal(typeof created.id, 'number');
      assert.deepEqual(await sql('SELECT id, email, name, n FROM Contact'), [
        {id: created.id, email: 'new@x.io', name: 'N', n: null},
      ]);
      assert.equal(created.email, 'new@x.io');
    });

    it('20 concurrent calls with one where leave one row and one creator; no lock is left', async function () {
      const news: boolean[] = [];
      const afterSave = (ctx: any, next: () => void) => {
        news.push(ctx.isNewInstance as boolean);
        next();
      };
      Contact.observe('after save', afterSave);
      let results: any[];
      try {
        results = await Promise.all(
          Array.from({length: 20}, (_, i) =>
            Contact.upsertWithWhere({email: 'hot@x.io'}, {name: `caller ${i}`, n: i}),
          ),
        );
      } finally {
        Contact.removeObserver('after save', afterSave);
      }
      assert.deepEqual(
        news.filter((n) => n),
        [true],
      );
      assert.equal(news.length, 20);
      const rows = await sql('SELECT id, email, name, n FROM Contact');
      assert.equal(rows.length, 1);
      for (const r of results) {
        assert.equal(r.id, rows[0].id);
        assert.equal(r.email, 'hot@x.io');
        assert.equal(r.name, `caller ${r.n}`);
      }
      const [lock] = await sql('SELECT IS_USED_LOCK(?) AS holder', [
        lockName('{"email":"hot@x.io"}'),
      ]);
      assert.equal(lock.holder, null);
    });

    it('a bad where is a 400 that writes nothing', async function () {
      await rejectsWith(Contact.upsertWithWhere({nope: 1}, {name: 'x'}), {statusCode: 400});
      await rejectsWith(Contact.upsertWithWhere({'email.domain': 'x.io'}, {name: 'x'}), {
        statusCode: 400,
      });
      assert.equal(await Contact.count(), 0);
    });
  });

  describe('findOrCreate', function () {
    it('20 concurrent calls with one filter create exactly one row', async function () {
      await Tag.destroyAll();
      const results = await Promise.all(
        Array.from({length: 20}, () => Tag.findOrCreate({where: {name: 'hot'}}, {name: 'hot'})),
      );
      const created = results.filter(([, c]: [unknown, boolean]) => c === true);
      assert.equal(created.length, 1);
      assert.equal(results.filter(([, c]: [unknown, boolean]) => c === false).length, 19);
      const ids = new Set(results.map(([inst]: [any]) => inst.id));
      assert.equal(ids.size, 1);
      const rows = await sql("SELECT id FROM Tag WHERE name = 'hot'");
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, [...ids][0]);
    });

    it('finds an existing row; unset properties read as null; persist changes are not written', async function () {
      await Hooked.destroyAll();
      const existing = await Hooked.create({name: 'exists'});
      const loaded: any[] = [];
      const persist = (ctx: any, next: () => void) => {
        ctx.data = {...ctx.data, extra: 'hook data'};
        next();
      };
      const onLoaded = (ctx: any, next: () => void) => {
        loaded.push({data: {...ctx.data}, isNewInstance: ctx.isNewInstance});
        next();
      };
      Hooked.observe('persist', persist);
      Hooked.observe('loaded', onLoaded);
      try {
        const [inst, created] = await Hooked.findOrCreate(
          {where: {name: 'exists'}},
          {name: 'exists'},
        );
        assert.equal(created, false);
        assert.equal(inst.id, existing.id);
        assert.equal(inst.extra, null);
        assert.deepEqual(inst.toObject(), {id: existing.id, name: 'exists', extra: null});
        assert.deepEqual(loaded, [
          {data: {id: existing.id, name: 'exists', extra: null}, isNewInstance: false},
        ]);
      } finally {
        Hooked.removeObserver('persist', persist);
        Hooked.removeObserver('loaded', onLoaded);
      }
      const rows = await sql('SELECT id, name, extra FROM Hooked');
      assert.deepEqual(rows, [{id: existing.id, name: 'exists', extra: null}]);
    });

    it('creates when not found, applying the persist hook', async function () {
      await Hooked.destroyAll();
      const persist = (ctx: any, next: () => void) => {
        ctx.data = {...ctx.data, extra: 'hook data'};
        next();
      };
      Hooked.observe('persist', persist);
      try {
        const [inst, created] = await Hooked.findOrCreate({where: {name: 'new'}}, {name: 'new'});
        assert.equal(created, true);
        assert.equal(typeof inst.id, 'number');
        const rows = await sql('SELECT id, name, extra FROM Hooked');
        assert.deepEqual(rows, [{id: inst.id, name: 'new', extra: 'hook data'}]);
      } finally {
        Hooked.removeObserver('persist', persist);
      }
    });
  });
});
