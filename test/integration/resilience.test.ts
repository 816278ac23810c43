/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Bad days: a pool that runs dry, a statement that runs too long, lock contention, a connection the server kills,
 * a transaction that times out, and a disconnect with statements in flight.
 */
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {admin, createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';
import {rejection} from '../helpers/assertions';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('resilience (integration)', function () {
  let db: string;
  const dataSources: any[] = [];

  function makeDataSource(overrides: Record<string, unknown> = {}): {ds: any; Item: any} {
    const ds = new DataSource(connector, dataSourceSettings(db, overrides));
    dataSources.push(ds);
    const Item = ds.define('Item', {
      id: {type: Number, id: true, generated: true},
      name: String,
      qty: Number,
    });
    return {ds, Item};
  }

  before(async () => {
    db = await createDatabase('resilience');
    const {ds} = makeDataSource();
    await ds.automigrate();
  });

  after(async () => {
    for (const d of dataSources) await d.disconnect();
    if (db) await dropDatabase(db);
  });

  it('fails a call that waits too long for a connection with 503, then recovers', async () => {
    const {Item} = makeDataSource({connectionLimit: 1, acquireTimeout: 300});
    const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
    const started = Date.now();
    const err = await rejection(Item.find());
    const waited = Date.now() - started;
    assert.equal(err.code, 'POOL_ACQUIRE_TIMEOUT');
    assert.equal(err.statusCode, 503);
    assert.ok(waited >= 250 && waited < 2000, `waited ${waited} ms`);
    await tx.rollback();
    assert.deepEqual(await Item.find(), []);
  });

  it('honours queueLimit with a clear 503', async () => {
    const {Item} = makeDataSource({connectionLimit: 1, queueLimit: 1, acquireTimeout: 2000});
    const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
    const queued = Item.count();
    const err = await rejection(Item.count());
    assert.equal(err.code, 'POOL_ENQUEUELIMIT');
    assert.equal(err.statusCode, 503);
    await tx.rollback();
    assert.equal(await queued, 0);
  });

  it('stops a statement past options.timeout (504), on the server too, and the pool stays healthy', async () => {
    const {ds} = makeDataSource({connectionLimit: 2});
    const started = Date.now();
    const err = await rejection(ds.connector.execute('SELECT SLEEP(5) AS s', [], {timeout: 300}));
    assert.equal(err.code, 'QUERY_TIMEOUT');
    assert.equal(err.statusCode, 504);
    assert.ok(Date.now() - started < 2000);
    await sleep(200);
    const [running] = (await admin(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(5) AS s'",
    )) as any[];
    assert.equal(Number(running[0].n), 0, 'the statement still runs on the server');
    const rows = await ds.connector.execute('SELECT 1 AS one', [], {});
    assert.equal(rows[0].one, 1);
  });

  it('applies the data source queryTimeout', async () => {
    const {ds} = makeDataSource({queryTimeout: 200});
    const err = await rejection(ds.connector.execute('SELECT SLEEP(3)', [], {}));
    assert.equal(err.code, 'QUERY_TIMEOUT');
    const rows = await ds.connector.execute('SELECT 2 AS two', [], {});
    assert.equal(rows[0].two, 2);
  });

  describe('lock contention', () => {
    let savedTimeout: number;
    before(async () => {
      const [rows] = (await admin('SELECT @@GLOBAL.innodb_lock_wait_timeout AS t')) as any[];
      savedTimeout = Number(rows[0].t);
      // New connections take the global value: a 1 s lock wait keeps these tests short.
      await admin('SET GLOBAL innodb_lock_wait_timeout = 1');
    });
    after(() => admin(`SET GLOBAL innodb_lock_wait_timeout = ${savedTimeout}`));

    it('retries an autocommit statement after a lock-wait timeout (1205)', async () => {
      const {ds, Item} = makeDataSource({connectionLimit: 3});
      const item = await Item.create({name: 'locked', qty: 1});
      const statements: string[] = [];
      ds.connector.observe('before execute', (ctx: any, next: () => void) => {
        statements.push(ctx.req.sql);
        next();
      });
      const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
      await Item.updateAll({id: item.id}, {qty: 2}, {transaction: tx});
      // The lock is released after the first wait timed out, while the connector backs off and retries.
      setTimeout(() => void tx.commit(), 1300);
      const result = await Item.updateAll({id: item.id}, {qty: 3});
      assert.equal(result.count, 1);
      assert.equal((await Item.findById(item.id)).qty, 3);
      assert.ok(
        statements.filter((s) => s.startsWith('UPDATE')).length >= 2,
        'the UPDATE ran once in the transaction and then at least once outside',
      );
    });

    it('surfaces a lock-wait timeout inside a transaction with its errno, without retrying', async () => {
      const {Item} = makeDataSource({connectionLimit: 3});
      const item = await Item.create({name: 'held', qty: 1});
      const holder = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
      await Item.updateAll({id: item.id}, {qty: 2}, {transaction: holder});
      const waiter = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
      const started = Date.now();
      const err = await rejection(Item.updateAll({id: item.id}, {qty: 5}, {transaction: waiter}));
      assert.equal(err.errno, 1205);
      assert.equal(err.code, 'ER_LOCK_WAIT_TIMEOUT');
      assert.equal(err.statusCode, 409);
      assert.ok(Date.now() - started < 2500, 'not retried inside the transaction');
      await waiter.rollback();
      await holder.rollback();
    });
  });

  it('recovers from a pooled connection killed by the server', async () => {
    const {ds} = makeDataSource({connectionLimit: 1});
    const [row] = await ds.connector.execute('SELECT CONNECTION_ID() AS id', [], {});
    await admin(`KILL CONNECTION ${Number(row.id)}`);
    await sleep(100);
    const [after] = await ds.connector.execute('SELECT CONNECTION_ID() AS id', [], {});
    assert.notEqual(after.id, row.id);
  });

  it('rolls back and releases the connection when a transaction times out', async () => {
    const {Item} = makeDataSource({connectionLimit: 1, acquireTimeout: 3000});
    const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED', timeout: 200});
    await Item.create({name: 'never', qty: 1}, {transaction: tx});
    await sleep(400);
    assert.equal(await Item.count({name: 'never'}), 0);
  });

  it('keeps connectionLimit 1 usable after a failed commit', async () => {
    const {ds, Item} = makeDataSource({connectionLimit: 1});
    const tx = await Item.beginTransaction({isolationLevel: 'READ COMMITTED'});
    await Item.create({name: 'lost-with-the-connection', qty: 1}, {transaction: tx});
    const [row] = await ds.connector.execute('SELECT CONNECTION_ID() AS id', [], {transaction: tx});
    await admin(`KILL CONNECTION ${Number(row.id)}`);
    await sleep(100);
    const err = await rejection(tx.commit());
    assert.equal(typeof err.code, 'string');
    assert.equal(err.statusCode, 503);
    // The only connection was given up, not leaked: the next call gets a new one.
    assert.equal(await Item.count({name: 'lost-with-the-connection'}), 0);
  });

  it('lets disconnect() wait for the statements in flight', async () => {
    const {ds} = makeDataSource();
    const running = ds.connector.execute('SELECT SLEEP(0.4) AS s', [], {});
    await sleep(50);
    await ds.disconnect();
    const rows = await running;
    assert.equal(Number(rows[0].s), 0);
    assert.equal(ds.connector.client, undefined);
  });
});
