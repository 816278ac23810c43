/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models and rows are dynamic */
/*
 * Prepared statements for the connector's SELECTs (`preparedStatements: true`, off by default), on the real server: which
 * statements run prepared, that they read what the text protocol reads, and the bounded per-connection cache.
 */
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const PROPERTIES = {
  id: {type: Number, id: true, generated: true},
  name: {type: String},
  qty: {type: Number},
  big: {type: Number, mysql: {dataType: 'bigint'}},
  price: {type: Number, mysql: {dataType: 'decimal', dataPrecision: 10, dataScale: 2}},
  ratio: {type: Number, mysql: {dataType: 'double'}},
  active: {type: Boolean},
  created: {type: Date},
  day: {type: Date, mysql: {dataType: 'date'}},
  meta: {type: Object},
  tags: {type: [String]},
  blob: {type: Buffer},
  notes: {type: String, mysql: {dataType: 'text'}},
};

function item(i: number): Record<string, unknown> {
  return {
    name: `n${i % 3}`,
    qty: i,
    big: 2 ** 40 + i,
    price: i + 0.25,
    ratio: i / 3,
    active: i % 2 === 0,
    created: new Date(Date.UTC(2024, 1, 29, 12, 0, i, 123)),
    day: new Date(Date.UTC(2020, 0, 1 + i)),
    meta: {i, deep: {list: [i, 'x']}},
    tags: [`t${i}`],
    blob: Buffer.from([i, 0, 255]),
    notes: i % 4 === 0 ? null : `note ${i} é 😀`,
  };
}

describe('prepared statements (integration)', function () {
  let db: string;
  const dataSources: any[] = [];

  /** A data source of one connection, so that session status counts its statements; prepared statements on. */
  function dataSource(overrides: Record<string, unknown> = {}): {ds: any; Item: any} {
    const ds = new DataSource(
      connector,
      dataSourceSettings(db, {connectionLimit: 1, preparedStatements: true, ...overrides}),
    );
    dataSources.push(ds);
    return {ds, Item: ds.define('Item', PROPERTIES)};
  }

  async function status(ds: any, name: string): Promise<number> {
    const rows = await ds.connector.execute(`SHOW SESSION STATUS LIKE '${name}'`);
    return Number(rows[0].Value);
  }

  /** How many statements `work` ran prepared, on the data source's one connection. */
  async function executed(ds: any, work: () => Promise<unknown>): Promise<number> {
    const before = await status(ds, 'Com_stmt_execute');
    await work();
    return (await status(ds, 'Com_stmt_execute')) - before;
  }

  before(async function () {
    db = await createDatabase('prepared');
    const {ds, Item} = dataSource();
    await ds.automigrate();
    await Item.createAll(Array.from({length: 20}, (_, i) => item(i + 1)));
  });

  after(async function () {
    for (const d of dataSources) await d.disconnect();
    if (db) await dropDatabase(db);
  });

  it('findById, a find of plain comparisons, count and exists run prepared', async function () {
    const {ds, Item} = dataSource();
    assert.equal(await executed(ds, () => Item.findById(3)), 1);
    assert.equal(
      await executed(ds, () =>
        Item.find({
          where: {qty: {between: [2, 9]}, active: true, name: {inq: ['n0', 'n1']}},
          order: ['price DESC', 'id ASC'],
          limit: 3,
          skip: 1,
        }),
      ),
      1,
    );
    assert.equal(await executed(ds, () => Item.count({qty: {lt: 10}})), 1);
    assert.equal(await executed(ds, () => Item.exists(4)), 1);
  });

  it('writes, raw SQL, JSON paths and patterns keep the text protocol', async function () {
    const {ds, Item} = dataSource();
    assert.equal(await executed(ds, () => Item.updateAll({qty: 1}, {notes: 'x'})), 0);
    assert.equal(await executed(ds, () => ds.connector.execute('SELECT 1 AS one')), 0);
    assert.equal(await executed(ds, () => Item.find({where: {'meta.i': 2}})), 0);
    assert.equal(await executed(ds, () => Item.find({where: {name: {like: 'n%'}}})), 0);
    assert.equal(await executed(ds, () => Item.find({where: {tags: 't1'}})), 0);
  });

  it('read what the text protocol reads, every column type, with and without paging', async function () {
    const {ds: prepared, Item: P} = dataSource();
    const {Item: T} = dataSource({preparedStatements: false});
    // [filter, runs prepared]: a Date value keeps the text protocol (see bindable in prepared.ts).
    const filters: [Record<string, unknown>, number][] = [
      [{}, 1],
      [{where: {id: 5}}, 1],
      [{where: {qty: {gt: 3}, active: false}, order: 'qty DESC', limit: 4}, 1],
      [{where: {name: {nin: ['n1']}}, skip: 5}, 1],
      [{where: {created: {gte: new Date(Date.UTC(2024, 1, 29, 12, 0, 10))}}, order: 'id'}, 0],
      [{where: {price: 7.25}}, 1],
      [{where: {big: 2 ** 40 + 7}}, 1],
    ];
    for (const [filter, runsPrepared] of filters) {
      const n = await executed(prepared, () => P.find(filter));
      assert.equal(n, runsPrepared, JSON.stringify(filter));
      const viaPrepared = (await P.find(filter)).map((r: any) => r.toObject());
      const viaText = (await T.find(filter)).map((r: any) => r.toObject());
      assert.ok(viaText.length > 0, JSON.stringify(filter));
      assert.deepEqual(viaPrepared, viaText, JSON.stringify(filter));
    }
    assert.equal(await P.count({active: true}), await T.count({active: true}));
  });

  for (const [what, setting] of [
    ['by default', {preparedStatements: undefined}],
    ['with preparedStatements: false', {preparedStatements: false}],
  ] as const) {
    it(`${what}, everything runs as text`, async function () {
      const {ds, Item} = dataSource(setting);
      assert.equal(
        await executed(ds, async () => {
          await Item.findById(3);
          await Item.count({qty: 2});
          await Item.find({where: {qty: 2}, limit: 1});
        }),
        0,
      );
    });
  }

  it('a model with a FLOAT column reads it as text', async function () {
    const {ds} = dataSource();
    const Measure = ds.define('Measure', {
      id: {type: Number, id: true},
      value: {type: Number, mysql: {dataType: 'float'}},
    });
    await ds.automigrate('Measure');
    await Measure.create({id: 1, value: 1.1});
    assert.equal(await executed(ds, () => Measure.findById(1)), 0);
    assert.equal((await Measure.findById(1)).value, 1.1);
  });

  it('maxPreparedStatements bounds the statements a connection keeps: the least recently used are closed', async function () {
    const {ds, Item} = dataSource({maxPreparedStatements: 2});
    const closedBefore = await status(ds, 'Com_stmt_close');
    const shapes = [{qty: 1}, {name: 'n1'}, {active: true}, {price: 2.25}, {big: 1}];
    for (const where of shapes) await Item.find({where});
    const closed = (await status(ds, 'Com_stmt_close')) - closedBefore;
    assert.ok(closed >= shapes.length - 2, `${closed} statements closed`);
    // And the results stay right after the evictions.
    assert.equal((await Item.find({where: {qty: 1}}))[0].qty, 1);
  });
});
