/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources, transactions and errors are dynamic */
/*
 * Network faults between the connector and a private server (never the shared one), through the test suite's TCP
 * proxy (../helpers/tcp-proxy.ts): connections that stall and never answer again (during a statement, a BEGIN, a
 * COMMIT, a handshake), refused connections, a reset in the middle of a result, and latency. Every call settles
 * within its deadline with a clear 5xx error, and the pool (connectionLimit 2) keeps both of its connections usable.
 *
 * Run: npx mocha --timeout 120000 test/faults/network.test.ts
 */
import assert from 'node:assert/strict';
import {type PrivateServer, startPrivateServer} from '../helpers/private-server';
import {TcpProxy} from '../helpers/tcp-proxy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const DATABASE = 'lbts_network';
const ACQUIRE_TIMEOUT_MS = 2000;
const QUERY_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
/** Slack on top of a deadline: timers, a KILL QUERY, the event loop. */
const MARGIN_MS = 700;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How a call settled, and how long it took. */
async function settle(
  promise: Promise<unknown>,
  capMs = 15000,
): Promise<{ok: boolean; value?: any; err?: any; ms: number}> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<{ok: boolean; err: any; ms: number}>((resolve) => {
    timer = setTimeout(
      () => resolve({ok: false, err: new Error(`did not settle within ${capMs} ms`), ms: capMs}),
      capMs,
    );
  });
  const result = await Promise.race([
    promise.then(
      (value) => ({ok: true, value, ms: Date.now() - started}),
      (err: unknown) => ({ok: false, err, ms: Date.now() - started}),
    ),
    cap,
  ]);
  clearTimeout(timer);
  return result;
}

/** A clear failure: an Error with a string code and a 5xx statusCode, within `withinMs`. */
function assertFailedClearly(
  result: {ok: boolean; value?: any; err?: any; ms: number},
  withinMs: number,
  what: string,
): void {
  assert.equal(result.ok, false, `${what} succeeded (${JSON.stringify(result.value)})`);
  assert.ok(result.err instanceof Error, `${what} failed with a non-Error: ${String(result.err)}`);
  const err = result.err as Error & {code?: string; statusCode?: number};
  assert.equal(typeof err.code, 'string', `${what}: no code: ${err.message}`);
  assert.ok(
    typeof err.statusCode === 'number' && err.statusCode >= 500 && err.statusCode <= 599,
    `${what}: statusCode ${err.statusCode} (${err.code}: ${err.message})`,
  );
  assert.ok(
    result.ms <= withinMs,
    `${what} took ${result.ms} ms to fail (${err.code}), over ${withinMs} ms`,
  );
}

describe('faults: a hostile network between the connector and the server', function () {
  this.timeout(60000);
  let server: PrivateServer;
  let proxy: TcpProxy;
  let ds: any;
  let Item: any;
  const dsErrors: unknown[] = [];
  const processErrors: unknown[] = [];
  const onProcessError = (err: unknown) => processErrors.push(err);

  before(async function () {
    this.timeout(90000);
    process.on('unhandledRejection', onProcessError);
    process.on('uncaughtException', onProcessError);
    server = await startPrivateServer();
    await server.query(`CREATE DATABASE ${DATABASE}`);
  });

  after(async function () {
    this.timeout(60000);
    process.off('unhandledRejection', onProcessError);
    process.off('uncaughtException', onProcessError);
    if (server) await server.destroy();
  });

  beforeEach(async function () {
    proxy = await TcpProxy.start({host: server.host, port: server.port});
    ds = new DataSource(connector, {
      host: proxy.host,
      port: proxy.port,
      user: 'root',
      password: '',
      database: DATABASE,
      connectionLimit: 2,
      acquireTimeout: ACQUIRE_TIMEOUT_MS,
      queryTimeout: QUERY_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    ds.on('error', (err: unknown) => dsErrors.push(err));
    await ds.connect();
    Item = ds.define(
      'NetItem',
      {id: {type: Number, id: true, generated: true}, name: {type: String}},
      {mysql: {table: 'net_item'}},
    );
    await ds.automigrate('NetItem');
  });

  afterEach(async function () {
    const closing = settle(ds.disconnect(), 10000);
    const closed = await closing;
    await proxy.close();
    assert.ok(
      closed.ok && closed.ms < 5000,
      `disconnect took ${closed.ms} ms: ${closed.err?.message}`,
    );
    assert.deepEqual(processErrors.map(String), [], 'unhandled errors in the process');
  });

  /** Two pooled connections, open and idle. */
  async function warmPool(): Promise<void> {
    await Promise.all([ds.execute('SELECT SLEEP(0.05)'), ds.execute('SELECT SLEEP(0.05)')]);
    assert.equal(ds.connector.client._allConnections.length, 2);
  }

  /** The pool is whole: both connections can be held at once, each in a transaction, and used. */
  async function assertPoolServes(what: string): Promise<void> {
    const pool = ds.connector.client;
    const begun = await settle(
      Promise.all([Item.beginTransaction({}), Item.beginTransaction({})]),
      ACQUIRE_TIMEOUT_MS + QUERY_TIMEOUT_MS + MARGIN_MS + 1000,
    );
    assert.ok(
      begun.ok,
      `${what}: two transactions at once failed (${begun.err?.code}: ${begun.err?.message}); the pool has ` +
        `${pool._allConnections.length} connections, ${pool._freeConnections.length} free`,
    );
    for (const tx of begun.value) {
      await Item.create({name: what}, {transaction: tx});
      await tx.commit();
    }
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
  }

  it('a statement on a stalled connection fails with 504 within queryTimeout; the KILL QUERY holds no connection', async function () {
    await warmPool();
    proxy.stallAll();
    const result = await settle(ds.execute('SELECT 1 AS one'));
    assertFailedClearly(result, QUERY_TIMEOUT_MS + MARGIN_MS, 'SELECT on a stalled connection');
    assert.equal(result.err.code, 'QUERY_TIMEOUT');
    // The connector sent KILL QUERY on another connection: the other pooled one, stalled as well.
    await sleep(QUERY_TIMEOUT_MS + MARGIN_MS);
    await assertPoolServes('after a statement timed out on a stalled connection');
  });

  it('a COMMIT on a stalled connection fails within queryTimeout; the pool serves the next calls', async function () {
    const tx = await Item.beginTransaction({});
    await Item.create({name: 'maybe'}, {transaction: tx});
    proxy.stallAll();
    const result = await settle(tx.commit());
    assertFailedClearly(result, QUERY_TIMEOUT_MS + MARGIN_MS, 'COMMIT on a stalled connection');
    await assertPoolServes('after a stalled COMMIT');
    // The outcome of that COMMIT is unknown to the application; here it never reached the server.
    assert.equal(await Item.count({name: 'maybe'}), 0);
  });

  it('a ROLLBACK on a stalled connection fails within queryTimeout and nothing is applied', async function () {
    const tx = await Item.beginTransaction({});
    await Item.create({name: 'never'}, {transaction: tx});
    proxy.stallAll();
    const result = await settle(tx.rollback());
    assertFailedClearly(result, QUERY_TIMEOUT_MS + MARGIN_MS, 'ROLLBACK on a stalled connection');
    await assertPoolServes('after a stalled ROLLBACK');
    assert.equal(await Item.count({name: 'never'}), 0);
  });

  it('a BEGIN on a stalled pooled connection fails within acquireTimeout + queryTimeout', async function () {
    // One pooled connection, which stalls: a stalled idle connection is only found out by using it.
    await ds.execute('SELECT 1 AS one');
    assert.equal(ds.connector.client._allConnections.length, 1);
    proxy.stallAll();
    const result = await settle(Item.beginTransaction({}));
    assertFailedClearly(
      result,
      ACQUIRE_TIMEOUT_MS + QUERY_TIMEOUT_MS + MARGIN_MS,
      'BEGIN on a stalled connection',
    );
    await assertPoolServes('after a stalled BEGIN');
  });

  it('a handshake that never comes fails within connectTimeout; the next connections work', async function () {
    proxy.resetAll();
    await sleep(50);
    proxy.stallNew(true);
    const result = await settle(ds.execute('SELECT 1 AS one'));
    assertFailedClearly(result, ACQUIRE_TIMEOUT_MS + MARGIN_MS, 'a call while handshakes stall');
    proxy.stallNew(false);
    await assertPoolServes('after stalled handshakes');
  });

  it('refused connections fail fast with 503; calls work again once the server accepts', async function () {
    const refusing = proxy.refuse(1500);
    proxy.resetAll();
    await sleep(50);
    const result = await settle(ds.execute('SELECT 1 AS one'));
    assertFailedClearly(result, 1000, 'a call while connections are refused');
    await refusing;
    await assertPoolServes('after refused connections');
  });

  it('a reset in the middle of a result fails that call with 503; the next call gets the whole result', async function () {
    await Item.createAll(
      Array.from({length: 300}, (_, i) => ({name: `item ${i} ${'x'.repeat(40)}`})),
    );
    proxy.armResets(1, 1000);
    const result = await settle(Item.find());
    assertFailedClearly(result, MARGIN_MS, 'a find cut by a reset');
    assert.equal(proxy.stats.reset, 1);
    assert.equal((await Item.find()).length, 300);
    await assertPoolServes('after a reset mid-result');
  });

  it('a reset in the middle of a streamed result fails the stream with 503 at once; its connection is not reused', async function () {
    await Item.createAll(
      Array.from({length: 3000}, (_, i) => ({name: `item ${i} ${'x'.repeat(40)}`})),
    );
    proxy.armResets(1, 1000);
    let read = 0;
    const result = await settle(
      (async () => {
        for await (const row of ds.connector.stream('NetItem', {order: 'id'})) {
          assert.ok(row);
          read++;
        }
        return read;
      })(),
    );
    // mysql2 tells a streamed statement nothing when its connection dies: without the connector's own watch the loop
    // would wait for queryTimeout (504), or forever without one.
    assertFailedClearly(result, MARGIN_MS, 'a stream cut by a reset');
    assert.equal(result.err.statusCode, 503, `${result.err.code}: ${result.err.message}`);
    assert.ok(read < 3000, `${read} rows read before the reset`);
    assert.equal(proxy.stats.reset, 1);
    let again = 0;
    for await (const row of ds.connector.stream('NetItem', {order: 'id'})) if (row) again++;
    assert.equal(again, 3000);
    await assertPoolServes('after a reset mid-stream');
  });

  it('latency below queryTimeout slows calls down; beyond it, calls fail with 504 and the pool recovers', async function () {
    proxy.setLatency(100);
    const slow = await settle(ds.execute('SELECT 1 AS one'));
    assert.ok(slow.ok, `a call with 100 ms latency failed: ${slow.err?.message}`);
    assert.ok(slow.ms >= 200, `a call with 100 ms each way took ${slow.ms} ms`);
    proxy.setLatency(QUERY_TIMEOUT_MS);
    const late = await settle(ds.execute('SELECT 1 AS one'));
    assertFailedClearly(
      late,
      ACQUIRE_TIMEOUT_MS + QUERY_TIMEOUT_MS + MARGIN_MS,
      'a call slower than queryTimeout',
    );
    proxy.setLatency(0);
    await assertPoolServes('after latency');
  });
});
