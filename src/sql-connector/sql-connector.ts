import {settleOrReturn, settleSpreadOrReturn, type Callback, type Callback2} from './callbacks';
import * as writes from './compound-writes';
import {InvalidFilterError} from './errors';
import {buildFieldList, buildProjection, type FieldList} from './fields';
import type {DataSourceLike, Filter, ModelData, Options, Where} from './juggler-types';
import type {ModelMapping} from './model-mapping';
import {hasExecuteObservers, observeExecute} from './observers';
import {checkTransaction, executeArgs, primary} from './options';
import type {ParameterizedSQL} from './parameterized-sql';
import {SqlStatementBuilder} from './sql-statement-builder';
import {withId, type ColumnReader} from './statements';

export type {ColumnReader};

/**
 * Whether a statement only reads: a dialect with read replicas may send it to one (outside transactions, and unless
 * `options.readFrom` is `'primary'`).
 */
export type StatementIntent = 'read' | 'write';

/** Juggler's third callback argument of the upsert family. */
export interface UpsertInfo {
  isNewInstance: boolean;
}

/**
 * The dialect-neutral base of a LoopBack SQL connector. It turns juggler's calls into parameterized SQL (with
 * {@link SqlStatementBuilder}, which it extends, and the hooks of statement building there), runs them through the
 * `execute` observers (observers.ts) and the dialect's driver, and maps rows back to model data. A dialect supplies
 * the hooks below: the driver, result reading, upsert and locks.
 *
 * Each juggler entry point (`create`, `all`, ...) is a callback adapter with juggler's exact arity; the work is in
 * the matching `*Async` method, which is the override point. Calls of several statements are in compound-writes.ts.
 */
export abstract class SqlConnector extends SqlStatementBuilder {
  /** Makes juggler JSON-encode Object/Array values in write data (`DataSource.isRelational`). */
  readonly relational = true;
  /** Enables juggler's `createAll` path. */
  readonly multiInsertSupported = true;
  readonly settings: Readonly<Record<string, unknown>>;
  dataSource: DataSourceLike | undefined;
  /** This connector's hooks as the compound writes call them (see {@link writeHooks}). */
  private boundWriteHooks: writes.WriteHost | undefined;

  constructor(settings: Readonly<Record<string, unknown>>) {
    super();
    this.settings = settings;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dialect hooks (and those of statement building in SqlStatementBuilder)
  // ---------------------------------------------------------------------------------------------------------------

  /** Runs one statement on the connection `options` calls for (a transaction's, or the pool's). */
  protected abstract executeSQL(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent,
  ): Promise<unknown>;
  /** The id a single-row INSERT generated, or undefined. */
  protected abstract getInsertedId(result: unknown): unknown;
  /** The ids a multi-row INSERT generated for `count` rows without an id, in order; undefined when unknowable. */
  protected abstract getInsertedIds(result: unknown, count: number): unknown[] | undefined;
  /** The number of rows an UPDATE matched (not only changed) or a DELETE removed. */
  protected abstract getAffectedCount(result: unknown): number;
  /** The rows of a SELECT. */
  protected abstract getRows(result: unknown): Record<string, unknown>[];
  /**
   * Upserts one row that has an id, in one atomic statement: inserts `fields` (they hold the id columns), or writes
   * them over the row with that `id` (`mode`: a patch, or the whole row); resolves to whether it inserted. A
   * collision on another unique key must fail, never change that other row. E.g. `INSERT ... ON CONFLICT (id) DO
   * UPDATE SET ... RETURNING (xmax = 0) AS inserted`; the MySQL dialect's is in src/mysql/upsert.ts.
   */
  protected abstract upsertRow(
    mapping: ModelMapping,
    id: unknown,
    fields: FieldList,
    mode: 'patch' | 'replace',
    options: Options,
  ): Promise<boolean>;
  /**
   * Runs `work` while holding an exclusive lock named `key`, with every statement of `work` on one connection
   * (the options passed to `work`). Used to make `findOrCreate` and `upsertWithWhere` atomic.
   */
  protected abstract withLock<T>(
    key: string,
    options: Options,
    work: (options: Options) => Promise<T>,
  ): Promise<T>;
  /** Turns the builders' `?` placeholders into the driver's syntax. The default keeps `?`. */
  protected render(stmt: ParameterizedSQL): {sql: string; params: readonly unknown[]} {
    return stmt;
  }
  /** Most parameters in one statement (`createAll` splits its INSERTs to stay under it). */
  protected maxStatementParams(): number {
    return 65535;
  }
  /** Most bytes of one statement, estimated from its values (`createAll` splits its INSERTs to stay under it). */
  protected maxStatementBytes(): number {
    return 1 << 20;
  }

  getTypes(): string[] {
    return ['db', 'rdbms', 'sql'];
  }

  getDefaultIdType(): NumberConstructor {
    return Number;
  }

  isRelational(): boolean {
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Execution
  // ---------------------------------------------------------------------------------------------------------------

  /** Renders a statement and runs it through the `execute` observers; returns the driver's result. */
  protected run(
    stmt: ParameterizedSQL,
    options: Options,
    intent: StatementIntent = 'write',
  ): Promise<unknown> {
    // Not an async function: one that returns the driver's promise adds a promise and two ticks to every statement.
    try {
      this.checkTransaction(options);
      const {sql, params} = this.render(stmt);
      return this.runSql(sql, params, options, intent);
    } catch (err) {
      // The builders and checks throw Errors only.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(err);
    }
  }

  /** Runs SQL text that is already in the driver's syntax through the `execute` observers (observers.ts). */
  protected runSql(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent = 'write',
  ): Promise<unknown> {
    if (!hasExecuteObservers(this)) return this.executeSQL(sql, params, options, intent);
    return observeExecute(this, sql, params, options, (s, p) =>
      this.executeSQL(s, p, options, intent),
    );
  }

  /** A transaction in `options` must be one of this connector's, and still active. */
  protected checkTransaction(options: Options | undefined): void {
    checkTransaction(this, options);
  }

  /**
   * Raw SQL: `execute(sql, params, options, cb)`; `params` and `options` may be left out. Returns the driver's
   * result (rows for a SELECT, its write summary otherwise). Values belong in `params`, never in `sql`.
   */
  execute(
    sql: string,
    params?: unknown,
    options?: unknown,
    callback?: unknown,
  ): Promise<unknown> | undefined {
    const {params: p, options: o, cb} = executeArgs(params, options, callback);
    const work = (async () => {
      if (typeof sql !== 'string' || sql.trim() === '')
        throw new InvalidFilterError('execute() needs an SQL string');
      const opts = (o ?? {}) as Options;
      this.checkTransaction(opts);
      const list = p === undefined || p === null ? [] : Array.isArray(p) ? p : [p];
      return this.runSql(sql, list, opts, opts.readOnly === true ? 'read' : 'write');
    })();
    return settleOrReturn(work, cb);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // CRUD: juggler adapters (exact arity, no defaults) and their implementations
  // ---------------------------------------------------------------------------------------------------------------

  create(model: string, data: ModelData, options: Options, cb?: Callback<unknown>) {
    return settleOrReturn(this.createAsync(model, data, options), cb);
  }

  async createAsync(model: string, data: ModelData, options: Options): Promise<unknown> {
    const mapping = this.getModelMapping(model);
    const result = await this.run(this.buildInsert(model, data), options);
    // Juggler writes the returned value into the (first) id property: composite ids are already in the data.
    if (mapping.ids.length !== 1) return undefined;
    return this.idOf(mapping, data) ?? this.getInsertedId(result);
  }

  createAll(model: string, data: ModelData[], options: Options, cb?: Callback<ModelData[]>) {
    return settleOrReturn(this.createAllAsync(model, data, options), cb);
  }

  /** Multi-row INSERTs under the statement limits; the rows with their ids, in order (compound-writes.ts). */
  createAllAsync(model: string, data: ModelData[], options: Options): Promise<ModelData[]> {
    return writes.createAll(this.writeHooks(), model, data, options);
  }

  all(model: string, filter: Filter, options: Options, cb?: Callback<ModelData[]>) {
    return settleOrReturn(this.allAsync(model, filter, options), cb);
  }

  async allAsync(model: string, filter: Filter, options: Options): Promise<ModelData[]> {
    const mapping = this.getModelMapping(model);
    const f = filter ?? {};
    const columns = buildProjection(mapping, f.fields);
    const result = await this.run(this.buildSelect(model, f, columns), options, 'read');
    const rows = this.mapRows(mapping, columns, this.getRows(result));
    if (f.include && rows.length > 0) await this.include(mapping, rows, f.include, options);
    return rows;
  }

  /** Juggler's `include` of related models, which the connector resolves (juggler-contract.md 4.2). */
  private include(mapping: ModelMapping, rows: ModelData[], include: unknown, options: Options) {
    const modelClass = mapping.definition.model;
    if (typeof modelClass.include !== 'function') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      modelClass.include?.(rows, include, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The legacy `find(model, id)` of SQL connectors: the row with the id, or null. */
  find(model: string, id: unknown, options: Options, cb?: Callback<ModelData | null>) {
    return settleOrReturn(this.findByIdAsync(model, id, options), cb);
  }

  async findByIdAsync(model: string, id: unknown, options: Options): Promise<ModelData | null> {
    const rows = await this.allAsync(model, {where: this.idWhere(model, id), limit: 1}, options);
    return rows[0] ?? null;
  }

  count(model: string, where: Where, options: Options, cb?: Callback<number>) {
    return settleOrReturn(this.countAsync(model, where, options), cb);
  }

  async countAsync(model: string, where: Where, options: Options): Promise<number> {
    const result = await this.run(this.buildCount(model, where), options, 'read');
    const row = this.getRows(result)[0];
    return Number(row?.cnt ?? 0);
  }

  exists(model: string, id: unknown, options: Options, cb?: Callback<boolean>) {
    return settleOrReturn(this.existsAsync(model, id, options), cb);
  }

  async existsAsync(model: string, id: unknown, options: Options): Promise<boolean> {
    const rows = await this.allAsync(
      model,
      {
        where: this.idWhere(model, id),
        limit: 1,
        fields: this.getModelMapping(model).ids.map((c) => c.property),
      },
      options,
    );
    return rows.length > 0;
  }

  update(model: string, where: Where, data: ModelData, options: Options, cb?: Callback<Count>) {
    return settleOrReturn(this.updateAsync(model, where, data, options), cb);
  }

  /** Juggler calls `update` for `updateAll`; both names work. */
  updateAll(model: string, where: Where, data: ModelData, options: Options, cb?: Callback<Count>) {
    return settleOrReturn(this.updateAsync(model, where, data, options), cb);
  }

  async updateAsync(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
  ): Promise<Count> {
    const stmt = this.buildUpdate(model, where, data ?? {}, 'patch');
    // Nothing to set: report how many rows the where matches, without sending an empty UPDATE.
    if (!stmt) return {count: await this.countAsync(model, where, primary(options))};
    const result = await this.run(stmt, options);
    return {count: this.getAffectedCount(result)};
  }

  destroyAll(model: string, where: Where, options: Options, cb?: Callback<Count>) {
    return settleOrReturn(this.destroyAllAsync(model, where, options), cb);
  }

  async destroyAllAsync(model: string, where: Where, options: Options): Promise<Count> {
    const result = await this.run(this.buildDelete(model, where), options);
    return {count: this.getAffectedCount(result)};
  }

  destroy(model: string, id: unknown, options: Options, cb?: Callback<Count>) {
    return settleOrReturn(this.destroyAsync(model, id, options), cb);
  }

  async destroyAsync(model: string, id: unknown, options: Options): Promise<Count> {
    return this.destroyAllAsync(model, this.idWhere(model, id), options);
  }

  updateAttributes(model: string, id: unknown, data: ModelData, options: Options, cb?: DataCb) {
    return settleOrReturn(this.updateByIdAsync(model, id, data, options, 'patch'), cb);
  }

  replaceById(model: string, id: unknown, data: ModelData, options: Options, cb?: DataCb) {
    return settleOrReturn(this.updateByIdAsync(model, id, data, options, 'replace'), cb);
  }

  /** `updateAttributes` (patch) and `replaceById` (replace): a 404 error when no row has the id. */
  updateByIdAsync(
    model: string,
    id: unknown,
    data: ModelData,
    options: Options,
    mode: 'patch' | 'replace',
  ): Promise<ModelData> {
    return writes.updateById(this.writeHooks(), model, id, data, options, mode);
  }

  updateOrCreate(model: string, data: ModelData, options: Options, cb?: UpsertCb) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'patch'), cb);
  }

  replaceOrCreate(model: string, data: ModelData, options: Options, cb?: UpsertCb) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'replace'), cb);
  }

  /** Juggler calls `save` for an instance that is already persisted: a full replace, or an insert if it is gone. */
  save(model: string, data: ModelData, options: Options, cb?: UpsertCb) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'replace'), cb);
  }

  /** One atomic statement inserting the row or updating the row with the same id (the dialect's `upsertRow`). */
  async upsertAsync(
    model: string,
    data: ModelData,
    options: Options,
    mode: 'patch' | 'replace',
  ): Promise<[ModelData, UpsertInfo]> {
    const mapping = this.getModelMapping(model);
    const id = this.idOf(mapping, data);
    if (id === undefined || id === null) {
      const created = await this.createAsync(model, data, options);
      return [withId(mapping, data, created), {isNewInstance: true}];
    }
    const fields = buildFieldList(mapping, data, {mode, excludeIds: false}, (c, v) =>
      this.toWriteValue(c, v),
    );
    return [data, {isNewInstance: await this.upsertRow(mapping, id, fields, mode, options)}];
  }

  findOrCreate(model: string, filter: Filter, data: ModelData, options: Options, cb?: FoundCb) {
    return settleSpreadOrReturn(this.findOrCreateAsync(model, filter, data, options), cb);
  }

  /** Atomic: concurrent calls with the same filter create one row; the others find it (compound-writes.ts). */
  findOrCreateAsync(
    model: string,
    filter: Filter,
    data: ModelData,
    options: Options,
  ): Promise<[ModelData, boolean]> {
    return writes.findOrCreate(this.writeHooks(), model, filter, data, options);
  }

  upsertWithWhere(model: string, where: Where, data: ModelData, options: Options, cb?: UpsertCb) {
    return settleSpreadOrReturn(this.upsertWithWhereAsync(model, where, data, options), cb);
  }

  /** Atomic: patches the first row that matches `where`, or inserts one that matches it (compound-writes.ts). */
  upsertWithWhereAsync(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
  ): Promise<[ModelData, UpsertInfo]> {
    return writes.upsertWithWhere(this.writeHooks(), model, where, data, options);
  }

  /** The hooks the compound writes call, bound once; each calls the method, so overrides apply. */
  private writeHooks(): writes.WriteHost {
    return (this.boundWriteHooks ??= {
      connector: this,
      toWriteValue: (column, value) => this.toWriteValue(column, value),
      limits: () => ({maxParams: this.maxStatementParams(), maxBytes: this.maxStatementBytes()}),
      run: (stmt, options) => this.run(stmt, options),
      getAffectedCount: (result) => this.getAffectedCount(result),
      getInsertedIds: (result, count) => this.getInsertedIds(result, count),
      buildInsertRows: (mapping, columns, rows) => this.buildInsertRows(mapping, columns, rows),
      include: (mapping, rows, include, options) => this.include(mapping, rows, include, options),
      withLock: (key, options, work) => this.withLock(key, options, work),
    });
  }
}

/** The results of the juggler calls, as their callbacks take them. */
type Count = {count: number};
type DataCb = Callback<ModelData>;
type UpsertCb = Callback2<ModelData, UpsertInfo>;
type FoundCb = Callback2<ModelData, boolean>;
