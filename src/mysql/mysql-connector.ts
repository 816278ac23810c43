import {inspect} from 'node:util';
import {settleOrReturn, type Callback} from '../sql-connector/callbacks';
import {InvalidFilterError} from '../sql-connector/errors';
import {buildProjection, type FieldList} from '../sql-connector/fields';
import type {Filter, ModelData, Options, Where} from '../sql-connector/juggler-types';
import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {Page} from '../sql-connector/pagination';
import {
  SqlConnector,
  type ColumnReader,
  type StatementIntent,
  type UpsertInfo,
} from '../sql-connector/sql-connector';
import {Driver, streamRows, type Pool, type PoolCluster, type PoolConnection} from './driver';
import * as migration from './migration';
import {
  migrationArgs,
  type AutoupdateOptions,
  type MigrationHost,
  type MigrationModels as Models,
} from './migration';
import {withNamedLock, type LockHost} from './named-lock';
import {MYSQL_WHERE_DIALECT} from './operators';
import * as discovery from './discovery';
import type {Discovered as Found, DiscoveryOptions as DOpts, DiscoveryRunner} from './discovery';
import {applyMySqlPagination} from './pagination';
import {valueTypeRegistry} from './property-type';
import type {ServerInfo} from './server';
import {
  resolveSettings,
  warnUnknownSettings,
  type MySqlSettings,
  type ResolvedSettings,
} from './settings';
import {PreparedSelects} from './prepared';
import {insertedId, insertedIds, matchedCount} from './results';
import {MySqlUpsert} from './upsert';
import {
  columnReader,
  dateSettings,
  escapeName,
  toColumnValue,
  type DateSettings,
} from './type-mapping';

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
  /** The pools, statements, streams and transactions (driver/). */
  private readonly driver: Driver;
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
  /** The statements to run prepared (see buildSelect). */
  private readonly prepared = new PreparedSelects();
  /** The date settings of {@link dateSettings}, and the server they were made for. */
  private dates: {server: ServerInfo; settings: DateSettings} | undefined;

  constructor(settings: Readonly<MySqlSettings>) {
    super(settings);
    this.resolved = resolveSettings(settings);
    warnUnknownSettings(settings);
    this.driver = new Driver(this.resolved, {
      // Connected outside juggler's connect(): without this, the data source's disconnect() would skip the
      // connector (it only disconnects a data source it knows is connected) and leave the pool open.
      connectedByStatement: () => {
        if (this.dataSource) this.dataSource.connected = true;
      },
    });
  }

  /** The mysql2 pool (undefined until connected). */
  get client(): Pool | PoolCluster | undefined {
    return this.driver.client;
  }

  /** What the server reported at connect time; safe defaults before. */
  get server(): ServerInfo {
    return this.driver.server;
  }

  /** Test seam: builds SQL from now on as for `server`, as if connected to it (see `Driver.assumeServer`). */
  assumeServerForTests(server: ServerInfo): void {
    this.driver.assumeServer(server);
  }

  /** What `util.inspect` (and most loggers) shows: where it connects and how it is doing, never a secret. */
  [inspect.custom](): string {
    return `MySQL ${inspect(this.toJSON())}`;
  }

  /** What `JSON.stringify` shows of the connector: the same summary as `util.inspect`, without secrets. */
  toJSON(): Record<string, unknown> {
    return {name: this.name, ...this.driver.summary()};
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
    return this.prepared.mark(this.getModelMapping(model), stmt);
  }

  protected override applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL {
    return applyMySqlPagination(stmt, page);
  }

  protected override maxStatementBytes(): number {
    return Math.floor(this.server.maxAllowedPacket * 0.75);
  }

  protected getInsertedId(result: unknown): unknown {
    return insertedId(result);
  }

  protected getInsertedIds(result: unknown, count: number): unknown[] | undefined {
    return insertedIds(result, count, this.server.autoIncrementIncrement);
  }

  protected getAffectedCount(result: unknown): number {
    return matchedCount(result);
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

  /** The base's upsert, with MySQL's fallback for a patch the INSERT cannot take (upsert.ts). */
  override upsertAsync(
    model: string,
    data: ModelData,
    options: Options,
    mode: 'patch' | 'replace',
  ): Promise<[ModelData, UpsertInfo]> {
    const mapping = this.getModelMapping(model);
    const id = this.idOf(mapping, data);
    return this.upserts.upsert(
      mapping,
      id,
      mode,
      () => super.upsertAsync(model, data, options, mode),
      () => this.updateByIdAsync(model, id, data, options, 'patch').then(() => data),
    );
  }

  protected withLock<T>(
    key: string,
    options: Options,
    work: (options: Options) => Promise<T>,
  ): Promise<T> {
    return withNamedLock(this.host, key, options, work);
  }

  protected executeSQL(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent,
  ): Promise<unknown> {
    return this.driver.execute(sql, params, options, intent, this.prepared.has(params));
  }

  /**
   * The rows `find` returns for `filter`, as an async iterable of plain model data (converted as `find` does, without
   * juggler: no instances, hooks, default scope nor `include`), read while they arrive with backpressure, on the
   * transaction's connection or a pooled one (a replica's) given back when the rows end, fail or the consumer stops.
   * `queryTimeout` bounds the whole stream; nothing runs before the first `next()`. See README, "Streaming reads".
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
      return this.driver.streamPlan(sql, params, opts, (rows) =>
        this.mapRows(mapping, columns, rows),
      );
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Lifecycle and transactions
  // ---------------------------------------------------------------------------------------------------------------

  /** Juggler: opens the pool and checks the server. `cb(err)`. */
  connect(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(this.connectAsync(), cb);
  }

  /** Opens the pool, creates the database if asked to, and reads the server (see `Driver.connect`). */
  connectAsync(): Promise<void> {
    return this.driver.connect();
  }

  /** Juggler: ends the pool so the process can exit. */
  disconnect(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(this.disconnectAsync(), cb);
  }

  /** Waits for the statements in flight (at most `timeoutMs`), then ends the pool (see `Driver.disconnect`). */
  disconnectAsync(timeoutMs = 10000): Promise<void> {
    return this.driver.disconnect(timeoutMs);
  }

  /** Juggler: checks the server answers. */
  ping(cb?: Callback<unknown>): Promise<void> | undefined {
    return settleOrReturn(
      this.run(new ParameterizedSQL('SELECT 1 AS ok'), {}).then(() => undefined),
      cb,
    );
  }

  /** Juggler (through loopback-connector's Transaction): `cb(err, connection)`. */
  beginTransaction(
    isolationLevel: string,
    cb?: Callback<PoolConnection>,
  ): Promise<PoolConnection> | undefined {
    return settleOrReturn(this.driver.begin(isolationLevel), cb);
  }

  commit(connection: unknown, cb?: Callback<void>): Promise<void> | undefined {
    return settleOrReturn(this.driver.commit(connection), cb);
  }

  rollback(connection: unknown, cb?: Callback<void>): Promise<void> | undefined {
    return settleOrReturn(this.driver.rollback(connection), cb);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Schema
  // ---------------------------------------------------------------------------------------------------------------

  /** Juggler: drops and re-creates the tables of the models (all when none), see migration/runner.ts. `cb(err)`. */
  automigrate(models: Models, cb?: Callback<void>): Promise<void> | undefined {
    const [names, , done] = migrationArgs(models, undefined, cb);
    return settleOrReturn(this.automigrateAsync(names), done);
  }

  /**
   * Juggler: brings the tables of the models (all when none) in line with them, see migration/runner.ts. Juggler
   * calls `(models, cb)`; `(models, options, cb)` and promises work too; a dry run resolves to the SQL instead.
   */
  autoupdate(
    models: Models,
    options: AutoupdateOptions & {dryRun: true},
    cb?: Callback<string[]>,
  ): Promise<string[]> | undefined;
  autoupdate(
    models: Models,
    options?: AutoupdateOptions | Callback<void>,
    cb?: Callback<void>,
  ): Promise<void> | undefined;
  autoupdate(
    models: Models,
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
  isActual(models: Models, cb?: Callback<boolean>): Promise<boolean> | undefined {
    const [names, opts, done] = migrationArgs(models, undefined, cb);
    return settleOrReturn(this.isActualAsync(names, opts), done);
  }

  /** The statements autoupdate would run, without running them. */
  getAutoupdateSQL(models?: Models, options: AutoupdateOptions = {}): Promise<string[]> {
    return migration.autoupdateSql(this.host, models, options);
  }

  isActualAsync(models?: Models, options: AutoupdateOptions = {}): Promise<boolean> {
    return migration.isActual(this.host, models, options);
  }

  autoupdateAsync(models?: Models, options: AutoupdateOptions = {}): Promise<void> {
    return migration.autoupdate(this.host, models, options);
  }

  automigrateAsync(models: Models): Promise<void> {
    return migration.automigrate(this.host, models);
  }

  /** What the migration (migration/) and the named lock run through: made once, so are their once-only warnings. */
  private readonly host: MigrationHost & LockHost = {
    query: async (sql, params, options) => this.getRows(await this.runSql(sql, params, options)),
    run: async (stmt, options) => this.getRows(await this.run(stmt, options)),
    // One connection for the whole work: the transaction's, else a pool connection (see Driver.withConnection).
    withConnection: async (options, work) => {
      this.checkTransaction(options);
      return this.driver.withConnection(options, work);
    },
    server: () => this.server,
    modelNames: () => Object.keys(this._models),
    getModelMapping: (model) => this.getModelMapping(model),
    isModel: (model) => this.getModelDefinition(model) !== undefined,
    tableOptions: () => ({charset: this.resolved.charset, collation: this.resolved.collation}),
    // What was read of the tables' unique keys (upsert.ts): a migration may change them.
    forgetUniqueKeys: () => this.upserts.clear(),
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Discovery (discovery.ts): juggler's discover* calls, `cb(err, rows)`; a promise without a callback
  // ---------------------------------------------------------------------------------------------------------------

  /** A discover* call: its options (or the callback in their place), `cb(err, rows)`; a promise without a callback. */
  private discover<T>(
    options: DOpts | Callback<T> | undefined,
    cb: Callback<T> | undefined,
    run: (runner: DiscoveryRunner, options: DOpts) => Promise<T>,
  ): Promise<T> | undefined {
    const [opts, done] = discovery.discoveryArgs(options, cb);
    const runner: DiscoveryRunner = {
      query: async (q) => this.getRows(await this.runSql(q.sql, q.params, {}, 'read')),
      server: () => this.server,
      settings: this.settings,
      valueTypes: valueTypeRegistry(this.dataSource),
    };
    return settleOrReturn(run(runner, opts), done);
  }

  /** The databases: `[{catalog, schema}]`. */
  discoverDatabaseSchemas(options: DOpts, cb?: Callback<Found['schemas']>) {
    return this.discover(options, cb, discovery.discoverDatabaseSchemas);
  }

  /** Tables (views too with `views: true`) of `owner`, else the connected database: `[{type, name, owner}]`. */
  discoverModelDefinitions(options: DOpts, cb?: Callback<Found['models']>) {
    return this.discover(options, cb, discovery.discoverModelDefinitions);
  }

  /** The columns of a table or view, in order, with their LoopBack `type`. */
  discoverModelProperties(table: string, options: DOpts, cb?: Callback<Found['properties']>) {
    return this.discover(options, cb, (r, o) => discovery.discoverModelProperties(r, table, o));
  }

  /** `[{owner, tableName, columnName, keySeq, pkName}]`. */
  discoverPrimaryKeys(table: string, options: DOpts, cb?: Callback<Found['primaryKeys']>) {
    return this.discover(options, cb, (r, o) => discovery.discoverPrimaryKeys(r, table, o));
  }

  /** The foreign keys of `table`: `[{fkOwner, fkName, fkTableName, fkColumnName, keySeq, pkOwner, pkName, ...}]`. */
  discoverForeignKeys(table: string, options: DOpts, cb?: Callback<Found['foreignKeys']>) {
    return this.discover(options, cb, (r, o) => discovery.discoverForeignKeys(r, table, o));
  }

  /** The foreign keys of other tables that reference `table`, in the shape of `discoverForeignKeys`. */
  discoverExportedForeignKeys(table: string, options: DOpts, cb?: Callback<Found['foreignKeys']>) {
    return this.discover(options, cb, (r, o) => discovery.discoverExportedForeignKeys(r, table, o));
  }

  /** The columns unique on their own (single-column unique indexes, not the primary key). */
  discoverUniqueKeys(table: string, options: DOpts, cb?: Callback<Found['uniqueKeys']>) {
    return this.discover(options, cb, (r, o) => discovery.discoverUniqueKeys(r, table, o));
  }
}
