/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and errors are dynamic */
/*
 * Read replicas: a private primary with two asynchronous replicas (test/helpers/cluster.ts), on MariaDB (GTID
 * slave_pos) and on MySQL 9.7 (GTID auto-positioning, test/helpers/mysql-replication.ts): the same scenarios on both.
 * Routing is checked through the data only: a replica whose replication is stopped keeps a stale copy, so a read
 * that returns the stale data ran on a replica, and one that returns the primary's data ran on the primary.
 * `@@server_id` of a `readOnly` raw execute tells which server a read went to.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {type Node, type Replication, startReplication} from '../helpers/cluster';
import {assertPrinted, startCapture} from '../helpers/output';
import {kind, type KindName} from '../servers/kinds';
import {describeServer, SERVER_INFO_SQL, type ServerInfo} from '../../src/mysql/server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const DATABASE = 'lbts_repl';
const APP_USER = 'lbts_app';
const APP_PASSWORD = 'apppw';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const verbose = !!process.env.CLUSTER_VERBOSE;

/** The servers the topology is started with: the system's MariaDB, and MySQL 9.7 in its chroot. */
const KINDS: readonly KindName[] = ['mariadb-10.11', 'mysql-9.7'];

/** The resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

interface Read {
  started: number;
  settled?: number;
  ok?: boolean;
  serverId?: number;
  count?: number;
  err?: any;
}

for (const kindName of KINDS) {
  describe(`cluster: read replicas on ${kindName}`, function () {
    this.timeout(120000);
    let rep: Replication;
    let primary: Node;
    let replicas: readonly Node[];
    /** What the primary reports it is (the assertions that differ by flavour ask this, not the kind's name). */
    let server: ServerInfo;
    const sources: any[] = [];

    before(async function () {
      this.timeout(120000);
      const t0 = Date.now();
      const k = kind(kindName);
      rep = await startReplication({replicas: 2, kind: k});
      primary = rep.primary;
      replicas = rep.replicas;
      server = describeServer((await primary.query(SERVER_INFO_SQL))[0]);
      assert.equal(
        server.flavor,
        k.flavour,
        `${kindName} reports ${server.flavor} ${server.version}`,
      );
      // Created here (the connector's createDatabase would do it too), so that the replicas have it before any pool
      // connects to them with `database` set.
      await primary.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
      await rep.sync();
      if (verbose) {
        const rss = [primary, ...replicas].map((n) => `${n.name} ${rssMiB(n.pid)} MiB`).join(', ');
        console.log(`    primary and 2 replicas up in ${Date.now() - t0} ms (RSS: ${rss})`);
      }
    });

    after(async function () {
      this.timeout(60000);
      if (rep) await rep.destroy();
    });

    afterEach(async function () {
      this.timeout(60000);
      // Close the data sources of the test, then bring every server and every replication back.
      await Promise.all(sources.splice(0).map((ds) => ds.disconnect().catch(() => undefined)));
      if (!rep) return;
      for (const node of [primary, ...replicas]) if (!node.running) await node.start();
      for (const replica of replicas) {
        if (rep.isReplicationStopped(replica)) await rep.startReplication(replica);
      }
      await rep.sync();
    });

    function replicaAt(i: number): Node {
      const replica = replicas[i];
      assert.ok(replica, `no replica ${i}`);
      return replica;
    }

    /** A data source on the primary with both replicas, plus `settings`. */
    function dataSource(settings: Record<string, unknown> = {}): any {
      const ds = new DataSource(connector, {
        host: primary.host,
        port: primary.port,
        user: 'root',
        password: '',
        database: DATABASE,
        createDatabase: true,
        connectTimeout: 2000,
        replicas: replicas.map((r) => ({host: r.host, port: r.port})),
        ...settings,
      });
      ds.on('error', () => undefined);
      sources.push(ds);
      return ds;
    }

    /** A model on its own table, migrated (on the primary) and replicated, with `rows` rows. */
    async function model(ds: any, name: string, rows: number): Promise<any> {
      const Model = ds.define(
        name,
        {id: {type: Number, id: true, generated: true}, name: {type: String}},
        {mysql: {table: name}},
      );
      await ds.automigrate(name);
      for (let i = 0; i < rows; i++) await Model.create({name: `row${i}`});
      await rep.sync();
      return Model;
    }

    /** Which server ran a raw statement: `readOnly` ones may go to a replica, the others go to the primary. */
    async function serverId(ds: any, options: Record<string, unknown> = {}): Promise<number> {
      const rows = await ds.connector.execute('SELECT @@server_id AS id', [], options);
      return Number(rows[0].id);
    }

    /**
     * Whether the replica's receiver and applier threads run, and whether it replicates by GTID: SHOW REPLICA STATUS
     * on both flavours (MariaDB 10.5.1+, MySQL 8.0.22+), but MariaDB keeps the Slave_ column names and reports
     * `Using_Gtid`, where MySQL has Replica_ names and `Auto_Position`.
     */
    async function replicationState(
      node: Node,
    ): Promise<{io: unknown; sql: unknown; gtid: boolean}> {
      const [status] = await node.query('SHOW REPLICA STATUS');
      if (server.flavor === 'mysql') {
        return {
          io: status?.Replica_IO_Running,
          sql: status?.Replica_SQL_Running,
          gtid: Number(status?.Auto_Position) === 1,
        };
      }
      return {
        io: status?.Slave_IO_Running,
        sql: status?.Slave_SQL_Running,
        gtid: status?.Using_Gtid === 'Slave_Pos',
      };
    }

    /** The server ids that `n` readOnly raw reads went to. */
    async function sample(ds: any, n: number): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(await serverId(ds, {readOnly: true}));
      return ids;
    }

    /** An application's user: all rights on the test database, none on the servers (no SUPER, no replica status). */
    async function createAppUser(): Promise<void> {
      await primary.query(
        `CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}'`,
      );
      await primary.query(`GRANT ALL ON ${DATABASE}.* TO '${APP_USER}'@'%'`);
      await rep.sync();
    }

    async function directCount(node: Node, table: string): Promise<number> {
      const [{n}] = await node.query(`SELECT COUNT(*) AS n FROM ${DATABASE}.\`${table}\``);
      return Number(n);
    }

    it('the topology works: two replicas, read-only, apply what the primary writes', async function () {
      const ids = new Set([primary.serverId, ...replicas.map((r) => r.serverId)]);
      assert.equal(ids.size, 3, 'distinct server ids');
      for (const replica of replicas) {
        const [{ro, id}] = await replica.query('SELECT @@read_only AS ro, @@server_id AS id');
        assert.equal(Number(ro), 1, `${replica.name} is read_only`);
        assert.equal(Number(id), replica.serverId);
        const state = await replicationState(replica);
        assert.deepEqual(state, {io: 'Yes', sql: 'Yes', gtid: true}, `${replica.name} replicates`);
        if (server.flavor === 'mysql') {
          // MySQL's super_read_only: not even root (SUPER, CONNECTION_ADMIN) can write there.
          const [{sro}] = await replica.query('SELECT @@super_read_only AS sro');
          assert.equal(Number(sro), 1, `${replica.name} is super_read_only`);
        }
      }
      await primary.query(`CREATE TABLE ${DATABASE}.infra (id INT PRIMARY KEY)`);
      await primary.query(`INSERT INTO ${DATABASE}.infra VALUES (1), (2), (3)`);
      await rep.sync();
      for (const replica of replicas) assert.equal(await directCount(replica, 'infra'), 3);
      // A stopped replica keeps a stale copy until it replicates again.
      await rep.stopReplication(replicaAt(0));
      await primary.query(`INSERT INTO ${DATABASE}.infra VALUES (4)`);
      await rep.sync();
      assert.equal(await directCount(replicaAt(0), 'infra'), 3);
      assert.equal(await directCount(replicaAt(1), 'infra'), 4);
      await rep.startReplication(replicaAt(0));
      await rep.sync();
      assert.equal(await directCount(replicaAt(0), 'infra'), 4);
      await primary.query(`DROP TABLE ${DATABASE}.infra`);
    });

    it('readOnly raw reads go round robin across the replicas; other statements go to the primary', async function () {
      const ds = dataSource();
      await ds.connect();
      const replicaIds = replicas.map((r) => r.serverId);
      const seen: number[] = [];
      for (let i = 0; i < 8; i++) seen.push(await serverId(ds, {readOnly: true}));
      for (const id of seen) assert.ok(replicaIds.includes(id), `read on ${id}, not a replica`);
      for (let i = 1; i < seen.length; i++) {
        assert.notEqual(seen[i], seen[i - 1], `round robin alternates: ${seen.join(',')}`);
      }
      for (let i = 0; i < 3; i++) assert.equal(await serverId(ds), primary.serverId);
      assert.equal(await serverId(ds, {readOnly: true, readFrom: 'primary'}), primary.serverId);
    });

    it('model reads go to a replica, writes to the primary; readFrom: primary forces the primary', async function () {
      const ds = dataSource();
      const Model = await model(ds, 'repl_route', 3);
      await rep.stopReplication(replicaAt(0));
      await rep.stopReplication(replicaAt(1));
      const created = [await Model.create({name: 'new1'}), await Model.create({name: 'new2'})];
      // The writes are on the primary only.
      assert.equal(await directCount(primary, 'repl_route'), 5);
      for (const replica of replicas) assert.equal(await directCount(replica, 'repl_route'), 3);
      // Reads see the replicas' stale copy...
      for (let i = 0; i < 4; i++) assert.equal(await Model.count(), 3);
      assert.equal((await Model.find()).length, 3);
      assert.equal(await Model.findById(created[0].id), null);
      assert.equal(await Model.exists(created[1].id), false);
      // ... unless they ask for the primary.
      assert.equal(await Model.count({}, {readFrom: 'primary'}), 5);
      assert.equal((await Model.find({}, {readFrom: 'primary'})).length, 5);
      assert.equal((await Model.findById(created[0].id, {}, {readFrom: 'primary'}))?.name, 'new1');
      assert.equal(await Model.exists(created[1].id, {readFrom: 'primary'}), true);
      // Replication catches up: the reads see the new rows.
      await rep.startReplication(replicaAt(0));
      await rep.startReplication(replicaAt(1));
      await rep.sync();
      assert.equal(await Model.count(), 5);
      assert.equal((await Model.findById(created[0].id))?.name, 'new1');
    });

    it('everything in a transaction goes to the primary: a read sees the uncommitted row', async function () {
      const ds = dataSource();
      const Model = await model(ds, 'repl_tx', 2);
      const tx = await Model.beginTransaction({isolationLevel: 'READ COMMITTED'});
      try {
        const row = await Model.create({name: 'in-tx'}, {transaction: tx});
        assert.equal(await Model.count({}, {transaction: tx}), 3);
        assert.equal((await Model.findById(row.id, {}, {transaction: tx}))?.name, 'in-tx');
        assert.equal(await Model.exists(row.id, {transaction: tx}), true);
        assert.equal(
          await serverId(ds, {transaction: tx, readOnly: true}),
          primary.serverId,
          'a readOnly execute in a transaction runs on the primary',
        );
        // Outside the transaction, the row is not visible (on a replica, nor on the primary).
        assert.equal(await Model.count(), 2);
      } finally {
        await tx.rollback();
      }
      assert.equal(await Model.count({}, {readFrom: 'primary'}), 2);
    });

    it('kill -9 of a replica during a read loop: reads go on, on the other servers', async function () {
      const ds = dataSource();
      const Model = await model(ds, 'repl_kill', 5);
      const victim = replicaAt(0);
      const reads: Read[] = [];
      const LOOP_MS = 2000;
      const WORKERS = 2;
      const t0 = Date.now();
      let killStarted = 0;
      let killDone = 0;
      const worker = async (w: number) => {
        for (let i = 0; Date.now() - t0 < LOOP_MS; i++) {
          const r: Read = {started: Date.now()};
          reads.push(r);
          try {
            if ((i + w) % 2 === 0) r.serverId = await serverId(ds, {readOnly: true});
            else r.count = await Model.count();
            r.ok = true;
          } catch (err) {
            r.ok = false;
            r.err = err;
          }
          r.settled = Date.now();
        }
      };
      const fault = (async () => {
        await sleep(LOOP_MS / 2);
        killStarted = Date.now();
        await victim.kill();
        killDone = Date.now();
      })();
      await Promise.all([...Array.from({length: WORKERS}, (_, w) => worker(w)), fault]);

      const failed = reads.filter((r) => !r.ok);
      if (verbose) {
        console.log(
          `    ${reads.length} reads, ${failed.length} failed ` +
            `(${failed.map((r) => `${r.err?.code}/${r.err?.statusCode} +${r.started - killStarted} ms`).join(', ')})`,
        );
      }
      // Only reads in flight when the replica died may fail, with a retryable 503.
      for (const r of failed) {
        assert.ok(r.err instanceof Error, `a read failed with a non-Error: ${String(r.err)}`);
        const err = r.err as Error & {code?: string; statusCode?: number};
        assert.equal(err.statusCode, 503, `a read failed with ${err.code}: ${err.message}`);
      }
      assert.ok(failed.length <= WORKERS, `${failed.length} reads failed`);
      const lateFailures = failed.filter((r) => r.started > killDone + 200);
      assert.deepEqual(
        lateFailures.map((r) => `+${r.started - killDone} ms: ${r.err?.code}`),
        [],
        'reads started after the kill failed',
      );
      // The loop really read before and after the kill, and every count is right.
      const before = reads.filter((r) => (r.settled as number) < killStarted);
      const after = reads.filter((r) => r.started > killDone);
      assert.ok(before.length > 10, `only ${before.length} reads before the kill`);
      assert.ok(after.length > 10, `only ${after.length} reads after the kill`);
      for (const r of reads.filter((x) => x.ok && x.count !== undefined)) assert.equal(r.count, 5);
      // After the kill, reads land on the surviving replica (or the primary), never on the dead one.
      const afterIds = after.filter((r) => r.serverId !== undefined).map((r) => r.serverId);
      assert.ok(
        !afterIds.includes(victim.serverId),
        'a read after the kill ran on the killed replica',
      );
      assert.ok(
        afterIds.includes(replicaAt(1).serverId),
        'no read after the kill on the other replica',
      );
    });

    it('with every replica dead, reads fall back to the primary', async function () {
      const ds = dataSource();
      const Model = await model(ds, 'repl_alldead', 4);
      assert.notEqual(await serverId(ds, {readOnly: true}), primary.serverId);
      await Promise.all(replicas.map((r) => r.kill()));
      await sleep(100);
      await primary.query(`INSERT INTO ${DATABASE}.repl_alldead (name) VALUES ('primary-only')`);
      for (let i = 0; i < 5; i++) {
        assert.equal(await serverId(ds, {readOnly: true}), primary.serverId);
        assert.equal(await Model.count(), 5);
      }
      assert.equal((await Model.find()).length, 5);
    });

    it('writes work again as soon as a restarted primary is back (it never leaves a rotation)', async function () {
      const ds = dataSource({restoreNodeTimeout: 60000});
      const Model = await model(ds, 'repl_primary_restart', 1);
      await primary.kill();
      const err = await Model.create({name: 'during'}).then(
        () => undefined,
        (e: any) => e,
      );
      assert.equal(err?.statusCode, 503, 'a write while the primary is down fails with 503');
      await primary.start();
      // With the primary in a pool cluster, one failure would keep it out for restoreNodeTimeout (60 s here).
      const started = Date.now();
      await Model.create({name: 'after'});
      assert.ok(
        Date.now() - started < 5000,
        `the first write after the restart took ${Date.now() - started} ms`,
      );
      assert.equal(await Model.count({name: 'after'}, {readFrom: 'primary'}), 1);
    });

    it('readYourWritesMs: reads right after a write go to the primary, later ones to a replica', async function () {
      const WINDOW_MS = 1500;
      const ds = dataSource({
        readYourWritesMs: WINDOW_MS,
        replicas: replicas.map((r) => `mysql://root@127.0.0.1:${r.port}`),
      });
      const Model = await model(ds, 'repl_ryw', 3);
      await sleep(WINDOW_MS + 200);
      // No recent write: a replica.
      assert.notEqual(await serverId(ds, {readOnly: true}), primary.serverId);
      await rep.stopReplication(replicaAt(0));
      await rep.stopReplication(replicaAt(1));
      const written = Date.now();
      const row = await Model.create({name: 'mine'});
      // Within the window: the primary, which has the new row.
      assert.equal(await Model.count(), 4);
      assert.equal((await Model.findById(row.id))?.name, 'mine');
      assert.equal(await serverId(ds, {readOnly: true}), primary.serverId);
      assert.ok(Date.now() - written < WINDOW_MS, 'the checks took longer than the window');
      // After the window: a replica again, with its stale copy.
      await sleep(WINDOW_MS + 200 - (Date.now() - written));
      assert.equal(await Model.count(), 3);
      assert.equal(await Model.findById(row.id), null);
      assert.notEqual(await serverId(ds, {readOnly: true}), primary.serverId);
    });

    it('maxReplicaLag: a replica that stops replicating leaves rotation, and comes back once it catches up', async function () {
      const ds = dataSource({maxReplicaLag: 5, lagCheckInterval: 200});
      await ds.connect();
      const [lagging, healthy] = [replicaAt(0), replicaAt(1)];
      // Both replicas are in rotation.
      const first = await sample(ds, 6);
      assert.ok(
        first.includes(lagging.serverId) && first.includes(healthy.serverId),
        `${first.join(',')}`,
      );

      await rep.stopReplication(lagging);
      const stoppedAt = Date.now();
      let left = 0;
      while (!left) {
        const ids = await sample(ds, 4);
        if (!ids.includes(lagging.serverId)) left = Date.now();
        else if (Date.now() - stoppedAt > 3000) {
          assert.fail(`the stopped replica was still read from 3 s later: ${ids.join(',')}`);
        } else await sleep(100);
      }
      if (verbose) console.log(`    stopped replica out of rotation after ${left - stoppedAt} ms`);
      const during = await sample(ds, 10);
      assert.ok(
        !during.includes(lagging.serverId),
        `the stopped replica was read from: ${during.join(',')}`,
      );
      assert.ok(
        during.includes(healthy.serverId),
        `reads did not go to the other replica: ${during.join(',')}`,
      );

      await rep.startReplication(lagging);
      const restartedAt = Date.now();
      for (;;) {
        const ids = await sample(ds, 4);
        if (ids.includes(lagging.serverId)) break;
        if (Date.now() - restartedAt > 3000) {
          assert.fail(`the replica did not come back within 3 s of catching up: ${ids.join(',')}`);
        }
        await sleep(100);
      }
    });

    it('maxReplicaLag: a replica whose applier falls behind leaves rotation, and comes back once it catches up', async function () {
      const MAX_LAG = 2;
      const ds = dataSource({maxReplicaLag: MAX_LAG, lagCheckInterval: 200});
      const Model = await model(ds, 'repl_lag', 1);
      const [lagging, healthy] = [replicaAt(0), replicaAt(1)];
      const first = await sample(ds, 6);
      assert.ok(
        first.includes(lagging.serverId) && first.includes(healthy.serverId),
        `both replicas in rotation: ${first.join(',')}`,
      );
      // Replication runs, but the lagging replica's applier waits for a table lock: the replica receives the
      // primary's write and falls behind by the write's age (Seconds_Behind_Source / _Master), not NULL.
      const lock = await lagging.connect(DATABASE);
      try {
        await lock.query('LOCK TABLES repl_lag READ');
        const writtenAt = Date.now();
        await Model.create({name: 'late'});
        let left = 0;
        while (!left) {
          const ids = await sample(ds, 4);
          if (!ids.includes(lagging.serverId)) left = Date.now() - writtenAt;
          else if (Date.now() - writtenAt > MAX_LAG * 1000 + 4000) {
            assert.fail(`the lagging replica was still read from: ${ids.join(',')}`);
          } else await sleep(100);
        }
        if (verbose) console.log(`    lagging replica out of rotation ${left} ms after the write`);
        // It left because of its lag, which only exceeds MAX_LAG once the write is that old (MariaDB's event
        // timestamps have whole seconds: up to 1 s early).
        assert.ok(left >= (MAX_LAG - 1) * 1000, `out of rotation after ${left} ms only`);
        assert.equal((await replicationState(lagging)).sql, 'Yes', 'the applier still runs');
        // Reads go to the healthy replica, which has the write.
        for (let i = 0; i < 4; i++) assert.equal(await Model.count(), 2);
      } finally {
        await lock.query('UNLOCK TABLES');
        await lock.end();
      }
      const caughtUp = Date.now();
      for (;;) {
        const ids = await sample(ds, 4);
        if (ids.includes(lagging.serverId)) break;
        if (Date.now() - caughtUp > 3000) {
          assert.fail(`the replica did not come back within 3 s of catching up: ${ids.join(',')}`);
        }
        await sleep(100);
      }
      assert.equal(await directCount(lagging, 'repl_lag'), 2);
    });

    it('a write that reaches a read-only server fails with a retryable 503 (errno 1290)', async function () {
      // Writes never go to a replica; a primary that is in fact a replica (a stale DNS name after a failover) is
      // how one would get there. As a user without SUPER: MariaDB's read_only does not stop SUPER.
      const ds = dataSource();
      await model(ds, 'repl_readonly', 1);
      await createAppUser();
      const replica = replicaAt(0);
      const misrouted = new DataSource(connector, {
        host: replica.host,
        port: replica.port,
        user: APP_USER,
        password: APP_PASSWORD,
        database: DATABASE,
        connectTimeout: 2000,
      });
      misrouted.on('error', () => undefined);
      sources.push(misrouted);
      const Model = misrouted.define(
        'repl_readonly',
        {id: {type: Number, id: true, generated: true}, name: {type: String}},
        {mysql: {table: 'repl_readonly'}},
      );
      const err = await Model.create({name: 'misrouted'}).then(
        () => undefined,
        (e: any) => e,
      );
      assert.notEqual(err, undefined, 'the write on the replica succeeded');
      assert.equal(err.code, 'ER_OPTION_PREVENTS_STATEMENT', err.message);
      assert.equal(err.errno, 1290);
      assert.equal(err.statusCode, 503, err.message);
      assert.match(err.message, /read-only/);
      // Nothing was written; reads on that server still work.
      assert.equal(await directCount(replica, 'repl_readonly'), 1);
      assert.equal(await Model.count(), 1);
    });

    it('maxReplicaLag with a user that may not read replica status: the replicas stay in rotation, with a warning', async function () {
      await createAppUser();
      const capture = startCapture();
      let ids: number[];
      try {
        const ds = dataSource({
          user: APP_USER,
          password: APP_PASSWORD,
          createDatabase: false,
          maxReplicaLag: 5,
          lagCheckInterval: 100,
        });
        await ds.connect();
        // Several lag checks, each of which is refused.
        await sleep(600);
        ids = await sample(ds, 6);
      } finally {
        capture.stop();
      }
      for (const replica of replicas) {
        assert.ok(ids.includes(replica.serverId), `${replica.name} in rotation: ${ids.join(',')}`);
      }
      // Once per replica, naming it and what the server says is missing.
      assert.equal(capture.lines.length, replicas.length, capture.lines.join('\n'));
      assertPrinted(
        capture.lines,
        replicas.map(
          (r) =>
            new RegExp(
              `^\\[LB_MYSQL_REPLICA_LAG_UNREADABLE\\] maxReplicaLag: the lag of the replica 127\\.0\\.0\\.1:${r.port} ` +
                'cannot be read, .*Access denied; you need .*(REPLICATION CLIENT|SLAVE MONITOR)',
            ),
        ),
      );
    });
  });
}
