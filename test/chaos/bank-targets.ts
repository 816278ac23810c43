/*
 * Where the bank of ./bank.ts runs, and what breaks there. Each function starts its servers on free loopback ports,
 * creates the bank's database and login on the server that takes writes, and returns a {@link BankTarget}:
 *
 * - serverTarget(kind): one private server behind the test suite's TCP proxy. Faults: KILL CONNECTION, KILL QUERY,
 *   a clean restart, kill -9 and a restart, and network faults (latency, stalled connections that never answer, a
 *   reset in the middle of a result, refused connections).
 * - replicasTarget(kind): a MariaDB 10.11 or MySQL 9.7 primary with 2 GTID replicas (`replicas`): reads outside
 *   transactions go to the replicas.
 *   Faults: kill -9 of a replica and its restart, a clean restart of a replica, KILL CONNECTION on the primary, a
 *   clean restart of the primary. Checked on the primary; the replicas, caught up, must hold the same data.
 * - galeraTarget(): a 3-node Galera cluster (`nodes`). Faults: kill -9 of a node and its rejoin (IST), KILL
 *   CONNECTION on any node. Checked, once the cluster is whole again, on a node that survived (`wsrep_sync_wait`).
 * - groupTarget(): a 3-member MySQL 9.7 Group Replication group (`nodes`, `cluster: 'group-replication'`). Faults:
 *   kill -9 of the primary (a failover) and its rejoin, a switchover (group_replication_set_as_primary()), KILL
 *   CONNECTION on any member. Checked on the primary of the end; every member, caught up, must hold the same data.
 *
 * Every server is signalled by its own pid (the helpers' rule); none of this touches a shared server.
 */
import {type BankTarget, BANK_DATABASE, BANK_PASSWORD, BANK_USER, type CheckNode} from './bank';
import {type Node, startGalera, startReplication} from '../helpers/cluster';
import {startGroupReplication} from '../helpers/group-replication';
import {startPrivateServer} from '../helpers/private-server';
import type {SeededRandom} from '../helpers/seeded-random';
import {TcpProxy} from '../helpers/tcp-proxy';
import {kind as serverKind, type ServerKind} from '../servers/kinds';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server as root sees it: one statement on a one-off connection. */
interface Queryable {
  readonly name: string;
  readonly running: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement
  query(sql: string): Promise<any>;
}

/** The bank's database and login, on the server that takes writes (the others get them by replication). */
async function createBank(server: Queryable, extraGrants: readonly string[] = []): Promise<void> {
  await server.query(`CREATE DATABASE ${BANK_DATABASE}`);
  await server.query(`CREATE USER '${BANK_USER}'@'%' IDENTIFIED BY '${BANK_PASSWORD}'`);
  await server.query(`GRANT ALL ON ${BANK_DATABASE}.* TO '${BANK_USER}'@'%'`);
  for (const grant of extraGrants) await server.query(`${grant} TO '${BANK_USER}'@'%'`);
}

/** Connections of the bank's login on `server`: those running a statement or holding a transaction, else all. */
async function bankConnections(server: Queryable, busyOnly: boolean): Promise<number[]> {
  const busy = `AND (p.COMMAND = 'Query' OR p.ID IN (SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX)) `;
  const rows: {id: unknown}[] = await server.query(
    `SELECT p.ID AS id FROM information_schema.PROCESSLIST p WHERE p.USER = '${BANK_USER}' ` +
      `${busyOnly ? busy : ''}ORDER BY p.ID`,
  );
  return rows.map((r) => Number(r.id));
}

/**
 * KILL CONNECTION of 1 or 2 connections of the bank's login on the running `servers`: busy ones (a statement or a
 * transaction) when there are, else any.
 */
async function killConnections(
  servers: readonly Queryable[],
  rng: SeededRandom,
  count: (detail: string, by: number) => void,
): Promise<string> {
  const running = servers.filter((s) => s.running);
  const find = async (busyOnly: boolean) => {
    const found: {server: Queryable; id: number}[] = [];
    for (const server of running) {
      const ids = await bankConnections(server, busyOnly).catch(() => []);
      found.push(...ids.map((id) => ({server, id})));
    }
    return found;
  };
  let candidates = await find(true);
  if (candidates.length === 0) candidates = await find(false);
  const victims = rng.shuffle(candidates).slice(0, rng.int(1, 2));
  for (const v of victims) await v.server.query(`KILL CONNECTION ${v.id}`).catch(() => undefined);
  count('connections killed', victims.length);
  const names = victims.map((v) => (servers.length > 1 ? `${v.server.name}:${v.id}` : `${v.id}`));
  return `KILL CONNECTION ${names.join(', ') || '(none open)'}`;
}

/** A server whose statements run in `database`. */
function checkNode(server: Queryable): CheckNode {
  return {name: server.name, query: (sql) => server.query(sql)};
}

// ---------------------------------------------------------------------------------------------------------------
// One private server behind a TCP proxy
// ---------------------------------------------------------------------------------------------------------------

export const SERVER_FAULT_KINDS = [
  'kill-connection',
  'kill-query',
  'restart',
  'kill-9',
  'latency',
  'stall',
  'reset',
  'refuse',
] as const;

/** One private server of `kind` behind the test suite's TCP proxy, with process, server and network faults. */
export async function serverTarget(kind: ServerKind): Promise<BankTarget> {
  const server = await startPrivateServer({kind});
  let proxy: TcpProxy | undefined;
  try {
    const srv: Queryable = {
      name: kind.name,
      get running() {
        return server.running;
      },
      query: (sql) => server.query(sql),
    };
    await createBank(srv);
    proxy = await TcpProxy.start({host: server.host, port: server.port});
    const px = proxy;

    const inject = async (
      fault: string,
      rng: SeededRandom,
      context: Parameters<BankTarget['inject']>[2],
    ): Promise<string> => {
      switch (fault) {
        case 'kill-connection':
          return killConnections([srv], rng, context.count);
        case 'kill-query': {
          // Wait (briefly) for a statement to be running, then stop it.
          const deadline = Date.now() + 1500;
          let victims: number[] = [];
          while (victims.length === 0 && Date.now() < deadline) {
            const rows: {id: unknown}[] = await server.query(
              `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = '${BANK_USER}' ` +
                `AND COMMAND = 'Query' ORDER BY ID`,
            );
            victims = rows.map((r) => Number(r.id));
            if (victims.length === 0) await sleep(20);
          }
          const picked = victims.length > 0 ? [rng.pick(victims)] : [];
          for (const id of picked) await server.query(`KILL QUERY ${id}`).catch(() => undefined);
          context.count('queries killed', picked.length);
          return `KILL QUERY ${picked.join(', ') || '(none running)'}`;
        }
        case 'restart': {
          const downMs = rng.int(200, 1500);
          await server.stop();
          await sleep(downMs);
          await server.restart();
          return `clean restart, down ${downMs} ms before the start`;
        }
        case 'kill-9': {
          const downMs = rng.int(200, 1500);
          await server.kill();
          context.crashed();
          await sleep(downMs);
          await server.restart();
          return `kill -9, down ${downMs} ms before the start`;
        }
        case 'latency': {
          const ms = rng.int(20, 300);
          const forMs = rng.int(1000, 3000);
          px.setLatency(ms);
          await sleep(forMs);
          px.setLatency(0);
          return `latency ${ms} ms each way for ${forMs} ms`;
        }
        case 'stall': {
          const forMs = rng.int(500, 2500);
          const n = px.stallAll();
          px.stallNew(true);
          await sleep(forMs);
          px.stallNew(false);
          context.count('connections stalled', n);
          return `${n} open connections stalled for good, new ones stalled for ${forMs} ms`;
        }
        case 'reset': {
          const n = rng.int(1, 3);
          px.armResets(n);
          const deadline = Date.now() + 3000;
          while (px.pendingResets > 0 && Date.now() < deadline) await sleep(20);
          const done = n - px.pendingResets;
          px.armResets(0);
          context.count('connections reset mid-response', done);
          return `${done} of ${n} armed resets mid-response`;
        }
        case 'refuse': {
          // The network drops the open connections, then refuses new ones for a while.
          const forMs = rng.int(1000, 3000);
          const refusing = px.refuse(forMs);
          const n = px.resetAll();
          await refusing;
          return `${n} open connections reset, new ones refused for ${forMs} ms`;
        }
        default:
          throw new Error(`no fault ${fault} on a single server`);
      }
    };

    return {
      name: kind.name,
      faultKinds: SERVER_FAULT_KINDS,
      settings: {host: px.host, port: px.port},
      inject,
      caughtUp: () => Promise.resolve(),
      async heal() {
        px.heal();
        if (!server.running) await server.restart();
      },
      checkpoint: () => Promise.resolve({record: checkNode(srv), others: []}),
      details: () => ({
        'proxy: connections accepted': px.stats.accepted,
        'proxy: server unreachable': px.stats.upstreamFailed,
      }),
      async destroy() {
        try {
          await px.close();
        } finally {
          await server.destroy();
        }
      },
    };
  } catch (err) {
    try {
      await proxy?.close();
    } finally {
      await server.destroy();
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A primary + 2 replicas: MariaDB 10.11, or MySQL 9.7 (GTID async replication)
// ---------------------------------------------------------------------------------------------------------------

export const REPLICAS_FAULT_KINDS = [
  'replica-kill-9',
  'replica-restart',
  'kill-connection',
  'primary-restart',
] as const;

/** A private primary of `kindName` with two GTID replicas; the data source reads from the replicas. */
export async function replicasTarget(
  kindName: 'mariadb-10.11' | 'mysql-9.7' = 'mariadb-10.11',
): Promise<BankTarget> {
  const kind = serverKind(kindName);
  const rep = await startReplication({replicas: 2, kind});
  try {
    const {primary, replicas} = rep;
    await createBank(primary);
    await rep.sync();

    /** Starts a replica again and waits until it replicates. */
    const restartReplica = async (replica: Node): Promise<void> => {
      await replica.start();
      await rep.startReplication(replica);
    };

    return {
      name: `${kindName === 'mysql-9.7' ? 'MySQL 9.7' : 'MariaDB 10.11'} primary + 2 replicas`,
      faultKinds: REPLICAS_FAULT_KINDS,
      readServers: replicas.map((r) => r.serverId),
      settings: {
        host: primary.host,
        port: primary.port,
        replicas: replicas.map((r) => ({host: r.host, port: r.port})),
      },
      async inject(fault, rng, context) {
        switch (fault) {
          case 'replica-kill-9': {
            const replica = rng.pick(replicas);
            const downMs = rng.int(200, 1500);
            await replica.kill();
            context.crashed();
            await sleep(downMs);
            await restartReplica(replica);
            return `kill -9 of ${replica.name}, down ${downMs} ms before the start`;
          }
          case 'replica-restart': {
            const replica = rng.pick(replicas);
            const downMs = rng.int(200, 1500);
            await replica.stop();
            await sleep(downMs);
            await restartReplica(replica);
            return `clean restart of ${replica.name}, down ${downMs} ms before the start`;
          }
          case 'kill-connection':
            return killConnections([primary], rng, context.count);
          case 'primary-restart': {
            const downMs = rng.int(200, 1500);
            await primary.stop();
            await sleep(downMs);
            await primary.start();
            return `clean restart of the primary, down ${downMs} ms before the start`;
          }
          default:
            throw new Error(`no fault ${fault} on replicas`);
        }
      },
      caughtUp: () => rep.sync(),
      async heal() {
        if (!primary.running) await primary.start();
        for (const replica of replicas) if (!replica.running) await restartReplica(replica);
        await rep.sync();
      },
      async checkpoint() {
        await rep.sync(30000);
        return {record: checkNode(primary), others: replicas.map(checkNode)};
      },
      details: () => ({}),
      destroy: () => rep.destroy(),
    };
  } catch (err) {
    await rep.destroy();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Galera, 3 nodes
// ---------------------------------------------------------------------------------------------------------------

export const GALERA_FAULT_KINDS = ['node-kill-9', 'kill-connection'] as const;

/** A node's statements after it has applied everything the cluster committed (`wsrep_sync_wait = 1`). */
function syncedCheckNode(node: Node): CheckNode {
  return {
    name: node.name,
    async query(sql) {
      const connection = await node.connect();
      try {
        await connection.query('SET SESSION wsrep_sync_wait = 1');
        const [rows] = await connection.query(sql);
        return rows as Record<string, unknown>[];
      } finally {
        connection.destroy();
      }
    },
  };
}

/** A private 3-node MariaDB 10.11 Galera cluster; the data source lists the nodes. */
export async function galeraTarget(): Promise<BankTarget> {
  const galera = await startGalera(3);
  try {
    const nodes = galera.nodes;
    await createBank(nodes[0] as Node);
    /** When each node was last killed (0: never). */
    const killedAt = new Map<Node, number>(nodes.map((n) => [n, 0]));

    return {
      name: 'MariaDB 10.11 Galera, 3 nodes',
      faultKinds: GALERA_FAULT_KINDS,
      settings: {nodes: nodes.map((n) => ({host: n.host, port: n.port}))},
      async inject(fault, rng, context) {
        switch (fault) {
          case 'node-kill-9': {
            const i = rng.int(0, nodes.length - 1);
            const node = nodes[i] as Node;
            const downMs = rng.int(200, 1500);
            const t0 = Date.now();
            await galera.kill(i);
            killedAt.set(node, t0);
            context.crashed();
            await galera.waitForSize(nodes.length - 1, 30000);
            const evicted = Date.now() - t0;
            await sleep(downMs);
            await galera.rejoin(i);
            await galera.waitForSize(nodes.length, 60000);
            return (
              `kill -9 of ${node.name}: out of the cluster after ${evicted} ms, down ${downMs} ms more, ` +
              `Synced again ${Date.now() - t0} ms after the kill`
            );
          }
          case 'kill-connection':
            return killConnections(nodes, rng, context.count);
          default:
            throw new Error(`no fault ${fault} on Galera`);
        }
      },
      async caughtUp() {
        for (const node of nodes) await syncedCheckNode(node).query('SELECT 1');
      },
      async heal() {
        for (let i = 0; i < nodes.length; i++) {
          if (!(nodes[i] as Node).running) await galera.rejoin(i);
        }
        await galera.waitForSize(nodes.length, 60000);
      },
      async checkpoint() {
        await galera.waitForSize(nodes.length, 60000);
        // A node that survived: never killed, else the one killed longest ago.
        const record = [...nodes].sort(
          (a, b) => (killedAt.get(a) ?? 0) - (killedAt.get(b) ?? 0),
        )[0] as Node;
        return {
          record: syncedCheckNode(record),
          others: nodes.filter((n) => n !== record).map(syncedCheckNode),
        };
      },
      details: () => ({}),
      destroy: () => galera.destroy(),
    };
  } catch (err) {
    await galera.destroy();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// MySQL 9.7 Group Replication, 3 members
// ---------------------------------------------------------------------------------------------------------------

export const GROUP_FAULT_KINDS = ['primary-kill-9', 'switchover', 'kill-connection'] as const;

/** A private 3-member MySQL 9.7 Group Replication group (single-primary); the data source lists the members. */
export async function groupTarget(): Promise<BankTarget> {
  const group = await startGroupReplication({members: 3});
  try {
    const {members} = group;
    const first = await group.primary();
    if (!first) throw new Error('the group has no primary');
    // Where the connector finds the primary: the one privilege the login needs beyond the bank's own.
    await createBank(first, ['GRANT SELECT ON performance_schema.replication_group_members']);
    await group.sync();
    const failovers: number[] = [];

    const currentPrimary = async () => {
      const p = await group.primary();
      if (!p) throw new Error('the group has no primary');
      return p;
    };

    return {
      name: 'MySQL 9.7 Group Replication, 3 members',
      faultKinds: GROUP_FAULT_KINDS,
      settings: {
        nodes: members.map((m) => ({host: m.host, port: m.port})),
        cluster: 'group-replication',
      },
      async inject(fault, rng, context) {
        switch (fault) {
          case 'primary-kill-9': {
            const old = await currentPrimary();
            const i = members.indexOf(old);
            const t0 = Date.now();
            await group.kill(i);
            context.crashed();
            const next = await group.waitForOnline(members.length - 1, 30000);
            const failover = Date.now() - t0;
            failovers.push(failover);
            await group.rejoin(i);
            await group.waitForOnline(members.length, 30000);
            return (
              `kill -9 of the primary ${old.name}: ${next.name} primary after ${failover} ms, ` +
              `${old.name} ONLINE again ${Date.now() - t0} ms after the kill`
            );
          }
          case 'switchover': {
            const old = await currentPrimary();
            const target = rng.pick(members.filter((m) => m !== old));
            const t0 = Date.now();
            await group.setPrimary(members.indexOf(target));
            const now = await group.waitForOnline(members.length, 30000);
            if (now !== target) throw new Error(`${now.name} is primary, not ${target.name}`);
            return `switchover ${old.name} -> ${target.name} in ${Date.now() - t0} ms`;
          }
          case 'kill-connection':
            return killConnections(members, rng, context.count);
          default:
            throw new Error(`no fault ${fault} on Group Replication`);
        }
      },
      caughtUp: () => group.sync(),
      async heal() {
        for (let i = 0; i < members.length; i++) {
          if (!members[i]?.running) await group.rejoin(i);
        }
        await group.waitForOnline(members.length, 60000);
      },
      async checkpoint() {
        const primary = await group.waitForOnline(members.length, 60000);
        await group.sync(30000);
        return {
          record: checkNode(primary),
          others: members.filter((m) => m !== primary).map(checkNode),
        };
      },
      details: (): Record<string, number> =>
        failovers.length === 0
          ? {}
          : {failovers: failovers.length, 'failover ms (slowest)': Math.max(...failovers)},
      destroy: () => group.destroy(),
    };
  } catch (err) {
    await group.destroy();
    throw err;
  }
}

/** The topologies of bank-topologies.test.ts, by the names CHAOS_TOPOLOGIES takes. */
export const TOPOLOGIES = {
  replicas: () => replicasTarget('mariadb-10.11'),
  'mysql-replicas': () => replicasTarget('mysql-9.7'),
  galera: galeraTarget,
  group: groupTarget,
} as const;
export type TopologyName = keyof typeof TOPOLOGIES;
