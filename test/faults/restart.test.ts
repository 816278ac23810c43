/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and errors are dynamic */
/*
 * Fault injection on a private MariaDB server (never the shared one): a clean restart and a kill -9 + restart in the
 * middle of a stream of creates, and a KILL CONNECTION of a statement in flight (a write and a SELECT). The application keeps its one
 * DataSource throughout: calls during the outage fail fast with a clear error, calls after it succeed, and no
 * acknowledged write is lost.
 *
 * Run: npx mocha --timeout 120000 test/faults/restart.test.ts   (FAULTS_VERBOSE=1 prints a summary per test)
 */
import assert from 'node:assert/strict';
import mysql2 from 'mysql2';
import {type PrivateServer, startPrivateServer} from '../helpers/private-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const DATABASE = 'lbts_faults';
/** Every call must settle within this, outage or not. */
const SETTLE_MS = 5000;
const LOOP_MS = 4000;
const INTERVAL_MS = 5;
const FAULT_AT_MS = 1200;
const OUTAGE_MS = 500;
/** The loop goes on at least this long after the server is back (a MySQL restart takes longer than MariaDB's). */
const AFTER_READY_MS = 1500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const verbose = !!process.env.FAULTS_VERBOSE;

interface Outcome {
  seq: number;
  started: number;
  settled?: number;
  ok?: boolean;
  id?: number;
  err?: any;
}

interface FaultTimes {
  /** Just before the server was stopped or killed. */
  down: number;
  /** When the restarted server accepted connections again. */
  ready: number;
}

function codes(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.ok === false) {
      const key = `${o.err?.code}/${o.err?.statusCode}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** A clear error: an Error with a string `code` and a numeric `statusCode`. */
function assertClearError(err: unknown, what: string): void {
  assert.ok(err instanceof Error, `${what} failed with a non-Error: ${String(err)}`);
  const {code, statusCode} = err as Error & {code?: unknown; statusCode?: unknown};
  assert.equal(typeof code, 'string', `${what}: no string code: ${String(err)}`);
  assert.equal(typeof statusCode, 'number', `${what} (${String(code)}): no numeric statusCode`);
}

describe('faults: server restart under load', function () {
  this.timeout(60000);
  let server: PrivateServer | undefined;
  let ds: any;
  const dsErrors: unknown[] = [];

  before(async function () {
    this.timeout(90000);
    server = await startPrivateServer();
    ds = new DataSource(connector, {
      host: server.host,
      port: server.port,
      user: 'root',
      password: '',
      database: DATABASE,
      createDatabase: true,
      connectionLimit: 4,
      connectTimeout: 2000,
    });
    ds.on('error', (err: unknown) => dsErrors.push(err));
    await ds.connect();
  });

  after(async function () {
    this.timeout(60000);
    try {
      if (ds) await ds.disconnect();
    } finally {
      if (server) await server.destroy();
    }
  });

  function defineTicks(name: string): any {
    return ds.define(
      name,
      {id: {type: Number, id: true, generated: true}, seq: {type: Number, required: true}},
      {mysql: {table: name}},
    );
  }

  /**
   * Fires one create every INTERVAL_MS for LOOP_MS (and at least AFTER_READY_MS after the fault is over) without
   * waiting for the previous ones, runs `fault` at FAULT_AT_MS, then waits (at most SETTLE_MS) for the calls still in
   * flight.
   */
  async function writeLoop(
    Model: any,
    fault: () => Promise<FaultTimes>,
  ): Promise<{outcomes: Outcome[]; times: FaultTimes}> {
    const outcomes: Outcome[] = [];
    const pending: Promise<void>[] = [];
    const t0 = Date.now();
    let faulted: Promise<FaultTimes> | undefined;
    let readyAt = Infinity;
    const goOn = () => Date.now() - t0 < LOOP_MS || Date.now() - readyAt < AFTER_READY_MS;
    for (let seq = 1; goOn(); seq++) {
      if (!faulted && Date.now() - t0 >= FAULT_AT_MS) {
        faulted = fault();
        faulted.then(
          (t) => (readyAt = t.ready),
          () => (readyAt = -Infinity),
        );
      }
      const o: Outcome = {seq, started: Date.now()};
      outcomes.push(o);
      pending.push(
        Promise.resolve()
          .then(() => Model.create({seq}))
          .then(
            (instance: any) => {
              o.ok = true;
              o.id = Number(instance.id);
            },
            (err: unknown) => {
              o.ok = false;
              o.err = err;
            },
          )
          .finally(() => {
            o.settled = Date.now();
          }),
      );
      await sleep(INTERVAL_MS);
    }
    assert.ok(faulted, 'the fault never ran');
    const times = await faulted;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => (timer = setTimeout(resolve, SETTLE_MS + 500))),
    ]);
    clearTimeout(timer);
    return {outcomes, times};
  }

  async function checkRun(
    name: string,
    Model: any,
    outcomes: Outcome[],
    times: FaultTimes,
  ): Promise<void> {
    const now = Date.now();
    // No call hangs: each settled, within SETTLE_MS of its start.
    const hung = outcomes.filter((o) => o.settled === undefined);
    assert.deepEqual(
      hung.map((o) => o.seq),
      [],
      `${hung.length} creates had not settled ${now - (hung[0]?.started ?? now)} ms after they started`,
    );
    const slow = outcomes.filter((o) => (o.settled as number) - o.started > SETTLE_MS);
    assert.deepEqual(
      slow.map((o) => `#${o.seq} took ${(o.settled as number) - o.started} ms`),
      [],
      'creates that took longer than 5 s to settle',
    );

    const acked = outcomes.filter((o) => o.ok);
    const failed = outcomes.filter((o) => o.ok === false);
    // The fault really hit the loop.
    assert.ok(failed.length > 0, `no create failed during the outage (${outcomes.length} creates)`);
    // Failures are clear errors: an Error with a string code and a numeric statusCode.
    for (const o of failed) assertClearError(o.err, `create #${o.seq}`);
    // Calls that start once the server is back all succeed, with no new DataSource.
    const afterRestart = outcomes.filter((o) => o.started >= times.ready);
    assert.ok(afterRestart.length > 50, `only ${afterRestart.length} creates after the restart`);
    const failedAfter = afterRestart.filter((o) => !o.ok);
    assert.deepEqual(
      failedAfter.map(
        (o) => `#${o.seq} +${o.started - times.ready} ms: ${o.err?.code} ${o.err?.message}`,
      ),
      [],
      'creates started after the restart failed',
    );
    // Calls before the fault all succeed too (the loop itself works).
    const beforeFault = outcomes.filter((o) => (o.settled as number) < times.down);
    assert.ok(beforeFault.length > 50, `only ${beforeFault.length} creates before the fault`);
    assert.ok(
      beforeFault.every((o) => o.ok),
      'creates before the fault failed',
    );

    // Every acknowledged write is in the table, with its id and seq; nothing was written twice.
    const rows: {id: number; seq: number}[] = await (server as PrivateServer).query(
      `SELECT id, seq FROM \`${name}\` ORDER BY id`,
      DATABASE,
    );
    const bySeq = new Map<number, number[]>();
    for (const r of rows) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), Number(r.id)]);
    const missing = acked.filter((o) => !bySeq.get(o.seq)?.includes(o.id as number));
    assert.deepEqual(
      missing.map((o) => `seq ${o.seq} id ${o.id}`),
      [],
      `${missing.length} acknowledged creates are missing from the table`,
    );
    const duplicated = [...bySeq].filter(([, ids]) => ids.length > 1);
    assert.deepEqual(duplicated, [], 'creates applied more than once');
    assert.ok(rows.length >= acked.length && rows.length <= outcomes.length);
    const unknownSeq = rows.filter((r) => r.seq < 1 || r.seq > outcomes.length);
    assert.deepEqual(unknownSeq, []);
    // Failed creates that were applied anyway are allowed (never acknowledged); count them for the summary.
    const appliedButFailed = failed.filter((o) => bySeq.has(o.seq));

    // Calls after the run succeed, through the same DataSource.
    const extra = await Model.create({seq: outcomes.length + 1});
    assert.equal(extra.seq, outcomes.length + 1);
    assert.equal(await Model.count(), rows.length + 1);
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);

    if (verbose) {
      const durations = failed.map((o) => (o.settled as number) - o.started);
      console.log(
        `    ${name}: ${outcomes.length} creates, ${acked.length} acknowledged, ${failed.length} failed ` +
          `(${JSON.stringify(codes(outcomes))}, slowest failure ${Math.max(...durations)} ms), ` +
          `${appliedButFailed.length} failed but applied, ${rows.length} rows; ` +
          `outage ${times.ready - times.down} ms`,
      );
    }
  }

  it('a clean stop and restart mid-stream: fast clear failures, then success; no acknowledged write lost', async function () {
    const name = 'fault_restart';
    const Model = defineTicks(name);
    await ds.automigrate(name);
    const srv = server as PrivateServer;
    const {outcomes, times} = await writeLoop(Model, async () => {
      const down = Date.now();
      await srv.stop();
      await sleep(OUTAGE_MS);
      await srv.restart();
      return {down, ready: Date.now()};
    });
    await checkRun(name, Model, outcomes, times);
  });

  it('kill -9 and restart mid-stream: fast clear failures, then success; no acknowledged write lost', async function () {
    const name = 'fault_kill';
    const Model = defineTicks(name);
    await ds.automigrate(name);
    const srv = server as PrivateServer;
    const {outcomes, times} = await writeLoop(Model, async () => {
      const down = Date.now();
      await srv.kill();
      await sleep(OUTAGE_MS);
      await srv.restart();
      return {down, ready: Date.now()};
    });
    await checkRun(name, Model, outcomes, times);
  });

  /**
   * Runs `sql` through the connector, kills its connection from a second connection after 200 ms, and returns how
   * the call settled. Then checks that the next calls, through the same DataSource, succeed on another connection.
   */
  async function killMidStatement(
    sql: string,
  ): Promise<{ok: boolean; rows?: unknown; err?: any; elapsed: number; killedId: number}> {
    const srv = server as PrivateServer;
    const started = Date.now();
    const call = ds.execute(sql).then(
      (rows: unknown) => ({ok: true, rows, elapsed: Date.now() - started}),
      (err: any) => ({ok: false, err, elapsed: Date.now() - started}),
    );
    await sleep(200);
    const killer = mysql2.createConnection({
      host: srv.host,
      port: srv.port,
      user: 'root',
      password: '',
      connectTimeout: 2000,
    });
    killer.on('error', () => undefined);
    let killedId: number;
    try {
      const [found] = (await killer
        .promise()
        .query(
          'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO = ? AND ID <> CONNECTION_ID()',
          [sql],
        )) as any;
      assert.equal(found.length, 1, `expected one connection running ${sql}`);
      killedId = Number(found[0].id);
      await killer.promise().query(`KILL CONNECTION ${killedId}`);
    } finally {
      killer.destroy();
    }
    const result = await call;
    if (verbose) {
      const {err} = result;
      console.log(
        `    KILL CONNECTION ${killedId} running ${sql}: ` +
          (result.ok
            ? `resolved after ${result.elapsed} ms with ${JSON.stringify(result.rows)}`
            : `${err.code} (errno ${err.errno}, status ${err.statusCode}) after ${result.elapsed} ms: ${err.message}`),
      );
    }
    // The next calls succeed, on a live connection other than the killed one, with the same DataSource.
    const [{id}] = await ds.execute('SELECT CONNECTION_ID() AS id');
    assert.notEqual(Number(id), killedId);
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
    return {...result, killedId};
  }

  function assertKilledCallFailed(
    result: {ok: boolean; rows?: unknown; err?: any; elapsed: number},
    sql: string,
  ): void {
    assert.equal(
      result.ok,
      false,
      `${sql}: the killed call was not failed: it resolved after ${result.elapsed} ms with ` +
        `${JSON.stringify(result.rows)} (the connector ran it again on another connection)`,
    );
    assertClearError(result.err, sql);
    assert.ok(result.elapsed < 1500, `the killed call settled only after ${result.elapsed} ms`);
  }

  it('KILL CONNECTION of a write in flight fails that call clearly; the next call succeeds', async function () {
    const name = 'fault_kill_write';
    const Model = defineTicks(name);
    await ds.automigrate(name);
    await Model.create({seq: 1});
    const sql = `UPDATE \`${name}\` SET seq = seq + 1 + SLEEP(2)`;
    const result = await killMidStatement(sql);
    assertKilledCallFailed(result, sql);
    // The write was not acknowledged: applied at most once (InnoDB rolls a killed statement back).
    const [row] = await Model.find();
    assert.ok([1, 2].includes(row.seq), `seq is ${row.seq}`);
    await Model.create({seq: 2});
    assert.equal(await Model.count(), 2);
  });

  it('KILL CONNECTION of a SELECT in flight fails that call clearly; the next call succeeds', async function () {
    const sql = 'SELECT SLEEP(2) AS slept';
    const result = await killMidStatement(sql);
    assertKilledCallFailed(result, sql);
  });
});
