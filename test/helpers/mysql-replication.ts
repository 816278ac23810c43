/*
 * A private MySQL (8.0.22+, tested on 9.7) asynchronous replication topology on free loopback ports: a primary and 1
 * or 2 replicas with GTIDs (auto-positioning), replicas read_only and super_read_only. It gives the same
 * {@link Replication} as the MariaDB one of ./cluster.ts, so that the same scenarios run on both; ./cluster.ts's
 * startReplication() dispatches here for a kind of the `mysql` flavour.
 *
 * Each server is a ./private-server.ts server of the kind (MySQL 9.7 runs in its chroot, see ../servers/kinds.ts),
 * so it never touches the shared servers, and is signalled by its own pid. The recipe and its pitfalls (plain TCP
 * with caching_sha2_password needs GET_SOURCE_PUBLIC_KEY=1, the memory trimming) are in
 * ../shared/spec/mysql-replication-notes.md.
 */
import type {Connection as PromiseConnection} from 'mysql2/promise';
import type {Node, Replication} from './cluster';
import {type PrivateServer, startPrivateServer} from './private-server';
import {connectRoot, queryOnce} from './root-client';
import type {ServerKind} from '../servers/kinds';

const REPL_PASSWORD = 'replpw';
const READY_TIMEOUT_MS = 30000;

/**
 * Option-file lines of every server of the topology. The buffer pool is the kind's 64M; the rest trims what MySQL
 * allocates by default (RSS about 300-400 MB per server instead of 550): the redo log buffer, and the
 * performance_schema tables sized for production (kept on: replication status lives there too).
 */
export const MYSQL_GTID_OPTIONS = [
  'gtid-mode=ON',
  'enforce-gtid-consistency=ON',
  'report-host=127.0.0.1',
  'relay-log=relay-bin',
  'max-connections=100',
  'innodb-log-buffer-size=8M',
  'table-open-cache=256',
  'table-definition-cache=400',
  'key-buffer-size=1M',
  'performance-schema-digests-size=1000',
  'performance-schema-events-statements-history-long-size=100',
  'performance-schema-max-sql-text-length=256',
  'performance-schema-max-digest-length=256',
  'performance-schema-accounts-size=20',
  'performance-schema-hosts-size=20',
  'performance-schema-users-size=20',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One server of the topology: a {@link Node} on a private server. */
class MySqlNode implements Node {
  readonly host = '127.0.0.1' as const;

  constructor(
    readonly name: string,
    readonly serverId: number,
    private readonly server: PrivateServer,
  ) {}

  get port(): number {
    return this.server.port;
  }

  get pid(): number {
    return this.server.pid;
  }

  get running(): boolean {
    return this.server.running;
  }

  kill(): Promise<void> {
    return this.server.kill();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} already runs (pid ${this.pid})`);
    // A replica's channel is kept in the data directory: its threads start again with the server.
    await this.server.restart();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement, read by the tests
  query(sql: string, params?: readonly unknown[]): Promise<any> {
    return queryOnce(this.port, sql, params);
  }

  connect(database?: string): Promise<PromiseConnection> {
    return connectRoot(this.port, database);
  }

  logTail(lines?: number): string {
    return this.server.logTail(lines);
  }

  /** SIGKILL, then removes the data directory (a clean shutdown would only cost time). */
  async destroy(): Promise<void> {
    await this.server.kill().catch(() => undefined);
    await this.server.destroy();
  }
}

/** The replica's SHOW REPLICA STATUS row (undefined when no channel is configured). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row of SHOW REPLICA STATUS, read for messages
async function replicaStatus(node: Node): Promise<any> {
  const [status] = await node.query('SHOW REPLICA STATUS');
  return status;
}

/** Waits until the replica's receiver (IO) and applier (SQL) threads both run. */
async function waitRunning(node: Node): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as replicaStatus()
  let status: any;
  for (;;) {
    status = await replicaStatus(node).catch(() => undefined);
    if (status?.Replica_IO_Running === 'Yes' && status?.Replica_SQL_Running === 'Yes') return;
    if (Date.now() > deadline) {
      throw new Error(
        `replication on ${node.name} (port ${node.port}) did not start within ${READY_TIMEOUT_MS} ms ` +
          `(IO ${status?.Replica_IO_Running}, SQL ${status?.Replica_SQL_Running}, ` +
          `${status?.Last_IO_Error || status?.Last_SQL_Error || 'no error'}):\n${node.logTail()}`,
      );
    }
    await sleep(100);
  }
}

/** A primary and `replicas` GTID replicas of `kind` (a MySQL flavour). */
export async function startMySqlReplication(options: {
  replicas: 1 | 2;
  kind: ServerKind;
}): Promise<Replication> {
  const {kind} = options;
  if (kind.flavour !== 'mysql') throw new Error(`${kind.name} is not a MySQL server`);
  const nodes: MySqlNode[] = [];
  const destroy = async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
  };
  try {
    const specs = [
      // The primary writes the binary log the replicas read; the kind disables it by default.
      {name: 'primary', serverId: 101, lines: ['log-bin=binlog']},
      ...Array.from({length: options.replicas}, (_, i) => ({
        name: `replica${i + 1}`,
        serverId: 102 + i,
        lines: ['read-only=ON', 'super-read-only=ON'],
      })),
    ];
    // Initialized and started together: each --initialize takes 2-5 s.
    const started = await Promise.allSettled(
      specs.map(async (spec) => {
        const server = await startPrivateServer({
          kind,
          options: () => [...MYSQL_GTID_OPTIONS, `server-id=${spec.serverId}`, ...spec.lines],
        });
        const node = new MySqlNode(spec.name, spec.serverId, server);
        nodes.push(node);
        return node;
      }),
    );
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const byName = (name: string) => nodes.find((n) => n.name === name) as MySqlNode;
    const primary = byName('primary');
    const replicas = specs.slice(1).map((s) => byName(s.name));

    await primary.query(
      `CREATE USER 'repl'@'%' IDENTIFIED WITH caching_sha2_password BY '${REPL_PASSWORD}'`,
    );
    await primary.query(`GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'`);
    await Promise.all(
      replicas.map(async (replica) => {
        // SOURCE_SSL=0: plain TCP, as the tests' clients use; caching_sha2_password then needs the source's RSA key
        // (GET_SOURCE_PUBLIC_KEY=1), or the receiver fails with errno 2061 once the source's auth cache is empty.
        await replica.query(
          `CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=${primary.port}, ` +
            `SOURCE_USER='repl', SOURCE_PASSWORD='${REPL_PASSWORD}', SOURCE_AUTO_POSITION=1, ` +
            'GET_SOURCE_PUBLIC_KEY=1, SOURCE_SSL=0, SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=86400',
        );
        await replica.query('START REPLICA');
        await waitRunning(replica);
      }),
    );

    const stopped = new Set<Node>();
    const checkReplica = (node: Node): MySqlNode => {
      const replica = replicas.find((r) => r === node);
      if (!replica) throw new Error(`${node.name} is not a replica`);
      return replica;
    };

    return {
      primary,
      replicas,
      async sync(timeoutMs = 20000) {
        const [{executed}] = await primary.query('SELECT @@GLOBAL.gtid_executed AS executed');
        if (!executed) return;
        const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
        await Promise.all(
          replicas
            .filter((r) => r.running && !stopped.has(r))
            .map(async (r) => {
              const [{waited}] = await r.query(
                'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS waited',
                [executed, seconds],
              );
              if (Number(waited) !== 0) {
                const status = await replicaStatus(r);
                throw new Error(
                  `${r.name} did not apply the primary's ${executed} within ${seconds} s ` +
                    `(executed ${status?.Executed_Gtid_Set}, IO ${status?.Replica_IO_Running}, ` +
                    `SQL ${status?.Replica_SQL_Running}, ${status?.Last_IO_Error || status?.Last_SQL_Error || ''})`,
                );
              }
            }),
        );
      },
      async stopReplication(node) {
        const replica = checkReplica(node);
        await replica.query('STOP REPLICA');
        stopped.add(replica);
      },
      async startReplication(node) {
        const replica = checkReplica(node);
        await replica.query('START REPLICA');
        stopped.delete(replica);
        await waitRunning(replica);
      },
      isReplicationStopped(node) {
        return stopped.has(node);
      },
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}
