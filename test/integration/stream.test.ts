/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models and rows are dynamic */
/*
 * connector.stream(): the rows of a find as an async iterable, against the real server.
 */
import assert from 'node:assert/strict';
import {DefaultCrudRepository, Entity, ModelDefinition, juggler} from '@loopback/repository';
import * as connector from '../../src';
import {STREAM_HIGH_WATER_MARK} from '../../src/mysql/stream';
import {rejection} from '../helpers/assertions';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

/** More rows than the stream buffers (STREAM_HIGH_WATER_MARK) and the socket holds: the tests see it paused. */
const ROWS = 20000;

const PROPERTIES = {
  id: {type: Number, id: true, generated: true},
  name: {type: String, required: true, mysql: {columnName: 'item_name'}},
  qty: {type: Number},
  price: {type: Number, mysql: {dataType: 'decimal', dataPrecision: 10, dataScale: 2}},
  active: {type: Boolean},
  created: {type: Date},
  meta: {type: Object},
  tags: {type: [String]},
  notes: {type: String, mysql: {dataType: 'text'}},
};

function item(i: number): Record<string, unknown> {
  return {
    name: `name-${i % 7}`,
    qty: i % 50,
    price: i + 0.25,
    active: i % 3 === 0,
    created: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    meta: {i, nested: {even: i % 2 === 0}},
    tags: [`t${i % 4}`],
    notes: i % 5 === 0 ? null : `note ${i}`,
  };
}

async function collect(iterable: AsyncIterable<unknown>): Promise<any[]> {
  const out: any[] = [];
  for await (const row of iterable) out.push(row);
  return out;
}

class Thing extends Entity {
  declare id?: number;
  declare name: string;
  declare qty?: number;
  constructor(data?: Partial<Thing>) {
    super(data);
  }
}
Thing.definition = new ModelDefinition({
  name: 'Item',
  properties: {
    id: {type: 'number', id: true, generated: true},
    name: {type: 'string', required: true, mysql: {columnName: 'item_name'}},
    qty: {type: 'number'},
  },
});

describe('stream (integration)', function () {
  let db: string;
  const dataSources: any[] = [];
  let ds: any;
  let Item: any;

  function makeDataSource(overrides: Record<string, unknown> = {}): {ds: any; Item: any} {
    const d = new DataSource(connector, dataSourceSettings(db, overrides));
    dataSources.push(d);
    return {ds: d, Item: d.define('Item', PROPERTIES)};
  }

  /** A data source of one connection that gives up after 3 s: a connection kept by a stream fails its next call. */
  function singleConnection(overrides: Record<string, unknown> = {}): {ds: any; Item: any} {
    return makeDataSource({connectionLimit: 1, acquireTimeout: 3000, ...overrides});
  }

  before(async function () {
    this.timeout(60000);
    assert.ok(ROWS >= 4 * STREAM_HIGH_WATER_MARK);
    db = await createDatabase('stream');
    ({ds, Item} = makeDataSource());
    await ds.automigrate();
    for (let from = 0; from < ROWS; from += 2000)
      await Item.createAll(Array.from({length: 2000}, (_, k) => item(from + k)));
  });

  after(async function () {
    for (const d of dataSources) await d.disconnect();
    if (db) await dropDatabase(db);
  });

  describe('rows', function () {
    const filters: Record<string, unknown>[] = [
      {},
      {where: {qty: {between: [3, 20]}, active: true}, order: ['price DESC', 'id ASC'], limit: 50},
      {where: {name: {inq: ['name-1', 'name-4']}}, skip: 10, limit: 100, order: 'id DESC'},
      {fields: ['id', 'created', 'meta'], where: {notes: null}, order: 'id'},
      {fields: {notes: false, tags: false}, where: {or: [{qty: 1}, {qty: 2}]}},
      {where: {id: {gt: ROWS + 100}}},
    ];
    for (const filter of filters) {
      it(`equal find's, mapped and converted: ${JSON.stringify(filter)}`, async function () {
        const streamed = await collect(ds.connector.stream('Item', filter, {}));
        const found = await ds.connector.allAsync('Item', filter, {});
        assert.deepEqual(streamed, found);
        // And what juggler's find gives, instance data, for the properties both have.
        const viaJuggler = (await Item.find(filter)).map((r: any) => r.toObject(true));
        assert.equal(streamed.length, viaJuggler.length);
        streamed.forEach((row, i) => {
          for (const [key, value] of Object.entries(row))
            assert.deepEqual(value, viaJuggler[i][key], `row ${i} ${key}`);
        });
      });
    }

    it('are plain data with converted values: Date, boolean, number, object, array', async function () {
      const [row] = await collect(ds.connector.stream('Item', {where: {id: 4}}));
      assert.ok(row.created instanceof Date);
      assert.equal(Object.getPrototypeOf(row), Object.prototype);
      assert.deepEqual(row, {id: 4, ...item(3)});
    });

    it('all rows of a result larger than the buffer, in order', async function () {
      let count = 0;
      let last = 0;
      for await (const row of ds.connector.stream('Item', {order: 'id'})) {
        assert.ok(row.id > last);
        last = row.id;
        count++;
      }
      assert.equal(count, ROWS);
    });

    it('nothing runs before the first next()', async function () {
      const {ds: one, Item: model} = singleConnection();
      const iterator = one.connector.stream('Item', {});
      // Never iterated: the only connection stays free.
      assert.equal(await model.count(), ROWS);
      await iterator.return();
    });
  });

  describe('filter errors, as find', function () {
    const bad: Record<string, unknown>[] = [
      {where: {nope: 1}},
      {limit: -1},
      {order: 'nope DESC'},
      {where: {qty: {between: [1]}}},
      {fields: [1]},
    ];
    for (const filter of bad) {
      it(JSON.stringify(filter), async function () {
        const expected = await rejection(ds.connector.allAsync('Item', filter, {}));
        const err = await rejection(collect(ds.connector.stream('Item', filter)));
        assert.equal(err.constructor, expected.constructor);
        assert.equal(err.message, expected.message);
        assert.equal(err.statusCode, expected.statusCode);
      });
    }

    it('include is a 400', async function () {
      const err = await rejection(collect(ds.connector.stream('Item', {include: 'x'})));
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /include/);
    });

    it('an unknown model', async function () {
      const err = await rejection(collect(ds.connector.stream('Nope', {})));
      assert.match(err.message, /Nope/);
    });
  });

  describe('the connection', function () {
    it('goes back to the pool when the rows end', async function () {
      const {Item: model, ds: one} = singleConnection();
      assert.equal((await collect(one.connector.stream('Item', {limit: 10}))).length, 10);
      assert.equal(await model.count(), ROWS);
    });

    it('goes back to the pool after an early break, three times in a row', async function () {
      const {Item: model, ds: one} = singleConnection();
      for (let round = 0; round < 3; round++) {
        let seen = 0;
        for await (const _row of one.connector.stream('Item', {})) if (++seen === 5) break;
        assert.equal(seen, 5);
        assert.equal(await model.count(), ROWS);
      }
    });

    it('goes back to the pool when the loop body throws', async function () {
      const {Item: model, ds: one} = singleConnection();
      const err = await rejection(
        (async () => {
          for await (const row of one.connector.stream('Item', {})) {
            if (row.id === 7) throw new Error('consumer failed');
          }
        })(),
      );
      assert.equal(err.message, 'consumer failed');
      assert.equal(await model.count(), ROWS);
    });

    it('goes back to the pool after a server error, which is the one find gives', async function () {
      const {ds: one} = singleConnection();
      const Missing = one.define('Missing', {id: {type: Number, id: true}, name: String});
      const expected = await rejection(Missing.find());
      const err = await rejection(collect(one.connector.stream('Missing', {})));
      assert.equal(err.code, expected.code);
      assert.equal(err.errno, expected.errno);
      assert.equal(await one.models.Item.count(), ROWS);
    });

    it('queryTimeout bounds the whole stream: a consumer too slow gets QUERY_TIMEOUT, the pool goes on', async function () {
      const {Item: model, ds: one} = singleConnection({queryTimeout: 300});
      let seen = 0;
      const err = await rejection(
        (async () => {
          for await (const _row of one.connector.stream('Item', {})) {
            // Far behind: the socket stays paused with most rows unread until the deadline passes.
            if (++seen === 1) await new Promise((resolve) => setTimeout(resolve, 900));
          }
        })(),
      );
      assert.equal(err.code, 'QUERY_TIMEOUT');
      assert.equal(err.statusCode, 504);
      assert.ok(seen < ROWS, `${seen} rows before the timeout`);
      assert.equal(await model.count(), ROWS);
    });

    it('options.timeout of the call, as for find', async function () {
      const {Item: model, ds: one} = singleConnection();
      const err = await rejection(
        (async () => {
          for await (const _row of one.connector.stream('Item', {}, {timeout: 300}))
            await new Promise((resolve) => setTimeout(resolve, 900));
        })(),
      );
      assert.equal(err.code, 'QUERY_TIMEOUT');
      assert.equal(await model.count(), ROWS);
    });
  });

  describe('transactions', function () {
    it("sees the transaction's own writes, on its connection, which stays usable after an early break", async function () {
      const {Item: model, ds: one} = makeDataSource({connectionLimit: 2});
      const tx = await model.beginTransaction({isolationLevel: 'READ COMMITTED'});
      try {
        const opts = {transaction: tx};
        const created = await model.create({...item(1), name: 'in-tx'}, opts);
        const inside = await collect(one.connector.stream('Item', {where: {name: 'in-tx'}}, opts));
        assert.deepEqual(
          inside.map((r) => r.id),
          [created.id],
        );
        const outside = await collect(one.connector.stream('Item', {where: {name: 'in-tx'}}));
        assert.deepEqual(outside, []);
        // Stop early on the transaction's connection: the rest is read and dropped, the transaction goes on.
        let seen = 0;
        for await (const _row of one.connector.stream('Item', {}, opts)) if (++seen === 3) break;
        assert.equal(await model.count({name: 'in-tx'}, opts), 1);
      } finally {
        await tx.rollback();
      }
      assert.equal(await model.count({name: 'in-tx'}), 0);
    });

    it('a transaction that has ended is refused, as by find', async function () {
      const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
      await tx.commit();
      const expected = await rejection(ds.connector.allAsync('Item', {}, {transaction: tx}));
      const err = await rejection(collect(ds.connector.stream('Item', {}, {transaction: tx})));
      assert.equal(err.message, expected.message);
    });
  });

  describe('streamFind (LB4 repositories)', function () {
    it('streams what the repository finds, as plain data', async function () {
      const lb4 = new juggler.DataSource({
        name: 'db',
        connector,
        ...dataSourceSettings(db),
      } as any);
      dataSources.push(lb4);
      const repository = new DefaultCrudRepository<Thing, number>(Thing, lb4);
      const filter = {where: {qty: 7}, order: ['id DESC'], limit: 20};
      const streamed = await collect(connector.streamFind<Thing>(repository, filter));
      const found = await repository.find(filter);
      assert.deepEqual(
        streamed,
        found.map((t) => ({id: t.id, name: t.name, qty: t.qty})),
      );
    });

    it('refuses a repository of another connector', function () {
      const memory = new juggler.DataSource({name: 'mem', connector: 'memory'});
      const repository = new DefaultCrudRepository<Thing, number>(Thing, memory);
      assert.throws(() => connector.streamFind(repository), /cannot stream/);
    });
  });
});
