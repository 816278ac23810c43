/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and errors are dynamic */
/*
 * MySQL Group Replication, single-primary: a private 3-member MySQL 9.7 group (test/helpers/group-replication.ts)
 * behind one data source with `nodes` and `cluster: 'group-replication'`. Routing is checked by `@@port` of raw
 * statements and by the servers' own statement counters; failover by killing the primary with SIGKILL under a loop
 * of writes and reads, a clean switchover, and the loss of the group's majority. Data is checked on the surviving
 * members directly (root, after WAIT_FOR_EXECUTED_GTID_SET), by the `seq` every create carries.
 * CLUSTER_VERBOSE=1 prints the timings; GR_KILLS sets how many primaries are killed (default 2).
 */
import assert from 'node:assert/strict';
import {
  APP_DATABASE,
  APP_PASSWORD,
  APP_USER,
  type Group,
  type GroupMember,
  startGroupReplication,
} from '../helpers/group-replication';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const verbose = !!process.env.CLUSTER_VERBOSE;
const KILLS = Number(process.env.GR_KILLS ?? 2);
/** The connector's codes for a statement whose connection broke while it ran: its outcome is unknown. */
const IN_FLIGHT = new Set(['ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'EPIPE', 'CONNECTION_CLOSED']);
/** Codes of a statement that never reached a server. */
const NEVER_SENT = new Set(['NO_PRIMARY', 'NO_QUORUM', 'ECONNREFUSED']);

interface Outcome {
  seq: number;
  started: number;
  settled?: number;
  ok?: boolean;
  id?: number;
  err?: any;
}

interface Loop {
  readonly writes: Outcome[];
  readonly reads: Outcome[];
  /** Stops the loop and waits for every call to settle (at most `ms`); the calls that never settled. */
  stop(ms?: number): Promise<Outcome[]>;
}

const describeErr = (o: Outcome) =>
  `#${o.seq} ${o.err?.code}/${o.err?.statusCode}: ${String(o.err?.message).slice(0, 160)}`;

describe('cluster: MySQL Group Replication (single-primary)', function () {
  this.timeout(180000);
  let group: Group;
  let members: readonly GroupMember[];
  let seq = 0;
  const sources: any[] = [];
  /** Failover timings of the kills, for the summary. */
  const failovers: {outage: number; failed: number; inFlight: number}[] = [];

  before(async function () {
    this.timeout(180000);
    const t0 = Date.now();
    group = await startGroupReplication({members: 3});
    members = group.members;
    const primary = await group.primary();
    assert.ok(primary, 'the group has a primary');
    // Where the connector finds the primary; the only privilege it needs beyond the application's own.
    await primary.query(
      `GRANT SELECT ON performance_schema.replication_group_members TO '${APP_USER}'@'%'`,
    );
    if (verbose) {
      console.log(
        `    3-member group up in ${Date.now() - t0} ms; RSS ${members.map((m) => `${m.name} ${m.rssMiB()} MiB`).join(', ')}`,
      );
    }
  });

  after(async function () {
    this.timeout(60000);
    await Promise.all(sources.splice(0).map((ds) => ds.disconnect().catch(() => undefined)));
    if (verbose && failovers.length > 0) {
      const outages = failovers.map((f) => f.outage).sort((a, b) => a - b);
      const median = outages[Math.floor((outages.length - 1) / 2)];
      console.log(
        `    failovers: ${failovers.map((f) => `${f.outage} ms (${f.failed} failed, ${f.inFlight} in flight)`).join('; ')}; ` +
          `median ${median} ms, worst ${outages[outages.length - 1]} ms`,
      );
    }
    if (group) await group.destroy();
  });

  function memberAt(i: number): GroupMember {
    const m = members[i];
    assert.ok(m, `no member ${i}`);
    return m;
  }

  function dataSource(settings: Record<string, unknown> = {}): any {
    const ds = new DataSource(connector, {
      nodes: members.map((m) => ({host: m.host, port: m.port})),
      cluster: 'group-replication',
      user: APP_USER,
      password: APP_PASSWORD,
      database: APP_DATABASE,
      createDatabase: true,
      connectTimeout: 2000,
      acquireTimeout: 5000,
      ...settings,
    });
    ds.on('error', () => undefined);
    sources.push(ds);
    return ds;
  }

  async function defineTicks(ds: any, name: string): Promise<any> {
    const Model = ds.define(
      name,
      {id: {type: Number, id: true, generated: true}, seq: {type: Number, required: true}},
      {mysql: {table: name}},
    );
    await ds.automigrate(name);
    return Model;
  }

  const portOf = async (ds: any, options: Record<string, unknown> = {}): Promise<number> =>
    Number((await ds.execute('SELECT @@port AS port', [], options))[0].port);

  /** `workers` loops of creates and one loop of counts, until stop(). */
  function startLoop(Model: any, workers = 3): Loop {
    const writes: Outcome[] = [];
    const reads: Outcome[] = [];
    let running = true;
    const write = async () => {
      while (running) {
        const o: Outcome = {seq: ++seq, started: Date.now()};
        writes.push(o);
        try {
          o.id = Number((await Model.create({seq: o.seq})).id);
          o.ok = true;
        } catch (err) {
          o.ok = false;
          o.err = err;
          await sleep(20);
        }
        o.settled = Date.now();
      }
    };
    const read = async () => {
      while (running) {
        const o: Outcome = {seq: reads.length, started: Date.now()};
        reads.push(o);
        try {
          await Model.count();
          o.ok = true;
        } catch (err) {
          o.ok = false;
          o.err = err;
          await sleep(20);
        }
        o.settled = Date.now();
      }
    };
    const all = Promise.all([...Array.from({length: workers}, write), read()]);
    return {
      writes,
      reads,
      async stop(ms = 20000) {
        running = false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
        clearTimeout(timer);
        return [...writes, ...reads].filter((o) => o.settled === undefined);
      },
    };
  }

  /** seq → ids of the table on a member, read as root after it has applied what the primary has. */
  async function rowsBySeq(member: GroupMember, table: string): Promise<Map<number, number[]>> {
    const rows: {id: number; seq: number}[] = await member.query(
      `SELECT id, seq FROM \`${APP_DATABASE}\`.\`${table}\``,
    );
    const bySeq = new Map<number, number[]>();
    for (const r of rows) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), Number(r.id)]);
    return bySeq;
  }

  /** Every acknowledged create is on every ONLINE member once, nothing is there twice, no unsent create is there. */
  async function checkData(table: string, writes: readonly Outcome[]): Promise<void> {
    await group.sync();
    const acked = writes.filter((o) => o.ok);
    const unsent = writes.filter((o) => !o.ok && NEVER_SENT.has(o.err?.code));
    for (const member of members.filter((m) => m.running)) {
      if ((await member.state()) !== 'ONLINE') continue;
      const bySeq = await rowsBySeq(member, table);
      const missing = acked.filter((o) => !bySeq.get(o.seq)?.includes(o.id as number));
      assert.deepEqual(
        missing.map((o) => `seq ${o.seq} id ${o.id}`),
        [],
        `${missing.length} acknowledged creates are missing on ${member.name}`,
      );
      const twice = [...bySeq].filter(([, ids]) => ids.length > 1);
      assert.deepEqual(twice, [], `creates applied more than once on ${member.name}`);
      const applied = unsent.filter((o) => bySeq.has(o.seq));
      assert.deepEqual(
        applied.map(describeErr),
        [],
        `creates that failed before reaching a server are on ${member.name}`,
      );
    }
  }

  /**
   * Writes and DDL the application's user ran on a member, failed ones included (the group's applier runs the
   * primary's transactions as a system thread, which these counters leave out).
   */
  async function appWrites(member: GroupMember): Promise<number> {
    const [{n}] = await member.query(
      `SELECT COALESCE(SUM(COUNT_STAR), 0) AS n
         FROM performance_schema.events_statements_summary_by_user_by_event_name
        WHERE USER = ? AND EVENT_NAME IN ('statement/sql/insert', 'statement/sql/update', 'statement/sql/delete',
              'statement/sql/create_table', 'statement/sql/drop_table', 'statement/sql/alter_table')`,
      [APP_USER],
    );
    return Number(n);
  }

  it('the group forms: 3 members ONLINE, one primary, the secondaries super_read_only', async function () {
    const primary = await group.waitForOnline(3);
    for (const m of members) {
      assert.equal(await m.state(), 'ONLINE', m.name);
      const [{sro}] = await m.query('SELECT @@super_read_only AS sro');
      assert.equal(Number(sro), m === primary ? 0 : 1, `super_read_only of ${m.name}`);
    }
    const [{p}] = await memberAt(0).query(
      "SELECT COUNT(*) AS p FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = 'PRIMARY'",
    );
    assert.equal(Number(p), 1);
  });

  it('writes, DDL and transactions go to the primary; reads spread over the ONLINE secondaries', async function () {
    const ds = dataSource({readYourWritesMs: 0});
    const Model = await defineTicks(ds, 'gr_routing');
    const primary = (await group.primary()) as GroupMember;
    const secondaries = members.filter((m) => m !== primary).map((m) => m.port);
    assert.equal(await portOf(ds), primary.port, 'a raw statement is a write: the primary');
    const counts = new Map<number, number>();
    for (let i = 0; i < 30; i++) {
      const port = await portOf(ds, {readOnly: true});
      counts.set(port, (counts.get(port) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [...secondaries].sort(), 'reads: both secondaries');
    for (const n of counts.values())
      assert.ok(n >= 10, `round robin: ${[...counts.values()].join(', ')}`);
    assert.equal(await portOf(ds, {readOnly: true, readFrom: 'primary'}), primary.port);

    const tx = await Model.beginTransaction({isolationLevel: 'READ COMMITTED'});
    try {
      assert.equal(await portOf(ds, {transaction: tx, readOnly: true}), primary.port);
      await Model.create({seq: ++seq}, {transaction: tx});
    } finally {
      await tx.commit();
    }
    // Model reads, on a secondary: they see the committed row once it is applied (sub-second in a group).
    await group.sync();
    assert.equal(await Model.count(), 1);

    const fresh = dataSource({readYourWritesMs: 60000});
    const Fresh = fresh.define(
      'gr_routing',
      {id: {type: Number, id: true, generated: true}, seq: Number},
      {mysql: {table: 'gr_routing'}},
    );
    assert.notEqual(await portOf(fresh, {readOnly: true}), primary.port);
    await Fresh.create({seq: ++seq});
    assert.equal(await portOf(fresh, {readOnly: true}), primary.port, 'readYourWritesMs');
  });

  it('a user who may not read replication_group_members gets a clear 500 naming the grant', async function () {
    const primary = (await group.primary()) as GroupMember;
    await primary.query("CREATE USER IF NOT EXISTS 'blind'@'%' IDENTIFIED BY 'blindpass'");
    await primary.query(`GRANT ALL ON \`${APP_DATABASE}\`.* TO 'blind'@'%'`);
    const ds = dataSource({user: 'blind', password: 'blindpass', lazyConnect: true});
    await assert.rejects(ds.execute('SELECT 1'), (err: any) => {
      assert.equal(err.code, 'GROUP_MEMBERS_DENIED');
      assert.equal(err.statusCode, 500);
      assert.match(
        err.message,
        /GRANT SELECT ON performance_schema\.replication_group_members TO 'blind'@'%'/,
      );
      return true;
    });
  });

  it('a write is never attempted on a secondary', async function () {
    const ds = dataSource();
    const Model = await defineTicks(ds, 'gr_never');
    const primary = (await group.primary()) as GroupMember;
    const secondaries = members.filter((m) => m !== primary);
    await group.sync();
    const before = await Promise.all(members.map(appWrites));
    for (let i = 0; i < 40; i++) {
      const row = await Model.create({seq: ++seq});
      await Model.updateAll({id: row.id}, {seq: row.seq + 1000});
      if (i % 4 === 0) await Model.destroyById(row.id);
      await Model.count();
      await Model.find({where: {seq: {gt: 0}}, limit: 5});
    }
    await ds.automigrate('gr_never');
    const after = await Promise.all(members.map(appWrites));
    members.forEach((m, i) => {
      const ran = (after[i] as number) - (before[i] as number);
      if (secondaries.includes(m)) assert.equal(ran, 0, `${m.name} (secondary) ran ${ran} writes`);
      else assert.ok(ran >= 90, `${m.name} (primary) ran ${ran} writes`);
    });
  });

  it(`kill -9 of the primary under writes and reads (${KILLS} times): writes fail with a 503 until a new primary takes them, reads never stop, nothing is lost or applied twice; the member rejoins and gets reads again`, async function () {
    this.timeout(60000 * KILLS + 30000);
    const ds = dataSource();
    const table = 'gr_failover';
    const Model = await defineTicks(ds, table);
    const all: Outcome[] = [];
    for (let round = 1; round <= KILLS; round++) {
      const primary = (await group.primary()) as GroupMember;
      const victim = members.indexOf(primary);
      const loop = startLoop(Model);
      await sleep(1000);
      const killStarted = Date.now();
      await group.kill(victim);
      const killed = Date.now();
      // Until a create started after the kill is acknowledged (at most 30 s), and then a while longer.
      const deadline = killed + 30000;
      while (Date.now() < deadline && !loop.writes.some((o) => o.ok && o.started > killed)) {
        await sleep(50);
      }
      await sleep(1500);
      const hung = await loop.stop();
      assert.deepEqual(hung.map(describeErr), [], 'calls that never settled');
      const {writes, reads} = loop;
      all.push(...writes);
      const failed = writes.filter((o) => !o.ok);
      const firstAck = writes
        .filter((o) => o.ok && o.started > killed)
        .sort((a, b) => a.settled! - b.settled!)[0];
      assert.ok(
        firstAck,
        `no create succeeded within 30 s of the kill: ${failed.slice(-3).map(describeErr).join('; ')}`,
      );
      const outage = (firstAck.settled as number) - killStarted;
      const inFlight = failed.filter((o) => IN_FLIGHT.has(o.err?.code));
      failovers.push({outage, failed: failed.length, inFlight: inFlight.length});
      if (verbose) {
        const codes = new Map<string, number>();
        for (const o of failed) codes.set(o.err?.code, (codes.get(o.err?.code) ?? 0) + 1);
        const readGap = Math.max(
          ...reads.slice(1).map((o, i) => (o.settled ?? 0) - ((reads[i] as Outcome).settled ?? 0)),
        );
        console.log(
          `    kill ${round} (${primary.name}): first write acknowledged ${outage} ms after the kill; ` +
            `${writes.length} creates, ${failed.length} failed (${[...codes].map(([c, n]) => `${n} ${c}`).join(', ')}); ` +
            `${reads.length} counts, ${reads.filter((o) => !o.ok).length} failed, longest gap ${readGap} ms`,
        );
      }
      // Every failure is a 503: the ones in flight on the dead primary (outcome unknown), then fast refusals.
      for (const o of failed) {
        assert.equal(o.err?.statusCode, 503, describeErr(o));
        if (IN_FLIGHT.has(o.err?.code)) {
          assert.ok(
            o.started < killed,
            `a create started after the kill broke in flight: ${describeErr(o)}`,
          );
        } else {
          assert.ok(NEVER_SENT.has(o.err?.code), `unexpected failure: ${describeErr(o)}`);
          assert.ok((o.settled as number) - o.started < 1000, `slow failure: ${describeErr(o)}`);
        }
      }
      assert.ok(inFlight.length <= 3, `${inFlight.length} creates broke in flight (3 workers)`);
      assert.ok(outage < 20000, `writes failed for ${outage} ms`);
      // Reads went on from the secondaries: none failed, none waited.
      const failedReads = reads.filter((o) => !o.ok);
      assert.deepEqual(failedReads.map(describeErr), [], 'counts failed during the failover');
      const slowest = Math.max(...reads.map((o) => (o.settled as number) - o.started));
      assert.ok(slowest < 2000, `a count took ${slowest} ms`);

      await checkData(table, all);

      // The killed member rejoins, and reads reach it again.
      const t1 = Date.now();
      await group.rejoin(victim);
      await group.waitForOnline(3);
      const back = memberAt(victim).port;
      let seen = false;
      const until = Date.now() + 10000;
      while (!seen && Date.now() < until) {
        seen = (await portOf(ds, {readOnly: true})) === back;
        if (!seen) await sleep(100);
      }
      assert.ok(seen, `no read reached ${memberAt(victim).name} after it rejoined`);
      if (verbose)
        console.log(
          `    ${primary.name} rejoined and took reads ${Date.now() - t1} ms after its restart`,
        );
    }
    await checkData(table, all);
  });

  it('a clean switchover (group_replication_set_as_primary): writes follow the new primary without a failure', async function () {
    const ds = dataSource();
    const table = 'gr_switch';
    const Model = await defineTicks(ds, table);
    const before = (await group.primary()) as GroupMember;
    const target = members.find((m) => m !== before) as GroupMember;
    assert.equal(await portOf(ds), before.port);
    const loop = startLoop(Model);
    await sleep(1000);
    const t0 = Date.now();
    await group.setPrimary(members.indexOf(target));
    const switched = Date.now();
    await sleep(1500);
    const hung = await loop.stop();
    assert.deepEqual(hung.map(describeErr), [], 'calls that never settled');
    const {writes, reads} = loop;
    const failed = writes.filter((o) => !o.ok);
    if (verbose) {
      console.log(
        `    switchover took ${switched - t0} ms; ${writes.length} creates, ${failed.length} failed` +
          (failed.length ? ` (${failed.map(describeErr).join('; ')})` : '') +
          `; ${reads.length} counts, ${reads.filter((o) => !o.ok).length} failed`,
      );
    }
    assert.deepEqual(failed.map(describeErr), [], 'creates failed during the switchover');
    assert.deepEqual(reads.filter((o) => !o.ok).map(describeErr), [], 'counts failed');
    assert.ok(
      writes.some((o) => o.ok && o.started > switched),
      'creates after the switchover',
    );
    assert.equal((await group.primary())?.name, target.name);
    assert.equal(await portOf(ds), target.port, 'writes go to the new primary');
    await checkData(table, writes);
  });

  it('the group loses its majority (2 of 3 killed): writes fail fast with a 503 NO_QUORUM, nothing hangs', async function () {
    const ds = dataSource();
    const table = 'gr_quorum';
    const Model = await defineTicks(ds, table);
    const primary = (await group.primary()) as GroupMember;
    // The worst case: the primary survives alone, and a write it takes waits for a majority that never comes.
    const doomed = members.filter((m) => m !== primary);
    const loop = startLoop(Model);
    await sleep(1000);
    const killStarted = Date.now();
    await Promise.all(doomed.map((m) => group.kill(members.indexOf(m))));
    const killed = Date.now();
    // The group notices within ~5 s (XCom); the loop runs on well after that.
    await sleep(9000);
    const hung = await loop.stop(15000);
    assert.deepEqual(hung.map(describeErr), [], 'calls that never settled');
    const {writes, reads} = loop;
    const after = writes.filter((o) => o.started > killed);
    const noQuorum = writes.filter((o) => o.err?.code === 'NO_QUORUM');
    assert.ok(noQuorum.length > 0, `no NO_QUORUM: ${writes.slice(-3).map(describeErr).join('; ')}`);
    // The creates that were waiting on the primary for a majority, abandoned once the group reported its loss.
    const abandoned = writes.filter((o) => !o.ok && (o.settled as number) - o.started > 1000);
    const detected = Math.min(...noQuorum.map((o) => o.settled as number));
    if (verbose) {
      console.log(
        `    2 of 3 killed: the loss known ${detected - killStarted} ms after the kill; ${abandoned.length} ` +
          `creates waiting on the primary abandoned then; ${after.length} creates after the kill, none ` +
          `acknowledged, ${after.filter((o) => o.started > detected).length} refused at once; ` +
          `${reads.filter((o) => o.started > detected).length} counts refused at once`,
      );
    }
    for (const o of abandoned) {
      assert.equal(o.err?.code, 'NO_QUORUM', describeErr(o));
      assert.match(o.err?.message, /abandoned: whether it was applied is unknown/);
      assert.ok(
        (o.settled as number) - o.started < 12000,
        `a create waited ${(o.settled as number) - o.started} ms`,
      );
    }
    assert.ok(abandoned.length <= 3, `${abandoned.length} creates waited (3 workers)`);
    for (const o of after) {
      assert.equal(o.ok, false, `create #${o.seq} was acknowledged without a majority`);
      assert.equal(o.err?.statusCode, 503, describeErr(o));
    }
    // Once the loss is known, every write fails at once.
    const late = after.filter((o) => o.started > detected + 50);
    assert.ok(late.length > 20, `only ${late.length} creates after the loss was known`);
    for (const o of late) {
      assert.equal(o.err?.code, 'NO_QUORUM', describeErr(o));
      assert.ok(
        (o.settled as number) - o.started < 100,
        `slow refusal: ${(o.settled as number) - o.started} ms`,
      );
    }
    const lateReads = reads.filter((o) => o.started > detected + 50);
    assert.ok(lateReads.length > 0);
    for (const o of lateReads) assert.equal(o.err?.code, 'NO_QUORUM', describeErr(o));
  });
});
