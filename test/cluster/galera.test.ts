/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and errors are dynamic */
/*
 * Galera: a private 3-node cluster (test/helpers/cluster.ts) behind one data source with `nodes`. The node in use
 * is killed with SIGKILL in the middle of a write loop: calls in flight fail with a retryable 503, the loop goes on
 * on the other nodes, and no acknowledged write is lost. Data is checked on the nodes directly, with
 * `wsrep_sync_wait=1` so that a read waits for the writes the cluster has committed.
 */
import assert from 'node:assert/strict';
import {type Galera, type Node, startGalera} from '../helpers/cluster';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const DATABASE = 'lbts_galera';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const verbose = !!process.env.CLUSTER_VERBOSE;

interface Outcome {
  seq: number;
  started: number;
  settled?: number;
  ok?: boolean;
  id?: number;
  err?: any;
}

/** Rows of `sql` on `node`, read after the node has applied everything committed in the cluster. */
async function syncedRows(node: Node, sql: string): Promise<any[]> {
  const connection = await node.connect(DATABASE);
  try {
    await connection.query('SET SESSION wsrep_sync_wait = 1');
    const [rows] = await connection.query(sql);
    return rows as any[];
  } finally {
    connection.destroy();
  }
}

describe('cluster: Galera', function () {
  this.timeout(150000);
  let galera: Galera;
  let nodes: readonly Node[];
  const sources: any[] = [];

  before(async function () {
    this.timeout(150000);
    const t0 = Date.now();
    galera = await startGalera(3);
    nodes = galera.nodes;
    if (verbose) console.log(`    3-node Galera cluster up in ${Date.now() - t0} ms`);
  });

  after(async function () {
    this.timeout(60000);
    await Promise.all(sources.splice(0).map((ds) => ds.disconnect().catch(() => undefined)));
    if (galera) await galera.destroy();
  });

  // Every test starts from the whole cluster: one that failed half-way (a node still down) fails alone.
  beforeEach(async function () {
    const down = galera.nodes.map((n, i) => (n.running ? -1 : i)).filter((i) => i >= 0);
    for (const i of down) await galera.rejoin(i);
    await galera.waitForSize(3);
  });

  function nodeAt(i: number): Node {
    const node = nodes[i];
    assert.ok(node, `no node ${i}`);
    return node;
  }

  function dataSource(settings: Record<string, unknown> = {}): any {
    const ds = new DataSource(connector, {
      nodes: nodes.map((n) => ({host: n.host, port: n.port})),
      user: 'root',
      password: '',
      database: DATABASE,
      createDatabase: true,
      connectTimeout: 2000,
      ...settings,
    });
    ds.on('error', () => undefined);
    sources.push(ds);
    return ds;
  }

  it('the cluster works: 3 nodes, Synced, a write on one node is read on another', async function () {
    assert.equal(await galera.size(), 3);
    for (const node of nodes) {
      const rows: {Variable_name: string; Value: string}[] = await node.query(
        "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_status')",
      );
      const status = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
      assert.deepEqual(status, {
        wsrep_cluster_status: 'Primary',
        wsrep_local_state_comment: 'Synced',
      });
    }
    await nodeAt(0).query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
    await nodeAt(0).query(`CREATE TABLE ${DATABASE}.infra (id INT PRIMARY KEY)`);
    await nodeAt(0).query(`INSERT INTO ${DATABASE}.infra VALUES (1), (2)`);
    await nodeAt(1).query(`INSERT INTO ${DATABASE}.infra VALUES (3)`);
    for (const node of nodes) {
      assert.deepEqual(
        (await syncedRows(node, 'SELECT id FROM infra ORDER BY id')).map((r) => r.id),
        [1, 2, 3],
      );
    }
    await nodeAt(2).query(`DROP TABLE ${DATABASE}.infra`);
  });

  it('kill -9 of the node in use during a write loop: the loop goes on, no acknowledged write is lost; the node rejoins', async function () {
    const ds = dataSource();
    const name = 'galera_ticks';
    const Model = ds.define(
      name,
      {id: {type: Number, id: true, generated: true}, seq: {type: Number, required: true}},
      {mysql: {table: name}},
    );
    await ds.automigrate(name);
    const portOf = async () => Number((await ds.execute('SELECT @@port AS port'))[0].port);
    // ORDER (the default): every statement on the first node.
    assert.equal(await portOf(), nodeAt(0).port);

    const WORKERS = 3;
    const KILL_AT_MS = 1000;
    /** Writes stop while the cluster evicts the dead node (~3 s), so the loop runs on for a while after it. */
    const RUN_AFTER_KILL_MS = 4500;
    const SETTLE_MS = 15000;
    const outcomes: Outcome[] = [];
    let seq = 0;
    let killStarted = 0;
    let killDone = 0;
    const t0 = Date.now();
    const done = () =>
      killDone > 0 ? Date.now() - killDone > RUN_AFTER_KILL_MS : Date.now() - t0 > 30000;
    const worker = async () => {
      while (!done()) {
        const o: Outcome = {seq: ++seq, started: Date.now()};
        outcomes.push(o);
        try {
          const instance = await Model.create({seq: o.seq});
          o.id = Number(instance.id);
          o.ok = true;
        } catch (err) {
          o.ok = false;
          o.err = err;
          await sleep(20);
        }
        o.settled = Date.now();
      }
    };
    const fault = (async () => {
      await sleep(KILL_AT_MS);
      killStarted = Date.now();
      await galera.kill(0);
      killDone = Date.now();
    })();
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      Promise.all([...Array.from({length: WORKERS}, () => worker()), fault]).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 30000 + RUN_AFTER_KILL_MS + SETTLE_MS);
      }),
    ]);
    clearTimeout(timer);
    const hung = outcomes.filter((o) => o.settled === undefined);
    assert.ok(settled, `the loop did not end: ${hung.length} creates never settled`);

    const acked = outcomes.filter((o) => o.ok);
    const failed = outcomes.filter((o) => !o.ok);
    if (verbose) {
      const slowest = Math.max(...outcomes.map((o) => (o.settled as number) - o.started));
      console.log(
        `    ${outcomes.length} creates, ${acked.length} acknowledged, ${failed.length} failed ` +
          `(${failed.map((o) => `${o.err?.code}/${o.err?.statusCode} +${o.started - killStarted} ms`).join(', ')}); ` +
          `slowest ${slowest} ms`,
      );
    }
    // Calls that fail are the ones in flight on the killed node, with a retryable 503.
    for (const o of failed) {
      assert.ok(
        o.err instanceof Error,
        `create #${o.seq} failed with a non-Error: ${String(o.err)}`,
      );
      const err = o.err as Error & {code?: string; statusCode?: number};
      assert.equal(
        err.statusCode,
        503,
        `create #${o.seq} failed with ${err.code} (${err.statusCode}): ${err.message}`,
      );
    }
    const lateFailures = failed.filter((o) => o.started > killDone + 500);
    assert.deepEqual(
      lateFailures.map((o) => `#${o.seq} +${o.started - killDone} ms: ${o.err?.code}`),
      [],
      'creates started after the kill failed',
    );
    assert.ok(failed.length <= 2 * WORKERS, `${failed.length} creates failed`);
    // The loop wrote before the kill, and went on after it (on another node).
    const before = acked.filter((o) => (o.settled as number) < killStarted);
    const after = acked.filter((o) => o.started > killDone);
    assert.ok(before.length > 10, `only ${before.length} creates before the kill`);
    assert.ok(after.length > 10, `only ${after.length} creates acknowledged after the kill`);
    const survivorPort = await portOf();
    assert.equal(survivorPort, nodeAt(1).port, 'ORDER: the next live node in the list');

    // Every acknowledged write is there, once, on both surviving nodes.
    for (const node of [nodeAt(1), nodeAt(2)]) {
      const rows = await syncedRows(node, `SELECT id, seq FROM \`${name}\` ORDER BY id`);
      const bySeq = new Map<number, number[]>();
      for (const r of rows) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), Number(r.id)]);
      const missing = acked.filter((o) => !bySeq.get(o.seq)?.includes(o.id as number));
      assert.deepEqual(
        missing.map((o) => `seq ${o.seq} id ${o.id}`),
        [],
        `${missing.length} acknowledged creates are missing on ${node.name}`,
      );
      const duplicated = [...bySeq].filter(([, ids]) => ids.length > 1);
      assert.deepEqual(duplicated, [], `creates applied more than once on ${node.name}`);
      assert.ok(rows.length >= acked.length && rows.length <= outcomes.length);
    }
    assert.equal(await galera.size(), 2);

    // The killed node rejoins (IST) and has everything.
    const t1 = Date.now();
    await galera.rejoin(0);
    await galera.waitForSize(3);
    if (verbose) console.log(`    node 1 rejoined in ${Date.now() - t1} ms`);
    assert.equal(await galera.size(), 3);
    const total = (await syncedRows(nodeAt(1), `SELECT COUNT(*) AS n FROM \`${name}\``))[0].n;
    const [{n}] = await syncedRows(nodeAt(0), `SELECT COUNT(*) AS n FROM \`${name}\``);
    assert.equal(Number(n), Number(total));
    // The data source still works.
    const extra = await Model.create({seq: seq + 1});
    assert.ok(Number(extra.id) > 0);
  });

  it('a node that comes back while it is still joining gets no statement until it is Synced', async function () {
    // Back in rotation 200 ms after a refused connection: node 1 is tried again and again while its IST runs, when it
    // accepts connections but refuses statements (1047 WSREP has not yet prepared node for application use).
    const ds = dataSource({restoreNodeTimeout: 200});
    const name = 'galera_joiner';
    const Model = ds.define(
      name,
      {id: {type: Number, id: true, generated: true}, seq: {type: Number, required: true}},
      {mysql: {table: name}},
    );
    await ds.automigrate(name);
    const portOf = async () => Number((await ds.execute('SELECT @@port AS port'))[0].port);
    assert.equal(await portOf(), nodeAt(0).port);
    await galera.kill(0);
    await galera.waitForSize(2);

    let running = true;
    let seq = 0;
    let calls = 0;
    const failures: any[] = [];
    const loop = async () => {
      while (running) {
        calls++;
        try {
          await Model.create({seq: ++seq});
          await portOf();
        } catch (err) {
          failures.push(err);
          await sleep(20);
        }
      }
    };
    const loops = [loop(), loop()];
    const t0 = Date.now();
    try {
      await galera.rejoin(0);
      await galera.waitForSize(3);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    if (verbose) {
      console.log(
        `    node 1 rejoined in ${Date.now() - t0} ms; ${calls} calls meanwhile, ${failures.length} failed ` +
          `(${failures.map((e) => `${e?.code}/${e?.errno}`).join(', ')})`,
      );
    }
    assert.deepEqual(
      failures.filter((e) => e?.errno === 1047).map((e) => `${e.code}: ${e.message}`),
      [],
      'statements went to the joining node',
    );
    assert.ok(calls > 20, `only ${calls} calls while node 1 joined`);
    // Synced, it takes statements again (ORDER: the first node that takes them).
    const deadline = Date.now() + 5000;
    let port = await portOf();
    while (port !== nodeAt(0).port && Date.now() < deadline) {
      await sleep(100);
      port = await portOf();
    }
    assert.equal(port, nodeAt(0).port, 'node 1, Synced, is back in rotation');
  });
});
