/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Connecting, lazy connection, reconnection, failures, settings and disconnection, against the real server.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import * as connector from '../../src';
import {MySQL} from '../../src';
import {
  admin,
  createDatabase,
  dataSourceSettings,
  dropDatabase,
  serverConfig,
} from '../helpers/mysql-config';
import {rejection} from '../helpers/assertions';
import {assertPrinted, startCapture} from '../helpers/output';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

/** Resolves with the error the promise rejects with; fails when it resolves. */

describe('lifecycle (integration)', function () {
  let db: string;
  const dataSources: any[] = [];
  const extraDatabases: string[] = [];

  /** A data source that `after` disconnects; `error` events are collected instead of thrown. */
  function makeDataSource(settings: Record<string, unknown>): any {
    const ds = new DataSource(connector, settings);
    ds.errors = [] as unknown[];
    ds.on('error', (err: unknown) => ds.errors.push(err));
    dataSources.push(ds);
    return ds;
  }

  function waitConnected(ds: any): Promise<void> {
    if (ds.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      ds.once('connected', () => resolve());
      ds.once('error', reject);
    });
  }

  before(async function () {
    db = await createDatabase('lifecycle');
  });

  after(async function () {
    for (const ds of dataSources) await ds.disconnect();
    for (const name of extraDatabases) await dropDatabase(name);
    if (db) await dropDatabase(db);
  });

  it('connects on creation: ds.connected becomes true and the pool exists', async function () {
    const ds = makeDataSource(dataSourceSettings(db));
    await waitConnected(ds);
    assert.equal(ds.connected, true);
    assert.ok(ds.connector instanceof MySQL);
    assert.notEqual(ds.connector.client, undefined);
    const rows = await ds.execute('SELECT DATABASE() AS d');
    assert.deepEqual(rows, [{d: db}]);
    assert.deepEqual(ds.errors, []);
  });

  it('detects the server flavour and version', async function () {
    const ds = makeDataSource(dataSourceSettings(db));
    await ds.connect();
    const [{v}] = await ds.execute('SELECT VERSION() AS v');
    const [{c}] = await ds.execute('SELECT @@version_comment AS c');
    assert.equal(ds.connector.server.flavor, /mariadb/i.test(`${v} ${c}`) ? 'mariadb' : 'mysql');
    const [, major, minor, patch] = /(\d+)\.(\d+)\.(\d+)/.exec(String(v).replace(/^5\.5\.5-/, ''))!;
    assert.equal(ds.connector.server.version, `${major}.${minor}.${patch}`);
  });

  it('lazyConnect does not connect until first use; a raw execute before connect works', async function () {
    this.timeout(5000);
    const ds = makeDataSource(dataSourceSettings(db, {lazyConnect: true}));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ds.connected, false);
    assert.equal(ds.connector.client, undefined);
    const rows = await new Promise<any>((resolve, reject) => {
      ds.connector.execute('SELECT 1 AS one', [], {}, (err: Error | null, result: unknown) =>
        err ? reject(err) : resolve(result),
      );
    });
    assert.deepEqual(rows, [{one: 1}]);
    const pool = ds.connector.client;
    assert.notEqual(pool, undefined);
    // The data source's disconnect ends the pool that the raw call opened.
    await ds.disconnect();
    assert.equal(ds.connector.client, undefined);
    assert.equal(pool._closed, true);
  });

  it('lazyConnect: parallel first calls share one pool', async function () {
    this.timeout(5000);
    const ds = makeDataSource(dataSourceSettings(db, {lazyConnect: true}));
    const Note = ds.define('Note', {id: {type: Number, id: true, generated: true}, text: String});
    await ds.automigrate();
    const pool = ds.connector.client;
    const results = await Promise.all(
      Array.from({length: 10}, (_, i) => ds.connector.execute('SELECT ? AS i', [i])),
    );
    assert.deepEqual(
      results.map((r: any) => r[0].i),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(ds.connector.client, pool);
    await Note.create({text: 'x'});
    assert.equal(await Note.count(), 1);
  });

  it('execute and model calls after disconnect reconnect', async function () {
    const ds = makeDataSource(dataSourceSettings(db));
    const Memo = ds.define('Memo', {id: {type: Number, id: true, generated: true}, text: String});
    await waitConnected(ds);
    await ds.automigrate();
    await Memo.create({text: 'before'});
    await ds.disconnect();
    assert.equal(ds.connector.client, undefined);
    assert.equal(ds.connected, false);
    const rows = await ds.connector.execute('SELECT 2 AS two');
    assert.deepEqual(rows, [{two: 2}]);
    assert.notEqual(ds.connector.client, undefined);
    await ds.disconnect();
    assert.equal(ds.connector.client, undefined);
    const memos = await Memo.find();
    assert.deepEqual(
      memos.map((m: any) => m.text),
      ['before'],
    );
  });

  it('a closed port fails connect with ECONNREFUSED / 503 within 5 s, never "connected"', async function () {
    this.timeout(5000);
    const ds = makeDataSource({
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      database: db,
      lazyConnect: true,
    });
    const started = Date.now();
    const err = await rejection(ds.connect());
    assert.ok(Date.now() - started < 5000);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.statusCode, 503);
    assert.equal(ds.connected, false);
    assert.equal(ds.connector.client, undefined);
    assert.equal(ds.errors.length, 1);
    assert.equal(ds.errors[0], err);
    // Later calls fail the same way instead of hanging.
    const again = await rejection(ds.connector.execute('SELECT 1'));
    assert.equal(again.code, 'ECONNREFUSED');
    assert.equal(ds.connector.client, undefined);
    const pingErr = await rejection(ds.ping());
    assert.equal(pingErr.statusCode, 503);
  });

  it('a closed port without lazyConnect reports the failure as an error event', async function () {
    this.timeout(5000);
    const capture = startCapture();
    const ds = new DataSource(connector, {host: '127.0.0.1', port: 1, user: 'root'});
    dataSources.push(ds);
    const err: any = await new Promise((resolve) => ds.once('error', resolve)).finally(() =>
      capture.stop(),
    );
    // juggler itself reports a failed connect() that no call waits for.
    assertPrinted(capture.lines, [/^Connection fails: .*ECONNREFUSED 127\.0\.0\.1:1\b/]);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.statusCode, 503);
    assert.equal(ds.connected, false);
  });

  it('connectTimeout bounds a server that never answers the handshake', async function () {
    this.timeout(5000);
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const ds = makeDataSource({
        host: '127.0.0.1',
        port,
        user: 'root',
        connectTimeout: 400,
        lazyConnect: true,
      });
      const started = Date.now();
      const err = await rejection(ds.connect());
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 350, `failed after ${elapsed} ms, before the timeout`);
      assert.ok(elapsed < 2500, `failed after ${elapsed} ms`);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.equal(err.statusCode, 503);
      assert.equal(ds.connected, false);
      assert.equal(ds.connector.client, undefined);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('merges the url with other settings (connectionLimit: 3)', async function () {
    this.timeout(5000);
    const {host, port, user, password} = serverConfig();
    const auth = encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : '');
    const ds = makeDataSource({
      url: `mysql://${auth}@${host}:${port}/${db}?connectTimeout=4321`,
      host: 'wrong-host.invalid',
      database: 'wrong_db',
      connectionLimit: 3,
    });
    await waitConnected(ds);
    const config = ds.connector.client.config;
    assert.equal(config.connectionLimit, 3);
    assert.equal(config.connectionConfig.database, db);
    assert.equal(config.connectionConfig.host, host);
    assert.equal(config.connectionConfig.port, port);
    assert.equal(config.connectionConfig.connectTimeout, 4321);
    const [{d}] = await ds.execute('SELECT DATABASE() AS d');
    assert.equal(d, db);
    // The pool opens at most 3 connections.
    const rows = await Promise.all(
      Array.from({length: 6}, () => ds.execute('SELECT CONNECTION_ID() AS id, SLEEP(0.15) AS s')),
    );
    assert.equal(new Set(rows.map((r: any) => r[0].id)).size, 3);
  });

  it('does not mutate the settings object', async function () {
    const settings = dataSourceSettings(db, {
      // juggler itself writes a missing `debug` into the settings; give it so that only the connector is tested.
      debug: false,
      lazyConnect: false,
      connectionLimit: 2,
      mysql2: {enableKeepAlive: true, flags: ['-MULTI_STATEMENTS']},
      flags: 'IGNORE_SPACE',
      allowExtendedOperators: true,
    });
    const copy = structuredClone(settings);
    const ds = makeDataSource(settings);
    await waitConnected(ds);
    await ds.execute('SELECT 1');
    await ds.disconnect();
    await ds.connect();
    assert.deepEqual(settings, copy);
  });

  it('the connector alone accepts deeply frozen settings', async function () {
    const deepFreeze = <T>(o: T): T => {
      for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
      return Object.freeze(o);
    };
    const settings = deepFreeze(
      dataSourceSettings(db, {mysql2: {enableKeepAlive: true}, flags: ['IGNORE_SPACE']}),
    );
    const copy = structuredClone(settings);
    const mysql = new MySQL(settings);
    try {
      await mysql.connectAsync();
      const rows = await mysql.execute('SELECT 3 AS three', [], {}, undefined);
      assert.deepEqual(rows, [{three: 3}]);
    } finally {
      await mysql.disconnectAsync();
    }
    assert.deepEqual(settings, copy);
  });

  it('mysql2 prints no warning about LoopBack settings', async function () {
    const printed: unknown[][] = [];
    const {warn, error, log} = console;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was
    const {emitWarning} = process;
    console.warn = (...args: unknown[]) => void printed.push(['warn', ...args]);
    console.error = (...args: unknown[]) => void printed.push(['error', ...args]);
    console.log = (...args: unknown[]) => void printed.push(['log', ...args]);
    process.emitWarning = (...args: unknown[]) => void printed.push(['emitWarning', ...args]);
    try {
      const ds = makeDataSource(
        dataSourceSettings(db, {
          lazyConnect: true,
          connector,
          name: 'warned',
          allowExtendedOperators: true,
          debug: true,
          hostname: 'ignored-alias.invalid',
          username: 'ignored-alias',
          db: 'ignored_alias',
          mysql2: {maxIdle: 2},
        }),
      );
      await ds.connect();
      await ds.execute('SELECT 1');
      await ds.disconnect();
    } finally {
      Object.assign(console, {warn, error, log});
      process.emitWarning = emitWarning;
    }
    assert.deepEqual(printed, []);
  });

  it('createDatabase: true creates a missing database; false reports it missing', async function () {
    const name = `lbts_lifecycle_new_${process.pid}`;
    extraDatabases.push(name);
    await dropDatabase(name);
    const missing = makeDataSource(
      dataSourceSettings(name, {createDatabase: false, lazyConnect: true}),
    );
    const err = await rejection(missing.connect());
    assert.equal(err.code, 'ER_BAD_DB_ERROR');
    assert.equal(err.statusCode, 404);
    const ds = makeDataSource(dataSourceSettings(name, {createDatabase: true}));
    await waitConnected(ds);
    const [rows] = (await admin(
      `SELECT DEFAULT_CHARACTER_SET_NAME AS cs FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`,
    )) as any[];
    assert.deepEqual(rows, [{cs: 'utf8mb4'}]);
    const [{d}] = await ds.execute('SELECT DATABASE() AS d');
    assert.equal(d, name);
  });

  it('ping works', async function () {
    const ds = makeDataSource(dataSourceSettings(db, {lazyConnect: true}));
    await ds.ping();
    assert.notEqual(ds.connector.client, undefined);
    await ds.disconnect();
    await ds.ping();
  });

  it('disconnect ends the pool: connector.client is undefined', async function () {
    const ds = makeDataSource(dataSourceSettings(db));
    await waitConnected(ds);
    const pool = ds.connector.client;
    await ds.disconnect();
    assert.equal(ds.connector.client, undefined);
    assert.equal(pool._closed, true);
    // A second disconnect is harmless.
    await ds.disconnect();
  });

  for (const [title, start] of [
    ['after connect()', "ds.connect().then(() => ds.execute('SELECT 1 AS one'))"],
    [
      'after a lazy raw execute',
      "new Promise((ok, ko) => ds.connector.execute('SELECT 1 AS one', [], {}, (e, r) => (e ? ko(e) : ok(r))))",
    ],
    [
      'after a lazy model call',
      "ds.automigrate().then(() => M.create({n: 1})).then(() => ds.execute('SELECT 1 AS one'))",
    ],
  ] as const) {
    it(`disconnect lets the process exit (${title})`, async function () {
      this.timeout(15000);
      const root = path.resolve(__dirname, '../..');
      const script = `
        const {DataSource} = require('loopback-datasource-juggler');
        const {dataSourceSettings} = require('./test/helpers/mysql-config');
        const ds = new DataSource(
          require('./src'),
          dataSourceSettings(${JSON.stringify(db)}, {lazyConnect: true}),
        );
        const M = ds.define('ExitCheck', {n: Number});
        ${start}
          .then((rows) => { console.log('rows', JSON.stringify(rows)); return ds.disconnect(); })
          .then(() => console.log('disconnected'));
      `;
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
        cwd: root,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let errOut = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 8000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(code, 0, `child did not exit by itself: ${out} ${errOut}`);
      assert.equal(out, 'rows [{"one":1}]\ndisconnected\n');
    });
  }
});
