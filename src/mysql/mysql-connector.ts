import {createHash} from 'node:crypto';
import {inspect} from 'node:util';
import createDebug from 'debug';
import mysql2, {
  type Pool,
  type PoolCluster,
  type PoolConnection,
  type PoolOptions,
  type ResultSetHeader,
} from 'mysql2';
import {settleOrReturn, type Callback} from '../sql-connector/callbacks';
import {InvalidFilterError, SqlConnectorError} from '../sql-connector/errors';
import {buildProjection, type FieldList} from '../sql-connector/fields';
import type {Filter, ModelData, Options, Where} from '../sql-connector/juggler-types';
import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import {isShaped} from '../sql-connector/statement-shapes';
import type {Page} from '../sql-connector/pagination';
import {
  SqlConnector,
  type ColumnReader,
  type StatementIntent,
  type UpsertInfo,
} from '../sql-connector/sql-connector';
import {acquire, queryOn, releaseOrDrop, runPooled} from './execution';
import {Topology, type ConnectionSource} from './topology';
import {
  buildAutomigrate,
  buildAutoupdate,
  logMigration,
  migrationArgs,
  migrationDialect,
  readLiveTables,
  reportKeptColumns,
  type AutoupdateOptions,
  type MigrationContext,
} from './migration';
import {MYSQL_WHERE_DIALECT} from './operators';
import * as discovery from './discovery';
import type {DiscoveryOptions as DOpts, DiscoveryRunner} from './discovery';
import {applyMySqlPagination} from './pagination';
import {valueTypeRegistry} from './property-type';
import {describeServer, SERVER_INFO_SQL, UNKNOWN_SERVER, type ServerInfo} from './server';
import {
  resolveSettings,
  warnUnknownSettings,
  type MySqlSettings,
  type ResolvedSettings,
} from './settings';
import {bindable, readsAlike} from './prepared';
import {streamRows} from './stream';
import {MySqlUpsert} from './upsert';
import {withIpIdentity} from './tls';
import {beginTransaction, endTransaction, holdLocksUntilEnd, query} from './transaction';
import {
  columnReader,
  dateSettings,
  escapeName,
  toColumnValue,
  type DateSettings,
} from './type-mapping';

const debug = createDebug('loopback:connector:mysql');

/** Options key of a connection pinned for a unit of work (a lock, a migration), outside any user transaction. */
const PINNED = Symbol('pinned connection');
type PinnedOptions = Options & {[PINNED]?: PoolConnection};

/** The statement timeout: `options.timeout` of the call, else the data source's `queryTimeout`. */
function statementTimeout(options: Options | undefined, fallback: number): number {
  const t = options?.timeout;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : fallback;
}

/** How long `findOrCreate` / `upsertWithWhere` wait for another caller holding the same where's lock, in seconds. */
const LOCK_TIMEOUT_SECONDS = 30;

/**
 * The MySQL / MariaDB connector.
 *
 * ```ts
 * import {juggler} from '@loopback/repository';
 * const ds = new juggler.DataSource({connector: require('loopback-connector-mysql-ts'), url: process.env.MYSQL_URL});
 * ```
 */
export class MySQL extends SqlConnector {
  /** Juggler reads model and property metadata under `mysql`, as with the official connector. */
  readonly name = 'mysql';
  protected override readonly whereDialect = MYSQL_WHERE_DIALECT;
  /** The settings as mysql2 receives them (no password in logs: see `toString`). */
  private readonly resolved: ResolvedSettings;
  private topology: Topology | undefined;
  /** When this data source last wrote (for readYourWritesMs), and the replica lag monitor. */
  private lastWriteAt = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /** The upserts, and what they know of each table's unique keys (upsert.ts). */
  private readonly upserts = new MySqlUpsert({
    server: () => this.server,
    run: (stmt, options) => this.run(stmt, options),
    runSql: (sql, params, options) => this.runSql(sql, params, options),
    getRows: (result) => this.getRows(result),
    existsAsync: (model, id, options) => this.existsAsync(model, id, options),
    cachedWrite: (model, kind, fields, build) => this.cachedWrite(model, kind, fields, build),
    buildInsertRows: (mapping, columns, rows) => this.buildInsertRows(mapping, columns, rows),
  });
  /** Statements running now, and who waits for them to finish (`disconnect`). */
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** Parameter arrays of the statements to run prepared (see buildSelect), and per model whether it may. */
  private readonly prepared = new WeakSet<readonly unknown[]>();
  private readonly readsAlike = new WeakMap<ModelMapping, boolean>();
  /** What the server reported at connect time; safe defaults before. */
  server: ServerInfo = UNKNOWN_SERVER;
  /** The date settings of {@link dateSettings}, and the server they were made for. */
  private dates: {server: ServerInfo; settings: DateSettings} | undefined;

  constructor(settings: Readonly<MySqlSettings>) {
    super(settings);
    this.resolved = resolveSettings(settings);
    warnUnknownSettings(settings);
  }

  /** The mysql2 pool (undefined until connected). */
  get client(): Pool | PoolCluster | undefined {
    return this.topology?.client;
  }

  /**
   * What `util.inspect` (console.log, most loggers) shows of the connector: where it connects and how it is doing,
   * never the password, TLS keys, the settings or the pool (whose options hold them).
   */
  [inspect.custom](): string {
    return `MySQL ${inspect(this.toJSON())}`;
  }

  /** What `JSON.stringify` shows of the connector: the same summary as `util.inspect`, without secrets. */
  toJSON(): Record<string, unknown> {
    const {host, port, socketPath, user, database, connectionLimit} = this.resolved.pool;
    const where = (pool: {host?: string; port?: number}) => `${pool.host}:${pool.port}`;
    return {
      name: this.name,
      ...(socketPath ? {socketPath} : {host, port}),
      user,
      database,
      connectionLimit,
      ...(this.resolved.replicas.length > 0 ? {replicas: this.resolved.replicas.map(where)} : {}),
      ...(this.resolved.nodes.length > 0 ? {nodes: this.resolved.nodes.map(where)} : {}),
      connected: this.topology !== undefined,
      server:
        this.server === UNKNOWN_SERVER ? 'unknown' : `${this.server.flavor} ${this.server.version}`,
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dialect hooks
  // ---------------------------------------------------------------------------------------------------------------

  escapeName(name: string): string {
    return escapeName(name);
  }

  toColumnValue(column: ColumnMapping, value: unknown): unknown {
    return toColumnValue(column, value, this.dateSettings());
  }

  protected override toWriteValue(column: ColumnMapping, value: unknown): unknown {
    return toColumnValue(column, value, this.dateSettings(), true);
  }

  /** How Dates are written (the `timezone` setting, the server's TIMESTAMP range), for their range checks. */
  private dateSettings(): DateSettings {
    if (this.dates?.server !== this.server) {
      this.dates = {
        server: this.server,
        settings: dateSettings(this.resolved.pool.timezone, this.server.maxTimestamp),
      };
    }
    return this.dates.settings;
  }

  protected columnReader(column: ColumnMapping): ColumnReader | undefined {
    return columnReader(column);
  }

  /**
   * The connector's SELECTs: with `preparedStatements`, those whose where is plain comparisons of plain columns (a
   * checked shape, statement-shapes.ts) are marked for `executeSQL` to run them prepared (prepared.ts), unless the
   * model has a FLOAT column (read differently by the binary protocol). JSON paths, pattern and dialect operators keep
   * the text protocol.
   */
  override buildSelect(
    model: string,
    filter: Filter,
    columns?: readonly ColumnMapping[],
  ): ParameterizedSQL {
    return this.preparable(model, super.buildSelect(model, filter, columns));
  }

  override buildCount(model: string, where: Where | undefined): ParameterizedSQL {
    return this.preparable(model, super.buildCount(model, where));
  }

  private preparable(model: string, stmt: ParameterizedSQL): ParameterizedSQL {
    if (!this.resolved.preparedStatements) return stmt;
    const mapping = this.getModelMapping(model);
    let alike = this.readsAlike.get(mapping);
    if (alike === undefined) {
      alike = readsAlike(mapping.columns);
      this.readsAlike.set(mapping, alike);
    }
    if (alike && isShaped(stmt)) this.prepared.add(stmt.params);
    return stmt;
  }

  protected override applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL {
    return applyMySqlPagination(stmt, page);
  }

  protected override maxStatementBytes(): number {
    return Math.floor(this.server.maxAllowedPacket * 0.75);
  }

  protected getInsertedId(result: unknown): unknown {
    const id = (result as ResultSetHeader).insertId;
    return typeof id === 'number' && id > 0
      ? id
      : typeof id === 'bigint' || typeof id === 'string'
        ? id
        : undefined;
  }

  protected getInsertedIds(result: unknown, count: number): unknown[] | undefined {
    const first = (result as ResultSetHeader).insertId;
    if (typeof first !== 'number' || first <= 0) return undefined;
    // One multi-row INSERT of rows that all leave the id out is a "simple insert": InnoDB gives it consecutive
    // values (in every innodb_autoinc_lock_mode), spaced by auto_increment_increment.
    const step = this.server.autoIncrementIncrement;
    return Array.from({length: count}, (_, i) => first + i * step);
  }

  protected getAffectedCount(result: unknown): number {
    const header = result as ResultSetHeader;
    // Connections run without CLIENT_FOUND_ROWS (see settings.ts), so affectedRows of an UPDATE counts changed rows;
    // LoopBack counts matched rows, which the OK packet's info reports.
    const matched =
      typeof header.info === 'string' ? /Rows matched:\s*(\d+)/.exec(header.info) : null;
    return matched ? Number(matched[1]) : Number(header.affectedRows ?? 0);
  }

  protected getRows(result: unknown): Record<string, unknown>[] {
    return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
  }

  /** One `INSERT ... ON DUPLICATE KEY UPDATE`, checked for collisions on other unique keys (upsert.ts). */
  protected upsertRow(
    mapping: ModelMapping,
    id: unknown,
    fields: FieldList,
    _mode: 'patch' | 'replace',
    options: Options,
  ): Promise<boolean> {
    return this.upserts.upsertRow(mapping, id, fields, options);
  }

  /**
   * A patch that leaves out a NOT NULL column without a default fails as an INSERT (ER_NO_DEFAULT_FOR_FIELD) before
   * the server looks for the existing row: patch that row with an UPDATE instead; with no such row, the insert's
   * error stands.
   */
  override async upsertAsync(
    model: string,
    data: ModelData,
    options: Options,
    mode: 'patch' | 'replace',
  ): Promise<[ModelData, UpsertInfo]> {
    await this.upserts.loadOtherUniqueKeys(this.getModelMapping(model));
    try {
      return await super.upsertAsync(model, data, options, mode);
    } catch (err) {
      if (mode !== 'patch' || (err as {code?: unknown}).code !== 'ER_NO_DEFAULT_FOR_FIELD')
        throw err;
      const id = this.idOf(this.getModelMapping(model), data);
      if (id === undefined || id === null) throw err;
      try {
        await this.updateByIdAsync(model, id, data, options, 'patch');
      } catch (updateErr) {
        throw (updateErr as {code?: unknown}).code === 'ENTITY_NOT_FOUND' ? err : updateErr;
      }
      return [data, {isNewInstance: false}];
    }
  }

  protected async withLock<T>(
    key: string,
    options: Options,
    work: (options: Options) => Promise<T>,
  ): Promise<T> {
    // GET_LOCK names are at most 64 characters: hash the key.
    const name = `lb:${createHash('sha1').update(key).digest('hex')}`;
    return this.withConnection(options, async (opts, connection, inTransaction) => {
      const result = await this.run(
        new ParameterizedSQL('SELECT GET_LOCK(?,?) AS locked', [name, LOCK_TIMEOUT_SECONDS]),
        opts,
      );
      if (Number(this.getRows(result)[0]?.locked) !== 1) {
        throw new SqlConnectorError(
          `Timed out after ${LOCK_TIMEOUT_SECONDS}s waiting for a concurrent findOrCreate or upsertWithWhere`,
          {
            code: 'LOCK_TIMEOUT',
            statusCode: 503,
          },
        );
      }
      // Inside a transaction, the lock is held until it ends, so others wait until the new row is visible to them.
      if (inTransaction) {
        holdLocksUntilEnd(connection);
        return work(opts);
      }
      try {
        return await work(opts);
      } finally {
        await this.run(new ParameterizedSQL('DO RELEASE_LOCK(?)', [name]), opts);
      }
    });
  }

  /**
   * Runs `work` with every statement on one connection: the transaction's when `options` has one, otherwise a pool
   * connection that is released (or destroyed after a fatal error) when `work` ends.
   */
  private async withConnection<T>(
    options: Options,
    work: (options: Options, connection: PoolConnection, inTransaction: boolean) => Promise<T>,
  ): Promise<T> {
    this.checkTransaction(options);
    const txConnection = options?.transaction?.connection as PoolConnection | undefined;
    if (txConnection) return work(options, txConnection, true);
    const topology = await this.getTopology();
    const connection = await acquire(topology.writer, this.resolved.acquireTimeout);
    try {
      return await work({...options, [PINNED]: connection}, connection, false);
    } finally {
      releaseOrDrop(connection);
    }
  }

  protected executeSQL(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent,
  ): Promise<unknown> {
    const topology = this.topology;
    if (!topology) {
      return this.getTopology().then(() => this.executeSQL(sql, params, options, intent));
    }
    const timeout = statementTimeout(options, this.resolved.queryTimeout);
    const kill = (connection: PoolConnection, ms: number) => topology.killQuery(connection, ms);
    const bound =
      (options?.transaction?.connection as PoolConnection | undefined) ??
      (options as PinnedOptions | undefined)?.[PINNED];
    const started = debug.enabled ? performance.now() : 0;
    const prepared = this.prepared.has(params) && bindable(params);
    this.inFlight++;
    const running = bound
      ? // Inside a transaction nothing is retried: a deadlock rolled the whole transaction back, and the caller
        // must run it again as a unit (the error keeps errno 1213/1205 for that).
        queryOn(bound, sql, params, timeout, kill, prepared)
      : runPooled({
          sql,
          params,
          ...this.sourceFor(topology, intent === 'read' && this.mayReadFromReplica(options)),
          acquireTimeoutMs: this.resolved.acquireTimeout,
          timeoutMs: timeout,
          kill,
          retries: this.resolved.deadlockRetries,
          onRetry: (err, attempt) => debug('retrying after %s (attempt %d)', err.code, attempt),
          reroute: topology.reroute,
          prepared,
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
   * The rows `find` returns for `filter`, as an async iterable of plain model data, read while they arrive: columns
   * mapped to properties and values converted as `find` does, the same filter validation and errors, but no juggler
   * (no model instances, hooks, default scope nor `include`, which is a 400 here) and no `execute` observers. mysql2
   * pauses the socket while the consumer is behind, so memory stays flat for any number of rows. The connection is
   * the transaction's with `options.transaction`, else one from the pool (a replica's for reads, as `find`), given
   * back when the rows end, the statement fails or the consumer stops early; `queryTimeout` (or `options.timeout`)
   * bounds the whole stream. Nothing runs before the first `next()`.
   *
   * ```ts
   * for await (const row of ds.connector.stream('Order', {where: {status: 'open'}})) process(row);
   * ```
   */
  stream(
    model: string,
    filter?: Filter,
    options?: Options,
  ): AsyncGenerator<ModelData, void, undefined> {
    // One generator, not one delegating to another: every row passes through each layer.
    return streamRows(async () => {
      const opts = options ?? {};
      this.checkTransaction(opts);
      const mapping = this.getModelMapping(model);
      const f = filter ?? {};
      if (f.include) throw new InvalidFilterError('stream() does not support include');
      const columns = buildProjection(mapping, f.fields);
      const {sql, params} = this.render(this.buildSelect(model, f, columns));
      const topology = await this.getTopology();
      const bound =
        (opts.transaction?.connection as PoolConnection | undefined) ??
        (opts as PinnedOptions)[PINNED];
      const started = debug.enabled ? performance.now() : 0;
      this.inFlight++;
      return {
        sql,
        params,
        convert: (rows) => this.mapRows(mapping, columns, rows),
        bound,
        ...this.sourceFor(topology, this.mayReadFromReplica(opts)),
        acquireTimeoutMs: this.resolved.acquireTimeout,
        timeoutMs: statementTimeout(opts, this.resolved.queryTimeout),
        kill: (connection) => topology.killQuery(connection),
        onSettled: () => this.settled(sql, params, started),
      };
    });
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
    const window = this.resolved.readYourWritesMs;
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

  // ---------------------------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------------------------

  /** The pool, connecting first when needed (lazy data sources, raw `execute` before `connect`, after `disconnect`). */
  private async getTopology(): Promise<Topology> {
    if (!this.topology) {
      await this.connectAsync();
      // Connected outside juggler's connect(): without this, the data source's disconnect() would skip the
      // connector (it only disconnects a data source it knows is connected) and leave the pool open.
      if (this.dataSource) this.dataSource.connected = true;
    }
    return this.topology as Topology;
  }

  /** Juggler: opens the pool and checks the server. `cb(err)`. */
  connect(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(this.connectAsync(), cb);
  }

  /**
   * Opens the pool, creates the database when `createDatabase` asks for it, and reads the server's flavour and
   * version. Fails (within `connectTimeout`) instead of reporting a connection that does not work.
   */
  async connectAsync(): Promise<void> {
    if (this.topology) return;
    this.connecting ??= this.openPool().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openPool(): Promise<void> {
    const r = this.resolved;
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
        this.server = describeServer((rows as Record<string, unknown>[])[0] ?? {});
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
    const max = this.resolved.maxReplicaLag ?? 0;
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
          const denied = (err as {code?: unknown}).code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR';
          if (denied && !unreadable.has(id)) {
            unreadable.add(id);
            const {host, port} = this.resolved.replicas[topology.replicas.indexOf(id)] ?? {};
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
    this.lagTimer = setInterval(run, this.resolved.lagCheckInterval);
    this.lagTimer.unref();
  }

  private async createDatabase(database: string, primary?: PoolOptions): Promise<void> {
    const {charset, collation} = this.resolved;
    const options = primary ?? this.resolved.nodes[0] ?? this.resolved.pool;
    const {connectionLimit: _l, queueLimit: _q, database: _d, ...connectionOptions} = options;
    const connection = mysql2.createConnection(withIpIdentity(connectionOptions));
    try {
      await query(
        connection as unknown as Pool,
        `CREATE DATABASE IF NOT EXISTS ${escapeName(database)} CHARACTER SET ${charset}` +
          (collation ? ` COLLATE ${collation}` : ''),
      );
    } finally {
      connection.destroy();
    }
  }

  /** Juggler: ends the pool so the process can exit. */
  disconnect(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(this.disconnectAsync(), cb);
  }

  /**
   * Waits for the statements in flight (at most `timeoutMs`), then ends the pool, so the process can exit.
   * Statements issued meanwhile still run; new connections are refused once the pool ends.
   */
  async disconnectAsync(timeoutMs = 10000): Promise<void> {
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

  /** Juggler: checks the server answers. */
  ping(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(
      this.run(new ParameterizedSQL('SELECT 1 AS ok'), {}).then(() => undefined),
      cb,
    );
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transactions
  // ---------------------------------------------------------------------------------------------------------------

  /** Juggler (through loopback-connector's Transaction): `cb(err, connection)`. */
  beginTransaction(
    isolationLevel: string,
    cb?: Callback<PoolConnection>,
  ): Promise<PoolConnection> | undefined {
    return settleOrReturn(
      this.getTopology()
        .then((topology) => acquire(topology.writer, this.resolved.acquireTimeout))
        .then((connection) =>
          beginTransaction(connection, isolationLevel, this.resolved.queryTimeout),
        ),
      cb,
    );
  }

  commit(connection: unknown, cb?: Callback<void>): Promise<void> | undefined {
    return settleOrReturn(
      endTransaction(connection, 'COMMIT', this.resolved.queryTimeout).then(() => {
        this.lastWriteAt = Date.now();
      }),
      cb,
    );
  }

  rollback(connection: unknown, cb?: Callback<void>): Promise<void> | undefined {
    return settleOrReturn(endTransaction(connection, 'ROLLBACK', this.resolved.queryTimeout), cb);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Schema
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Juggler: drops and re-creates the tables of the given models (all when none), then adds their foreign keys, so
   * that models may reference each other in any order, in cycles too. `cb(err)`; a promise without a callback.
   */
  automigrate(
    models: string[] | string | undefined,
    cb?: Callback<void>,
  ): Promise<void> | undefined {
    const [names, , done] = migrationArgs(models, undefined, cb);
    return settleOrReturn(this.automigrateAsync(names), done);
  }

  /**
   * Juggler: brings the tables of the given models (all when none) in line with them: creates missing tables, adds
   * and modifies columns, drops and adds changed indexes and foreign keys. Never drops a column, index or foreign
   * key the model does not know unless `allowDropColumns` / `allowDropIndexes` / `allowDropForeignKeys` (call
   * option or model `mysql` setting) says so. `autoupdate(models, {dryRun: true})` resolves to the SQL instead of
   * running it. Juggler calls `(models, cb)`; `(models, options, cb)` and promises work too.
   */
  autoupdate(
    models: string[] | string | undefined,
    options: AutoupdateOptions & {dryRun: true},
    cb?: Callback<string[]>,
  ): Promise<string[]> | undefined;
  autoupdate(
    models: string[] | string | undefined,
    options?: AutoupdateOptions | Callback<void>,
    cb?: Callback<void>,
  ): Promise<void> | undefined;
  autoupdate(
    models: string[] | string | undefined,
    options?: AutoupdateOptions | Callback<never>,
    cb?: Callback<never>,
  ): Promise<unknown> | undefined {
    // Overloads: a dry run calls back with the SQL, a real run with nothing.
    const [names, opts, done] = migrationArgs(models, options, cb);
    const run = opts.dryRun
      ? this.getAutoupdateSQL(names, opts)
      : this.autoupdateAsync(names, opts);
    return settleOrReturn<unknown>(run, done as Callback<unknown> | undefined);
  }

  /** Juggler: whether the tables match the models, i.e. autoupdate would change nothing. `cb(err, actual)`. */
  isActual(
    models: string[] | string | undefined,
    cb?: Callback<boolean>,
  ): Promise<boolean> | undefined {
    const [names, opts, done] = migrationArgs(models, undefined, cb);
    return settleOrReturn(this.isActualAsync(names, opts), done);
  }

  /** The statements autoupdate would run, without running them. */
  async getAutoupdateSQL(
    models?: string[] | string,
    options: AutoupdateOptions = {},
  ): Promise<string[]> {
    const plan = await this.planAutoupdate(models, options);
    reportKeptColumns(this, plan.warnings);
    return plan.statements;
  }

  async isActualAsync(
    models?: string[] | string,
    options: AutoupdateOptions = {},
  ): Promise<boolean> {
    return (await this.planAutoupdate(models, options)).statements.length === 0;
  }

  async autoupdateAsync(
    models?: string[] | string,
    options: AutoupdateOptions = {},
  ): Promise<void> {
    // The keys may change: upserts read them again.
    this.upserts.clear();
    const plan = await this.planAutoupdate(models, options);
    reportKeptColumns(this, plan.warnings);
    logMigration('autoupdate', plan.statements);
    for (const sql of plan.statements) await this.runSql(sql, [], {});
  }

  /** Reads the live tables of the models and compares them with the models (migration/). */
  private async planAutoupdate(models: string[] | string | undefined, options: AutoupdateOptions) {
    const tables = await readLiveTables(
      {
        query: async (q) => this.getRows(await this.runSql(q.sql, q.params, {})),
        server: () => this.server,
      },
      this.mappingsOf(models),
    );
    return buildAutoupdate(tables, this.migrationContext(), options);
  }

  private migrationContext(): MigrationContext {
    return {
      escapeName,
      tableOptions: {charset: this.resolved.charset, collation: this.resolved.collation},
      resolveEntity: (entity) =>
        this.getModelDefinition(entity) ? this.getModelMapping(entity) : undefined,
      dialect: migrationDialect(this.server),
    };
  }

  private mappingsOf(models: string[] | string | undefined): ModelMapping[] {
    const names =
      models === undefined || models === null
        ? Object.keys(this._models)
        : Array.isArray(models)
          ? models
          : [models];
    return names.map((name) => this.getModelMapping(name));
  }

  async automigrateAsync(models: string[] | string | undefined): Promise<void> {
    this.upserts.clear();
    const plan = buildAutomigrate(this.mappingsOf(models), this.migrationContext());
    await this.withConnection({}, async (opts) => {
      // Foreign keys between the tables must not block the drops; the check is off on this connection only.
      await this.run(new ParameterizedSQL('SET FOREIGN_KEY_CHECKS=0'), opts);
      try {
        for (const sql of plan.drops) await this.runSql(sql, [], opts);
      } finally {
        await this.run(new ParameterizedSQL('SET FOREIGN_KEY_CHECKS=1'), opts);
      }
      // Every table exists before the first foreign key: references may go forward, and in cycles.
      for (const sql of [...plan.creates, ...plan.foreignKeys]) await this.runSql(sql, [], opts);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Discovery (discovery.ts): juggler's discover* calls, `cb(err, rows)`; a promise without a callback
  // ---------------------------------------------------------------------------------------------------------------

  private discoveryRunner(): DiscoveryRunner {
    return {
      query: async (q) => this.getRows(await this.runSql(q.sql, q.params, {}, 'read')),
      server: () => this.server,
      settings: this.settings,
      valueTypes: valueTypeRegistry(this.dataSource),
    };
  }

  /** The databases: `[{catalog, schema}]`. */
  discoverDatabaseSchemas(options: DOpts, cb?: Callback<discovery.DiscoveredSchema[]>) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(discovery.discoverDatabaseSchemas(this.discoveryRunner(), opts), done);
  }

  /** Tables (views too with `views: true`) of `owner`, else the connected database: `[{type, name, owner}]`. */
  discoverModelDefinitions(options: DOpts, cb?: Callback<discovery.DiscoveredModelDefinition[]>) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(discovery.discoverModelDefinitions(this.discoveryRunner(), opts), done);
  }

  /** The columns of a table or view, in order, with their LoopBack `type`. */
  discoverModelProperties(
    table: string,
    options: DOpts,
    cb?: Callback<discovery.DiscoveredProperty[]>,
  ) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(
      discovery.discoverModelProperties(this.discoveryRunner(), table, opts),
      done,
    );
  }

  /** `[{owner, tableName, columnName, keySeq, pkName}]`. */
  discoverPrimaryKeys(
    table: string,
    options: DOpts,
    cb?: Callback<discovery.DiscoveredPrimaryKey[]>,
  ) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(discovery.discoverPrimaryKeys(this.discoveryRunner(), table, opts), done);
  }

  /** The foreign keys of `table`: `[{fkOwner, fkName, fkTableName, fkColumnName, keySeq, pkOwner, pkName, ...}]`. */
  discoverForeignKeys(
    table: string,
    options: DOpts,
    cb?: Callback<discovery.DiscoveredForeignKey[]>,
  ) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(discovery.discoverForeignKeys(this.discoveryRunner(), table, opts), done);
  }

  /** The foreign keys of other tables that reference `table`, in the shape of `discoverForeignKeys`. */
  discoverExportedForeignKeys(
    table: string,
    options: DOpts,
    cb?: Callback<discovery.DiscoveredForeignKey[]>,
  ) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(
      discovery.discoverExportedForeignKeys(this.discoveryRunner(), table, opts),
      done,
    );
  }

  /** The columns unique on their own (single-column unique indexes, not the primary key). */
  discoverUniqueKeys(
    table: string,
    options: DOpts,
    cb?: Callback<discovery.DiscoveredUniqueKey[]>,
  ) {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    return settleOrReturn(discovery.discoverUniqueKeys(this.discoveryRunner(), table, opts), done);
  }
}
