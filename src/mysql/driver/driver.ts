import createDebug from 'debug';
import mysql2, {
  escapeId,
  type Pool,
  type PoolCluster,
  type PoolConnection,
  type PoolOptions,
} from 'mysql2';
import type {ModelData, Options} from '../../sql-connector/juggler-types';
import type {StatementIntent} from '../../sql-connector/sql-connector';
import {describeServer, SERVER_INFO_SQL, UNKNOWN_SERVER, type ServerInfo} from '../server';
import {isMySqlError} from '../errors';
import {acquire, queryOn, releaseOrDrop, runPooled} from './execution';
import {bindable} from '../prepared';
import type {StreamPlan} from './stream';
import {withIpIdentity} from './tls';
import {Topology} from './topology';
import {beginTransaction, endTransaction, query} from './transaction';
import type {ConnectionSource, DriverSettings} from './types';

const debug = createDebug('loopback:connector:mysql');

/** Options key of a connection pinned for a unit of work (a lock, a migration), outside any user transaction. */
const PINNED = Symbol('pinned connection');
type PinnedOptions = Options & {[PINNED]?: PoolConnection};

/** The statement timeout: `options.timeout` of the call, else the data source's `queryTimeout`. */
function statementTimeout(options: Options | undefined, fallback: number): number {
  const t = options?.timeout;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : fallback;
}

/** Logs a retry of an autocommit statement (made once: not a closure per statement). */
function logRetry(err: {code: string}, attempt: number): void {
  debug('retrying after %s (attempt %d)', err.code, attempt);
}

/** What the driver tells its owner. */
export interface DriverEvents {
  /**
   * The driver connected because a statement needed it, not through `connect()` (a lazy data source, raw `execute`
   * before `connect`, after `disconnect`).
   */
  readonly connectedByStatement?: () => void;
}

/**
 * The connections of one data source and everything that runs on them: the pools and their topology (replicas,
 * Galera nodes, a Group Replication group), connecting and reading the server's capabilities, statements with their
 * timeouts, retries and routing (read-your-writes, replica lag), streams, transactions, and the drain of the
 * statements in flight at disconnect. The only part of the connector, with the rest of this folder, that knows mysql2.
 *
 * ```ts
 * const driver = new Driver(resolveSettings({host: '127.0.0.1', database: 'shop'}));
 * await driver.connect();
 * const rows = await driver.execute('SELECT 1 AS ok', [], {}, 'read', false);
 * ```
 */
export class Driver {
  private topology: Topology | undefined;
  /** When this data source last wrote (for readYourWritesMs), and the replica lag monitor. */
  private lastWriteAt = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /** Statements running now, and who waits for them to finish (`disconnect`). */
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** What the server reported at connect time; safe defaults before. */
  private reported: ServerInfo = UNKNOWN_SERVER;

  constructor(
    private readonly settings: DriverSettings,
    private readonly events: DriverEvents = {},
  ) {}

  /** What the server reported at connect time; safe defaults (forms both MySQL and MariaDB accept) before. */
  get server(): ServerInfo {
    return this.reported;
  }

  /**
   * Test seam: SQL is built from now on as for `server`, as if the driver had connected to it (unit tests of
   * server-dependent SQL, without a server). Connecting replaces it with what the real server reports.
   */
  assumeServer(server: ServerInfo): void {
    this.reported = server;
  }

  /** The mysql2 pool, or pool cluster (undefined until connected). */
  get client(): Pool | PoolCluster | undefined {
    return this.topology?.client;
  }

  get connected(): boolean {
    return this.topology !== undefined;
  }

  /**
   * Where the driver connects and how it is doing, for logs: never the password, TLS keys, the settings or the pool
   * (whose options hold them).
   */
  summary(): Record<string, unknown> {
    const {pool, replicas, nodes} = this.settings;
    const {host, port, socketPath, user, database, connectionLimit} = pool;
    const where = (options: {host?: string; port?: number}) => `${options.host}:${options.port}`;
    return {
      ...(socketPath ? {socketPath} : {host, port}),
      user,
      database,
      connectionLimit,
      ...(replicas.length > 0 ? {replicas: replicas.map(where)} : {}),
      ...(nodes.length > 0 ? {nodes: nodes.map(where)} : {}),
      connected: this.connected,
      server:
        this.server === UNKNOWN_SERVER ? 'unknown' : `${this.server.flavor} ${this.server.version}`,
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Opens the pool, creates the database when `createDatabase` asks for it, and reads the server's flavour and
   * version. Fails (within `connectTimeout`) instead of reporting a connection that does not work.
   */
  async connect(): Promise<void> {
    if (this.topology) return;
    this.connecting ??= this.openPool().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Waits for the statements in flight (at most `timeoutMs`), then ends the pool, so the process can exit.
   * Statements issued meanwhile still run; new connections are refused once the pool ends.
   */
  async disconnect(timeoutMs = 10000): Promise<void> {
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.idle = undefined;
    }
    const topology = this.topology;
    this.topology = undefined;
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.lagTimer = undefined;
    if (topology) await topology.end();
  }

  /** The pool, connecting first when needed (lazy data sources, raw `execute` before `connect`, after `disconnect`). */
  private async getTopology(): Promise<Topology> {
    if (!this.topology) {
      await this.connect();
      this.events.connectedByStatement?.();
    }
    return this.topology as Topology;
  }

  private async openPool(): Promise<void> {
    const r = this.settings;
    const topology = new Topology({
      primary: r.pool,
      replicas: r.replicas,
      nodes: r.nodes,
      replicaSelector: r.replicaSelector,
      nodeSelector: r.nodeSelector,
      restoreNodeTimeout: r.restoreNodeTimeout,
      cluster: r.cluster,
      groupRefreshInterval: r.groupRefreshInterval,
    });
    try {
      // A group is looked at first: its database is created on the member that is the primary now.
      await topology.start();
      if (r.createDatabase && r.database) {
        await this.createDatabase(r.database, topology.primaryOptions());
      }
      const connection = await acquire(topology.anyServer, r.acquireTimeout);
      try {
        // A server that accepts the login and then never answers must not hold connect() forever.
        const rows = await query(
          connection,
          SERVER_INFO_SQL,
          r.queryTimeout || Number(r.pool.connectTimeout ?? 10000),
        );
        this.reported = describeServer((rows as Record<string, unknown>[])[0] ?? {});
      } finally {
        releaseOrDrop(connection);
      }
    } catch (err) {
      await topology.end();
      throw err;
    }
    this.topology = topology;
    if (r.maxReplicaLag !== undefined && topology.replicas.length > 0)
      this.watchReplicaLag(topology);
    debug('connected to %s %s', this.server.flavor, this.server.version);
  }

  /**
   * Keeps replicas that lag more than maxReplicaLag seconds (or do not replicate) out of rotation. A replica whose
   * status this user may not read (it lacks REPLICATION CLIENT on MySQL, SLAVE MONITOR on MariaDB) would stay in
   * rotation however far behind it is: that is said once per replica, as an `LB_MYSQL_REPLICA_LAG_UNREADABLE` warning.
   */
  private watchReplicaLag(topology: Topology): void {
    const max = this.settings.maxReplicaLag ?? 0;
    const unreadable = new Set<string>();
    const check = async () => {
      const lagging: string[] = [];
      for (const id of topology.replicas) {
        try {
          const [status] = await topology.queryReplica(id, this.server.replicaStatusSql);
          const lag = status?.[this.server.replicaLagColumn] ?? null;
          if (lag === null || lag === undefined || Number(lag) > max) lagging.push(id);
        } catch (err) {
          // A replica that does not answer is handled by the pool cluster (out of rotation for a while).
          const denied = isMySqlError(err, 'ER_SPECIFIC_ACCESS_DENIED_ERROR');
          if (denied && !unreadable.has(id)) {
            unreadable.add(id);
            const {host, port} = this.settings.replicas[topology.replicas.indexOf(id)] ?? {};
            process.emitWarning(
              `maxReplicaLag: the lag of the replica ${host}:${port ?? 3306} cannot be read, so it stays in ` +
                `rotation however far behind it is: ${(err as Error).message}`,
              {type: 'LoopBackReplicaWarning', code: 'LB_MYSQL_REPLICA_LAG_UNREADABLE'},
            );
          }
        }
      }
      topology.setExcluded(lagging);
    };
    const run = () => void check().catch(() => undefined);
    run();
    this.lagTimer = setInterval(run, this.settings.lagCheckInterval);
    this.lagTimer.unref();
  }

  private async createDatabase(database: string, primary?: PoolOptions): Promise<void> {
    const {charset, collation} = this.settings;
    const options = primary ?? this.settings.nodes[0] ?? this.settings.pool;
    const {connectionLimit: _l, queueLimit: _q, database: _d, ...connectionOptions} = options;
    const connection = mysql2.createConnection(withIpIdentity(connectionOptions));
    try {
      await query(
        connection as unknown as Pool,
        `CREATE DATABASE IF NOT EXISTS ${escapeId(database, true)} CHARACTER SET ${charset}` +
          (collation ? ` COLLATE ${collation}` : ''),
      );
    } finally {
      connection.destroy();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Statements
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Runs one statement: on the transaction's connection (`options.transaction`, never retried), on the connection
   * pinned by {@link withConnection}, or on a pool connection (a replica's for a read that may go there), with the
   * statement timeout, deadlock retries and a group's reroute. `prepared`: the connector built it to run prepared
   * (it does when its values can be bound).
   */
  execute(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent,
    prepared: boolean,
  ): Promise<unknown> {
    const topology = this.topology;
    if (!topology) {
      return this.getTopology().then(() => this.execute(sql, params, options, intent, prepared));
    }
    const timeout = statementTimeout(options, this.settings.queryTimeout);
    const bound =
      (options?.transaction?.connection as PoolConnection | undefined) ??
      (options as PinnedOptions | undefined)?.[PINNED];
    const started = debug.enabled ? performance.now() : 0;
    const binary = prepared && bindable(params);
    this.inFlight++;
    const running = bound
      ? // Inside a transaction nothing is retried: a deadlock rolled the whole transaction back, and the caller
        // must run it again as a unit (the error keeps errno 1213/1205 for that).
        queryOn({
          connection: bound,
          sql,
          params,
          timeoutMs: timeout,
          kill: topology.kill,
          prepared: binary,
        })
      : runPooled({
          sql,
          params,
          ...this.sourceFor(topology, intent === 'read' && this.mayReadFromReplica(options)),
          acquireTimeoutMs: this.settings.acquireTimeout,
          timeoutMs: timeout,
          kill: topology.kill,
          retries: this.settings.deadlockRetries,
          onRetry: logRetry,
          reroute: topology.reroute,
          prepared: binary,
        });
    return running.then(
      (result) => {
        if (intent === 'write') this.lastWriteAt = Date.now();
        this.settled(sql, params, started);
        return result;
      },
      (err: unknown) => {
        this.settled(sql, params, started);
        topology.observe(err);
        throw err;
      },
    );
  }

  /**
   * What `streamRows` needs to read the rows of one SELECT: the connection (the transaction's, a pinned one, else the
   * pool's: a replica's when a read may go there), the timeouts, and the in-flight bookkeeping.
   */
  async streamPlan(
    sql: string,
    params: readonly unknown[],
    options: Options,
    convert: (rows: Record<string, unknown>[]) => ModelData[],
  ): Promise<StreamPlan> {
    const topology = await this.getTopology();
    const bound =
      (options.transaction?.connection as PoolConnection | undefined) ??
      (options as PinnedOptions)[PINNED];
    const started = debug.enabled ? performance.now() : 0;
    this.inFlight++;
    return {
      sql,
      params,
      convert,
      bound,
      ...this.sourceFor(topology, this.mayReadFromReplica(options)),
      acquireTimeoutMs: this.settings.acquireTimeout,
      timeoutMs: statementTimeout(options, this.settings.queryTimeout),
      kill: topology.kill,
      onSettled: () => this.settled(sql, params, started),
    };
  }

  /** Bookkeeping once a statement has settled: the in-flight count that `disconnect` waits on, and the debug log. */
  private settled(sql: string, params: readonly unknown[], started: number): void {
    this.inFlight--;
    if (this.inFlight === 0) this.idle?.();
    if (debug.enabled) {
      debug('%s (%d params) %s ms', sql, params.length, (performance.now() - started).toFixed(1));
    }
  }

  /** A read may go to a replica unless the call asks for the primary or this data source has just written. */
  private mayReadFromReplica(options: Options | undefined): boolean {
    if (options?.readFrom === 'primary') return false;
    const window = this.settings.readYourWritesMs;
    return window === 0 || Date.now() - this.lastWriteAt >= window;
  }

  /** Where a statement takes its connection: a replica for a read (the primary when none answers), else the writer. */
  private sourceFor(
    topology: Topology,
    read: boolean,
  ): {source: ConnectionSource; fallback: ConnectionSource | undefined} {
    if (read && topology.reader !== topology.writer) {
      return {source: topology.reader, fallback: topology.writer};
    }
    return {source: topology.writer, fallback: undefined};
  }

  /**
   * Runs `work` with every statement on one connection: the transaction's when `options` has one, otherwise a pool
   * connection that is released (or destroyed after a fatal error) when `work` ends. The caller checks the
   * transaction belongs to it.
   */
  async withConnection<T>(
    options: Options,
    work: (options: Options, connection: PoolConnection, inTransaction: boolean) => Promise<T>,
  ): Promise<T> {
    const txConnection = options?.transaction?.connection as PoolConnection | undefined;
    if (txConnection) return work(options, txConnection, true);
    const topology = await this.getTopology();
    const connection = await acquire(topology.writer, this.settings.acquireTimeout);
    try {
      return await work({...options, [PINNED]: connection}, connection, false);
    } finally {
      releaseOrDrop(connection);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transactions
  // ---------------------------------------------------------------------------------------------------------------

  /** A connection of the writer with a transaction begun on it, at `isolationLevel` (READ COMMITTED by default). */
  begin(isolationLevel: string): Promise<PoolConnection> {
    return this.getTopology()
      .then((topology) => acquire(topology.writer, this.settings.acquireTimeout))
      .then((connection) =>
        beginTransaction(connection, isolationLevel, this.settings.queryTimeout),
      );
  }

  /** Commits the transaction of `connection` and gives the connection back. */
  commit(connection: unknown): Promise<void> {
    return endTransaction(connection, 'COMMIT', this.settings.queryTimeout).then(() => {
      this.lastWriteAt = Date.now();
    });
  }

  /** Rolls the transaction of `connection` back and gives the connection back. */
  rollback(connection: unknown): Promise<void> {
    return endTransaction(connection, 'ROLLBACK', this.settings.queryTimeout);
  }
}
