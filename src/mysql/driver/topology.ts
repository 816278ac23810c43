import createDebug from 'debug';
import mysql2, {type Pool, type PoolCluster, type PoolConnection, type PoolOptions} from 'mysql2';
import {toMySqlError} from '../errors';
import {guardConnection, releaseOrDrop} from './execution';
import {GroupReplication} from './group-replication';
import {clusterIdOf, nodeRemover, openConnections} from './mysql2-internals';
import {promised} from './promised';
import {withIpIdentity} from './tls';
import type {ConnectionSource, Kill, Reroute, Selector} from './types';

const debug = createDebug('loopback:connector:mysql:topology');

/** Where statements go: one server, a primary with read replicas, equal (Galera) nodes, or a Group Replication group. */
export interface TopologyOptions {
  readonly primary: PoolOptions;
  /** Read replicas: reads outside transactions go to them. */
  readonly replicas: readonly PoolOptions[];
  /** Equal nodes of a multi-primary cluster (Galera): every statement goes to a live one. */
  readonly nodes: readonly PoolOptions[];
  readonly replicaSelector: Selector;
  readonly nodeSelector: Selector;
  /** How long a node that failed stays out of rotation, in ms. */
  readonly restoreNodeTimeout: number;
  /** What `nodes` are: equal nodes (`galera`), or the members of a single-primary Group Replication group. */
  readonly cluster: 'galera' | 'group-replication';
  /** Group Replication: milliseconds between two looks at the group while it has a primary. */
  readonly groupRefreshInterval: number;
}

/**
 * The connections of a data source. With replicas or nodes it is built on mysql2's PoolCluster: a node that fails
 * to give a connection is taken out of rotation for `restoreNodeTimeout`, and the request goes to the next one.
 */
export class Topology {
  /** The primary's pool, or the cluster of equal nodes. */
  readonly client: Pool | PoolCluster;
  /** Writes, DDL, transactions: the primary (or a live node of a multi-primary cluster). */
  readonly writer: ConnectionSource;
  /** The read replicas (their failures take them out of rotation; the primary is a plain pool and never is). */
  private readonly cluster: PoolCluster | undefined;
  private readonly replicaIds: readonly string[];
  private readonly selector: TopologyOptions['replicaSelector'];
  private healthy: ConnectionSource | undefined;
  private excluded = new Set<string>();
  /** A Group Replication group: statements go where the group's own view of its members says. */
  readonly group: GroupReplication | undefined = undefined;
  /** Group Replication: a write that was not applied runs once more on a new primary (see GroupReplication.reroute). */
  readonly reroute: Reroute | undefined = undefined;

  constructor(options: TopologyOptions) {
    const base = {stringifyObjects: true};
    this.selector = options.replicaSelector;
    if (options.nodes.length > 0 && options.cluster === 'group-replication') {
      const group = new GroupReplication({
        members: options.nodes.map((node) => ({...node, ...base})),
        selector: options.replicaSelector,
        refreshInterval: options.groupRefreshInterval,
      });
      this.group = group;
      this.reroute = (err, since) => group.reroute(err, since);
      this.client = group.cluster;
      this.writer = group.writer;
      this.cluster = undefined;
      this.replicaIds = [];
      return;
    }
    if (options.nodes.length > 0) {
      const cluster = this.createCluster(options);
      options.nodes.forEach((node, i) =>
        cluster.add(`NODE${i}`, withIpIdentity({...node, ...base})),
      );
      this.client = cluster;
      this.writer = readyNodes(cluster, cluster.of('NODE*', options.nodeSelector));
      this.cluster = undefined;
      this.replicaIds = [];
      return;
    }
    const pool = mysql2.createPool(withIpIdentity({...options.primary, ...base}));
    this.client = pool;
    this.writer = pool;
    if (options.replicas.length === 0) {
      this.cluster = undefined;
      this.replicaIds = [];
      return;
    }
    const cluster = this.createCluster(options);
    options.replicas.forEach((replica, i) =>
      cluster.add(`REPLICA${i}`, withIpIdentity({...replica, ...base})),
    );
    this.cluster = cluster;
    this.replicaIds = options.replicas.map((_, i) => `REPLICA${i}`);
    this.healthy = this.replicaNamespace();
  }

  private createCluster(options: TopologyOptions): PoolCluster {
    const cluster = mysql2.createPoolCluster({
      canRetry: true,
      removeNodeErrorCount: 1,
      restoreNodeTimeout: options.restoreNodeTimeout,
      defaultSelector: options.replicaSelector,
    });
    cluster.on('offline', (id: string) => debug('node %s is out of rotation', id));
    cluster.on('online', (id: string) => debug('node %s is back in rotation', id));
    return cluster;
  }

  /** The ids of the read replicas (`REPLICA0`, ...). */
  get replicas(): readonly string[] {
    return this.replicaIds;
  }

  /** Where a read goes: a replica in rotation, or the writer when there is none. */
  get reader(): ConnectionSource {
    return this.group?.reader ?? this.healthy ?? this.writer;
  }

  /** Before the first statement: a Group Replication group is looked at (see GroupReplication.start). */
  async start(): Promise<void> {
    await this.group?.start();
  }

  /** Where the server is checked at connect time: the writer, or for a group any member that takes statements. */
  get anyServer(): ConnectionSource {
    return this.group?.anyMember ?? this.writer;
  }

  /** The pool options of the server that takes writes now, when they change (a group's primary). */
  primaryOptions(): PoolOptions | undefined {
    return this.group?.primaryOptions();
  }

  /** A statement failed: a group looks at its members again when the failure says something about them. */
  observe(err: unknown): void {
    this.group?.observe(err);
  }

  /** Takes replicas out of rotation (too far behind), or puts them back. */
  setExcluded(ids: Iterable<string>): void {
    const next = new Set(ids);
    if (next.size === this.excluded.size && [...next].every((id) => this.excluded.has(id))) return;
    this.excluded = next;
    debug('replicas out of rotation for lag: %o', [...next]);
    this.healthy = this.replicaNamespace();
  }

  private replicaNamespace(): ConnectionSource | undefined {
    const ids = this.replicaIds.filter((id) => !this.excluded.has(id));
    if (!this.cluster || ids.length === 0) return undefined;
    return this.cluster.of(new RegExp(`^(${ids.join('|')})$`) as unknown as string, this.selector);
  }

  /** A one-off statement on one replica (the lag check). */
  queryReplica(id: string, sql: string): Promise<Record<string, unknown>[]> {
    const cluster = this.cluster;
    if (!cluster) return Promise.resolve([]);
    return promised<string, Record<string, unknown>[]>((text, done) => {
      cluster.of(id).getConnection((err, connection) => {
        if (err) return done(toMySqlError(err));
        connection.query(text, (qerr, rows) => {
          connection.release();
          if (qerr) done(toMySqlError(qerr, text));
          else done(null, rows as Record<string, unknown>[]);
        });
      });
    }, sql);
  }

  /** {@link killQuery} with the default deadline, made once: every statement's timeout may call it. */
  readonly kill: Kill = (connection, timeoutMs) => this.killQuery(connection, timeoutMs);

  /**
   * Stops a statement on the server its connection belongs to (after a client-side timeout). The KILL gets the same
   * deadline as the statement: on a network that stalls, the connection it runs on must not stay taken forever.
   */
  killQuery(connection: PoolConnection, timeoutMs = KILL_TIMEOUT_MS): void {
    const threadId = Number(connection.threadId);
    if (!threadId) return;
    const clusterId = clusterIdOf(connection);
    const nodes =
      this.cluster ?? (this.client !== this.writer ? (this.client as PoolCluster) : undefined);
    const target: ConnectionSource = clusterId && nodes ? nodes.of(clusterId) : this.writer;
    target.getConnection((err, killer) => {
      if (err) return;
      guardConnection(killer);
      const sql = `KILL QUERY ${threadId}`;
      killer.query({sql, timeout: timeoutMs > 0 ? timeoutMs : KILL_TIMEOUT_MS}, (qerr) => {
        // After a timeout the connection's protocol state is lost (mysql2 leaves it as it is): drop it.
        if ((qerr as {code?: unknown} | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT')
          killer.destroy();
        else releaseOrDrop(killer);
      });
    });
  }

  /**
   * Ends the pools. mysql2 ends a connection by queueing COM_QUIT behind its running statement; a connection whose
   * statement never gets an answer (a stalled network) would hold the end forever: past `timeoutMs`, the
   * connections still open are destroyed.
   */
  async end(timeoutMs = END_TIMEOUT_MS): Promise<void> {
    this.group?.stop();
    const ends = [this.client, this.cluster].filter(
      (c): c is Pool | PoolCluster => c !== undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const ended = Promise.all(
      ends.map((c) => promised<Pool | PoolCluster, void>((e, done) => e.end(() => done(null)), c)),
    );
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    try {
      if ((await Promise.race([ended, late])) !== 'late') return;
      debug('the pool did not end within %d ms: destroying its open connections', timeoutMs);
      for (const pool of ends) for (const c of openConnections(pool)) c.destroy();
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The nodes of a Galera cluster, handing out connections only from nodes that take statements. A node that was down
 * comes back into rotation after `restoreNodeTimeout` (mysql2's PoolCluster), and a restarted node accepts connections
 * while it is still joining the cluster, but refuses every statement with 1047 until it is Synced (a full state
 * transfer can take hours); with the ORDER selector every statement would go to it. So each new connection is checked
 * once (`wsrep_ready`, one round trip), and a node that is not ready is taken out of rotation again, as a node that
 * refuses connections is. A server without Galera (no wsrep_ready) counts as ready.
 */
function readyNodes(cluster: PoolCluster, nodes: ConnectionSource): ConnectionSource {
  const checked = new WeakSet<PoolConnection>();
  const getConnection: ConnectionSource['getConnection'] = (cb) => {
    nodes.getConnection((err, connection) => {
      if (err || checked.has(connection)) return cb(err, connection);
      const id = clusterIdOf(connection);
      const takeOut = nodeRemover(cluster, id);
      if (!takeOut) return cb(null, connection);
      const sql = "SHOW GLOBAL STATUS LIKE 'wsrep_ready'";
      connection.query({sql, timeout: READY_PROBE_TIMEOUT_MS}, (qerr, rows) => {
        const row = (rows as {Value?: unknown}[] | undefined)?.[0];
        if (!qerr && (row === undefined || row.Value === 'ON')) {
          checked.add(connection);
          return cb(null, connection);
        }
        debug(
          'node %s does not take statements (%s): out of rotation',
          id,
          qerr?.message ?? 'wsrep_ready OFF',
        );
        connection.destroy();
        takeOut();
        getConnection(cb);
      });
    });
  };
  return {getConnection};
}

/** How long the look at a new Galera connection's wsrep_ready may take. */
const READY_PROBE_TIMEOUT_MS = 2000;

/** How long a KILL QUERY may take when the statement it stops had no timeout of its own. */
const KILL_TIMEOUT_MS = 5000;
/** How long ending the pools may take before the open connections are destroyed. */
const END_TIMEOUT_MS = 5000;
