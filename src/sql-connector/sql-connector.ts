import assert from 'node:assert';
import {settleOrReturn, settleSpreadOrReturn, type Callback, type Callback2} from './callbacks';
import {
  EntityNotFoundError,
  InvalidFilterError,
  InvalidModelError,
  InvalidTransactionError,
  SqlConnectorError,
} from './errors';
import {buildFieldList, buildProjection, isComputed, type FieldList} from './fields';
import type {
  DataSourceLike,
  Filter,
  ModelData,
  ModelDefinition,
  ObserverMixin,
  Options,
  PropertyDefinition,
  Where,
} from './juggler-types';
import {crossesArray, resolveJsonPath, type JsonStep} from './json-path';
import {buildModelMapping, type ColumnMapping, type ModelMapping} from './model-mapping';
import {buildDefaultOrderBy, buildOrderBy} from './order-by';
import {readPage, type Page} from './pagination';
import {ParameterizedSQL} from './parameterized-sql';
import {
  buildAssignments,
  buildInsertRows,
  chunkRows,
  compileRowConverter,
  hasSqlValue,
  shapeOf,
  type RowConverter,
  idOf,
  idWhere,
  selectItem,
  stableStringify,
  type ColumnReader,
} from './statements';
import {ShapeCache, whereShape, type WhereShape} from './statement-shapes';
import {buildWhere, equalityValues, type WhereDialect} from './where';

export type {ColumnReader};

/**
 * Whether a statement only reads: a dialect with read replicas may send it to one (outside transactions, and unless
 * `options.readFrom` is `'primary'`).
 */
export type StatementIntent = 'read' | 'write';

/** The outcome of an upsert statement, as the dialect reads it from the driver's result. */
export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

/** Juggler's third callback argument of the upsert family. */
export interface UpsertInfo {
  isNewInstance: boolean;
}

/** How many times `upsertWithWhere` looks for the row again when another writer changed it under its feet. */
const MAX_UPSERT_ATTEMPTS = 3;

/** How many statement shapes {@link SqlConnector.cachedText} keeps before it starts over. */
const MAX_CACHED_TEXTS = 512;

/** The value converters of one projection (the columns that need one), compiled into one function. */
interface CompiledReader {
  readonly convert: RowConverter;
}

/**
 * The dialect-neutral base of a LoopBack SQL connector. It turns juggler's calls into parameterized SQL, runs them
 * through {@link SqlConnector.execute} (and so through the `before execute` / `after execute` observers), and maps
 * rows back to model data. A dialect supplies escaping, value conversion, pagination, upsert and the driver.
 *
 * Each juggler entry point (`create`, `all`, ...) is a callback adapter with juggler's exact arity; the work is in
 * the matching `*Async` method, which is the override point.
 */
export abstract class SqlConnector implements WhereDialect {
  /** The connector name juggler reads model and property metadata under (`mysql: {...}`). */
  abstract readonly name: string;
  /** Makes juggler JSON-encode Object/Array values in write data (`DataSource.isRelational`). */
  readonly relational = true;
  /** Enables juggler's `createAll` path. */
  readonly multiInsertSupported = true;
  readonly extraOperators: ReadonlySet<string> = new Set();
  readonly settings: Readonly<Record<string, unknown>>;
  dataSource: DataSourceLike | undefined;
  /** Filled by `define()`; juggler reads it too. */
  readonly _models: Record<string, ModelDefinition> = {};
  private readonly mappings = new Map<string, ModelMapping>();
  private readonly readers = new Map<string, CompiledReader>();
  /** The readers of each model's full projection, keyed by its column array (see mapRows). */
  private readonly fullReaders = new WeakMap<readonly ColumnMapping[], CompiledReader>();
  /** SQL texts that depend only on a model and a shape (see {@link cachedText}). */
  private readonly texts = new Map<string, string>();
  /** Texts of statements whose where is a few plain comparisons, by shape (statement-shapes.ts). */
  private readonly shapes = new ShapeCache();

  constructor(settings: Readonly<Record<string, unknown>>) {
    this.settings = settings;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dialect hooks
  // ---------------------------------------------------------------------------------------------------------------

  /** Quotes an identifier (table, column, schema). Pure. */
  abstract escapeName(name: string): string;
  /** The stored form of a property value: a driver value, or SQL such as `POINT(?, ?)`. Throws a 400 error. */
  abstract toColumnValue(column: ColumnMapping, value: unknown): unknown;
  /**
   * The form of a value written to its column (INSERT, UPDATE); `toColumnValue` serves `where` values. A dialect may
   * be stricter here: a where may compare a column with a value it could not store (a 422 error in a write).
   */
  protected toWriteValue(column: ColumnMapping, value: unknown): unknown {
    return this.toColumnValue(column, value);
  }
  /** A converter for values read from a column, or undefined when the driver's value is already right. */
  protected abstract columnReader(column: ColumnMapping): ColumnReader | undefined;
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
  /** An INSERT that updates the row with the same id instead of failing. */
  protected abstract buildUpsert(
    mapping: ModelMapping,
    fields: FieldList,
    mode: 'patch' | 'replace',
  ): ParameterizedSQL;
  /** Reads an upsert's result. */
  protected abstract getUpsertOutcome(result: unknown): UpsertOutcome;
  /**
   * Runs `work` while holding an exclusive lock named `key`, with every statement of `work` on one connection
   * (the options passed to `work`). Used to make `findOrCreate` and `upsertWithWhere` atomic.
   */
  protected abstract withLock<T>(
    key: string,
    options: Options,
    work: (options: Options) => Promise<T>,
  ): Promise<T>;

  /** Extra operators of the dialect (`regexp`, case-insensitive `like`, ...). Undefined makes the operator a 400. */
  buildOperator(
    _column: ColumnMapping,
    _columnSql: ParameterizedSQL,
    _operator: string,
    _value: unknown,
    _operatorOptions: unknown,
  ): ParameterizedSQL | undefined {
    return undefined;
  }

  /** SQL reading a path inside a JSON/Object column as text; undefined when the dialect has no JSON functions. */
  buildJsonPath(_column: ColumnMapping, _path: readonly string[]): ParameterizedSQL | undefined {
    return undefined;
  }

  /** SQL testing whether a JSON array column contains a value; undefined when the dialect cannot. */
  buildArrayContains(_column: ColumnMapping, _value: unknown): ParameterizedSQL | undefined {
    return undefined;
  }

  /**
   * SQL that is true when some value a path through arrays reaches passes `test` (see `WhereDialect`); undefined when
   * the dialect has no JSON functions.
   */
  buildSomeElement(
    _column: ColumnMapping,
    _steps: readonly JsonStep[],
    _test: (value: ParameterizedSQL) => ParameterizedSQL,
  ): ParameterizedSQL | undefined {
    return undefined;
  }

  /** Appends pagination to a SELECT. The default is `LIMIT ? OFFSET ?`. */
  protected applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL {
    if (page.limit === undefined && page.offset === undefined) return stmt;
    const limit = page.limit === undefined ? 'ALL' : ParameterizedSQL.value(page.limit);
    return page.offset === undefined
      ? stmt.append('LIMIT', limit)
      : stmt.append('LIMIT', limit, 'OFFSET', ParameterizedSQL.value(page.offset));
  }

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

  // ---------------------------------------------------------------------------------------------------------------
  // Models
  // ---------------------------------------------------------------------------------------------------------------

  /** Juggler: registers a model. */
  define(definition: ModelDefinition): void {
    const name = definition.model.modelName;
    assert(typeof name === 'string', 'define() needs a model with a modelName');
    this._models[name] = definition;
    this.forget(name);
  }

  /** Juggler: adds or changes one property of a registered model. */
  defineProperty(model: string, property: string, definition: PropertyDefinition): void {
    const def = this._models[model];
    if (!def) throw new InvalidModelError(`Model ${model} is not defined on this data source`);
    def.properties[property] = definition;
    this.forget(model);
  }

  /** The mapping of a model, built once per definition. */
  getModelMapping(model: string): ModelMapping {
    let mapping = this.mappings.get(model);
    if (!mapping) {
      const definition = this._models[model];
      if (!definition)
        throw new InvalidModelError(`Model ${model} is not defined on this data source`);
      mapping = buildModelMapping(model, definition, this.name, (n) => this.escapeName(n));
      this.mappings.set(model, mapping);
    }
    return mapping;
  }

  getModelDefinition(model: string): ModelDefinition | undefined {
    return this._models[model];
  }

  private forget(model: string): void {
    this.mappings.delete(model);
    for (const cache of [this.readers, this.texts])
      for (const key of cache.keys()) if (key.startsWith(`${model}\0`)) cache.delete(key);
    this.shapes.forget(model);
  }

  /**
   * The SQL text of a statement whose text depends only on the model and `shape` (a column list, say), built by
   * `build` the first time and reused afterwards: single-row writes send the same few texts over and over, and
   * rebuilding them was a measurable share of each call. Bounded: past {@link MAX_CACHED_TEXTS} shapes the cache
   * starts over.
   */
  protected cachedText(model: string, shape: string, build: () => string): string {
    const key = `${model}\0${shape}`;
    let text = this.texts.get(key);
    if (text === undefined) {
      text = build();
      if (this.texts.size >= MAX_CACHED_TEXTS) this.texts.clear();
      this.texts.set(key, text);
    }
    return text;
  }

  /**
   * A write of `fields` whose text depends only on the model, `kind` and the column list: built by `build` the first
   * time, then the cached text with this call's values. A value that is SQL (e.g. `POINT(?, ?)`) changes the text, so
   * such a statement is always built.
   */
  protected cachedWrite(
    model: string,
    kind: string,
    fields: FieldList,
    build: () => ParameterizedSQL,
  ): ParameterizedSQL {
    if (hasSqlValue(fields.values)) return build();
    const text = this.cachedText(model, `${kind}\0${shapeOf(fields)}`, () => build().sql);
    return new ParameterizedSQL(text, fields.values);
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
  // Pure statement builders
  // ---------------------------------------------------------------------------------------------------------------

  /** The condition of a `where`, or undefined for an empty one. */
  buildWhere(model: string, where: unknown): ParameterizedSQL | undefined {
    const mapping = this.getModelMapping(model);
    const shape = this.whereShape(mapping, where);
    if (!shape) return buildWhere(this, mapping, where);
    return this.shapes.statement(`${model}\0where\0${shape.key}`, shape.params, () =>
      buildWhere(this, mapping, where),
    );
  }

  /** The shape of a where of plain comparisons (statement-shapes.ts); none (`{}`) for an absent one. */
  private whereShape(mapping: ModelMapping, where: unknown): WhereShape | undefined {
    if (where === undefined || where === null) return {key: '', params: []};
    return whereShape(mapping, where, (c, v) => this.toColumnValue(c, v));
  }

  buildSelect(
    model: string,
    filter: Filter,
    columns = buildProjection(this.getModelMapping(model), filter.fields),
  ) {
    const mapping = this.getModelMapping(model);
    const page = readPage(filter);
    // The full projection, an order of property names and a where of plain comparisons: one text per shape, with
    // limit and offset as parameters (checked on the first build, see statement-shapes.ts).
    const order = filter.order;
    const orderKey =
      order === undefined || order === null
        ? ''
        : typeof order === 'string'
          ? order
          : Array.isArray(order) && order.every((o) => typeof o === 'string')
            ? order.join('\0,')
            : undefined;
    const shape =
      columns === mapping.columns && orderKey !== undefined
        ? this.whereShape(mapping, filter.where)
        : undefined;
    if (shape) {
      const params = shape.params.slice();
      if (page.limit !== undefined) params.push(page.limit);
      if (page.offset !== undefined) params.push(page.offset);
      const key = `${model}\0select\0${shape.key}\0${orderKey}\0${page.limit !== undefined}\0${page.offset !== undefined}`;
      return this.shapes.statement(key, params, () =>
        this.buildSelectOf(mapping, filter, columns, page),
      ) as ParameterizedSQL;
    }
    return this.buildSelectOf(mapping, filter, columns, page);
  }

  /** `buildSelect` by the general builders. */
  private buildSelectOf(
    mapping: ModelMapping,
    filter: Filter,
    columns: readonly ColumnMapping[],
    page: Page,
  ): ParameterizedSQL {
    const model = mapping.model;
    const where = this.buildWhere(model, filter.where);
    const orderBy =
      buildOrderBy(mapping, filter.order, (p) => this.resolveOrderColumn(mapping, p)) ??
      buildDefaultOrderBy(mapping);
    const stmt = new ParameterizedSQL(this.selectHead(mapping, columns)).append(
      where ? ParameterizedSQL.join(['WHERE', where]) : '',
      orderBy ? ParameterizedSQL.join(['ORDER BY', orderBy]) : '',
    );
    return this.applyPagination(stmt, page);
  }

  /** `SELECT <columns> FROM <table>`; built once for the model's full projection, the usual one. */
  private selectHead(mapping: ModelMapping, columns: readonly ColumnMapping[]): string {
    const build = () =>
      `SELECT ${columns.map((c) => selectItem(c, (n) => this.escapeName(n))).join(',')} FROM ${mapping.tableEscaped}`;
    return columns === mapping.columns ? this.cachedText(mapping.model, 'select', build) : build();
  }

  private resolveOrderColumn(
    mapping: ModelMapping,
    property: string,
  ): ParameterizedSQL | undefined {
    const column = mapping.byProperty.get(property);
    if (column) return new ParameterizedSQL(column.escaped);
    const [head, ...path] = property.split('.');
    const root = head === undefined ? undefined : mapping.byProperty.get(head);
    if (!root || path.length === 0 || path.some((p) => p === '')) return undefined;
    if (!['object', 'array', 'any', 'json'].includes(root.type)) return undefined;
    if (crossesArray(resolveJsonPath(root, path))) {
      throw new InvalidFilterError(
        `Invalid order: "${property}" goes through an array, which has no one value to sort by; ` +
          'pick one element by its index (as in "friends.0.name")',
      );
    }
    return this.buildJsonPath(root, path);
  }

  buildCount(model: string, where: Where | undefined): ParameterizedSQL {
    const mapping = this.getModelMapping(model);
    const shape = this.whereShape(mapping, where);
    if (shape) {
      return this.shapes.statement(`${model}\0count\0${shape.key}`, shape.params, () =>
        this.buildCountOf(mapping, where),
      ) as ParameterizedSQL;
    }
    return this.buildCountOf(mapping, where);
  }

  private buildCountOf(mapping: ModelMapping, where: Where | undefined): ParameterizedSQL {
    const model = mapping.model;
    const condition = this.buildWhere(model, where);
    return new ParameterizedSQL(`SELECT COUNT(*) AS cnt FROM ${mapping.tableEscaped}`).append(
      condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
    );
  }

  buildInsert(model: string, data: ModelData): ParameterizedSQL {
    const mapping = this.getModelMapping(model);
    const fields = buildFieldList(mapping, data, {mode: 'patch', excludeIds: false}, (c, v) =>
      this.toWriteValue(c, v),
    );
    return this.cachedWrite(model, 'insert', fields, () =>
      this.buildInsertRows(mapping, fields.columns, [fields.values]),
    );
  }

  /** `INSERT INTO t (c1, c2) VALUES (?, ?), (?, ?)`; a row of SQL values (e.g. `POINT(?, ?)`) is spliced in. */
  protected buildInsertRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: readonly (readonly unknown[])[],
  ): ParameterizedSQL {
    return buildInsertRows(mapping, columns, rows);
  }

  buildUpdate(
    model: string,
    where: Where | undefined,
    data: ModelData,
    mode: 'patch' | 'replace',
  ): ParameterizedSQL | undefined {
    const mapping = this.getModelMapping(model);
    const fields = buildFieldList(mapping, data, {mode, excludeIds: true}, (c, v) =>
      this.toWriteValue(c, v),
    );
    const condition = this.buildWhere(model, where);
    if (fields.columns.length === 0) return undefined;
    return new ParameterizedSQL(`UPDATE ${mapping.tableEscaped} SET`).append(
      buildAssignments(fields),
      condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
    );
  }

  buildDelete(model: string, where: Where | undefined): ParameterizedSQL {
    const mapping = this.getModelMapping(model);
    const condition = this.buildWhere(model, where);
    return new ParameterizedSQL(`DELETE FROM ${mapping.tableEscaped}`).append(
      condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
    );
  }

  /** The `where` selecting one row by id; composite ids take an object of id values. */
  protected idWhere(model: string, id: unknown): Where {
    return idWhere(this.getModelMapping(model), id);
  }

  /** The id value of model data: a scalar, or an object for composite ids; undefined when incomplete. */
  protected idOf(mapping: ModelMapping, data: ModelData): unknown {
    return idOf(mapping, data);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Execution
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Runs a statement through the `execute` observers (`before execute` / `after execute`), which may rewrite the SQL
   * and parameters, and returns the driver's result.
   */
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

  /** Runs SQL text that is already in the driver's syntax through the `execute` observers. */
  protected runSql(
    sql: string,
    params: readonly unknown[],
    options: Options,
    intent: StatementIntent = 'write',
  ): Promise<unknown> {
    const observers = this as unknown as Partial<ObserverMixin> & {
      _observers?: Record<string, unknown[]>;
    };
    const registered = observers._observers;
    const observed =
      typeof observers.notifyObserversAround === 'function' &&
      !!registered &&
      ((registered['before execute']?.length ?? 0) > 0 ||
        (registered['after execute']?.length ?? 0) > 0);
    if (!observed) return this.executeSQL(sql, params, options, intent);
    return new Promise((resolve, reject) => {
      const context = {req: {sql, params}, options, res: undefined as unknown};
      (observers.notifyObserversAround as ObserverMixin['notifyObserversAround'])(
        'execute',
        context,
        (ctx, done) => {
          const c = ctx as typeof context;
          this.executeSQL(c.req.sql, c.req.params, options, intent).then(
            (res) => {
              c.res = res;
              done(null, c);
            },
            (err: Error) => done(err),
          );
        },
        (err, ctx) =>
          err ? reject(err) : resolve((ctx as typeof context | undefined)?.res ?? context.res),
      );
    });
  }

  /** A transaction in `options` must be one of this connector's, and still active. */
  protected checkTransaction(options: Options | undefined): void {
    const tx = options?.transaction;
    if (tx === undefined || tx === null) return;
    if (typeof tx !== 'object')
      throw new InvalidTransactionError('options.transaction is not a transaction');
    if (tx.connector !== this) {
      throw new InvalidTransactionError(
        'options.transaction belongs to another connector or data source',
      );
    }
    if (!tx.connection)
      throw new InvalidTransactionError(
        'options.transaction has already been committed or rolled back',
      );
  }

  /**
   * Raw SQL: `execute(sql, params, options, cb)`; `params` and `options` may be left out. Returns the driver's
   * result (rows for a SELECT, `{affectedRows, insertId, ...}` otherwise). Values belong in `params`, never in `sql`.
   */
  execute(
    sql: string,
    params?: unknown,
    options?: unknown,
    callback?: unknown,
  ): Promise<unknown> | undefined {
    const args = [params, options, callback];
    let cb: Callback<unknown> | undefined;
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    if (typeof args[args.length - 1] === 'function') cb = args.pop() as Callback<unknown>;
    const [p, o] = args;
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

  async createAllAsync(model: string, data: ModelData[], options: Options): Promise<ModelData[]> {
    if (!Array.isArray(data))
      throw new InvalidFilterError('createAll() takes an array of model data');
    const mapping = this.getModelMapping(model);
    const out = data.map((d) => ({...d}));
    if (out.length === 0) return out;
    // One column list for every row: the properties any row gives, NULL for the others (most lists are settled by
    // the first row).
    const columns = mapping.columns.filter(
      (c) => !isComputed(c) && out.some((d) => d[c.property] !== undefined),
    );
    const idColumn = mapping.ids.length === 1 ? (mapping.ids[0] as ColumnMapping) : undefined;
    // Generated ids are only predictable for rows that all leave the id out, so the two kinds go in separate statements.
    const withId: number[] = [];
    const withoutId: number[] = [];
    out.forEach((d, i) =>
      (idColumn && (d[idColumn.property] === undefined || d[idColumn.property] === null)
        ? withoutId
        : withId
      ).push(i),
    );
    const insertColumnsFor = (indexes: number[]) =>
      indexes === withoutId && idColumn ? columns.filter((c) => c !== idColumn) : columns;
    for (const group of [withId, withoutId]) {
      if (group.length === 0) continue;
      const cols = insertColumnsFor(group);
      for (const chunk of chunkRows(
        group.map((i) => this.insertRow(out[i] as ModelData, cols)),
        this.maxStatementParams(),
        this.maxStatementBytes(),
      )) {
        const result = await this.run(this.buildInsertRows(mapping, cols, chunk.rows), options);
        if (group === withoutId && idColumn) {
          const ids = this.getInsertedIds(result, chunk.rows.length);
          // A new object with the id first, rather than adding the id to the copy: V8 adds a property to an object
          // made by spreading slowly (about 1 us each, measured), and a createAll does it for every row.
          if (ids)
            ids.forEach((id, k) => {
              const i = group[chunk.start + k] as number;
              out[i] = {[idColumn.property]: id, ...out[i]};
            });
        }
      }
    }
    return out;
  }

  private insertRow(data: ModelData, columns: readonly ColumnMapping[]): unknown[] {
    const values: unknown[] = [];
    for (const c of columns) {
      const v = data[c.property];
      values.push(v === undefined || v === null ? null : this.toWriteValue(c, v));
    }
    return values;
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

  private include(
    mapping: ModelMapping,
    rows: ModelData[],
    include: unknown,
    options: Options,
  ): Promise<void> {
    const modelClass = mapping.definition.model;
    if (typeof modelClass.include !== 'function') return Promise.resolve();
    return new Promise((resolve, reject) => {
      modelClass.include?.(rows, include, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Turns driver rows (keyed by property, see selectItem) into model data, with one compiled reader per projection. */
  protected mapRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: Record<string, unknown>[],
  ): ModelData[] {
    // The full projection (no `fields`) is looked up by its array, which lives as long as the model's mapping;
    // other projections by their property names.
    const key =
      columns === mapping.columns
        ? undefined
        : `${mapping.model}\0${columns.map((c) => c.property).join('\0')}`;
    let reader = key === undefined ? this.fullReaders.get(columns) : this.readers.get(key);
    if (!reader) {
      const converters: (readonly [string, ColumnReader])[] = [];
      for (const c of columns) {
        const read = this.columnReader(c);
        if (read) converters.push([c.property, read]);
      }
      reader = {convert: compileRowConverter(converters)};
      if (key === undefined) this.fullReaders.set(columns, reader);
      else this.readers.set(key, reader);
    }
    // The driver's rows are fresh plain objects keyed by property (see selectItem): convert them in place rather
    // than copying every row, which matters for large results.
    return reader.convert(rows);
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

  update(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
    cb?: Callback<{count: number}>,
  ) {
    return settleOrReturn(this.updateAsync(model, where, data, options), cb);
  }

  /** Juggler calls `update` for `updateAll`; both names work. */
  updateAll(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
    cb?: Callback<{count: number}>,
  ) {
    return settleOrReturn(this.updateAsync(model, where, data, options), cb);
  }

  async updateAsync(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
  ): Promise<{count: number}> {
    const stmt = this.buildUpdate(model, where, data ?? {}, 'patch');
    // Nothing to set: report how many rows the where matches, without sending an empty UPDATE.
    if (!stmt) return {count: await this.countAsync(model, where, primary(options))};
    const result = await this.run(stmt, options);
    return {count: this.getAffectedCount(result)};
  }

  destroyAll(model: string, where: Where, options: Options, cb?: Callback<{count: number}>) {
    return settleOrReturn(this.destroyAllAsync(model, where, options), cb);
  }

  async destroyAllAsync(model: string, where: Where, options: Options): Promise<{count: number}> {
    const result = await this.run(this.buildDelete(model, where), options);
    return {count: this.getAffectedCount(result)};
  }

  destroy(model: string, id: unknown, options: Options, cb?: Callback<{count: number}>) {
    return settleOrReturn(this.destroyAsync(model, id, options), cb);
  }

  async destroyAsync(model: string, id: unknown, options: Options): Promise<{count: number}> {
    return this.destroyAllAsync(model, this.idWhere(model, id), options);
  }

  updateAttributes(
    model: string,
    id: unknown,
    data: ModelData,
    options: Options,
    cb?: Callback<ModelData>,
  ) {
    return settleOrReturn(this.updateByIdAsync(model, id, data, options, 'patch'), cb);
  }

  replaceById(
    model: string,
    id: unknown,
    data: ModelData,
    options: Options,
    cb?: Callback<ModelData>,
  ) {
    return settleOrReturn(this.updateByIdAsync(model, id, data, options, 'replace'), cb);
  }

  /** `updateAttributes` (patch) and `replaceById` (replace): a 404 error when no row has the id. */
  async updateByIdAsync(
    model: string,
    id: unknown,
    data: ModelData,
    options: Options,
    mode: 'patch' | 'replace',
  ): Promise<ModelData> {
    const where = this.idWhere(model, id);
    const stmt = this.buildUpdate(model, where, data ?? {}, mode);
    const count = stmt
      ? this.getAffectedCount(await this.run(stmt, options))
      : (await this.existsAsync(model, id, primary(options)))
        ? 1
        : 0;
    if (count === 0) throw new EntityNotFoundError(model, id);
    return data;
  }

  updateOrCreate(
    model: string,
    data: ModelData,
    options: Options,
    cb?: Callback2<ModelData, UpsertInfo>,
  ) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'patch'), cb);
  }

  replaceOrCreate(
    model: string,
    data: ModelData,
    options: Options,
    cb?: Callback2<ModelData, UpsertInfo>,
  ) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'replace'), cb);
  }

  /** Juggler calls `save` for an instance that is already persisted: a full replace, or an insert if it is gone. */
  save(model: string, data: ModelData, options: Options, cb?: Callback2<ModelData, UpsertInfo>) {
    return settleSpreadOrReturn(this.upsertAsync(model, data, options, 'replace'), cb);
  }

  /** One atomic statement inserting the row or updating the row with the same id. */
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
      const out = {...data};
      if (mapping.ids.length === 1 && created !== undefined)
        out[(mapping.ids[0] as ColumnMapping).property] = created;
      return [out, {isNewInstance: true}];
    }
    const fields = buildFieldList(mapping, data, {mode, excludeIds: false}, (c, v) =>
      this.toWriteValue(c, v),
    );
    const result = await this.run(this.buildUpsert(mapping, fields, mode), options);
    const outcome = this.getUpsertOutcome(result);
    if (
      outcome === 'unchanged' &&
      this.hasOtherUniqueKeys(mapping) &&
      !(await this.existsAsync(model, id, primary(options)))
    ) {
      // The insert hit another unique key and the update touched nothing: that row is not this id's.
      throw this.duplicateError(model);
    }
    return [data, {isNewInstance: outcome === 'inserted'}];
  }

  /**
   * Whether the table may have a unique key besides the primary key, so that an upsert can collide with another row.
   * The default assumes it may; a dialect that knows the table's keys can answer exactly.
   */
  protected hasOtherUniqueKeys(_mapping: ModelMapping): boolean {
    return true;
  }

  /** The error of an upsert that collided with another row on a unique key other than the id. */
  protected abstract duplicateError(model: string): Error;

  findOrCreate(
    model: string,
    filter: Filter,
    data: ModelData,
    options: Options,
    cb?: Callback2<ModelData, boolean>,
  ) {
    return settleSpreadOrReturn(this.findOrCreateAsync(model, filter, data, options), cb);
  }

  /** Atomic: concurrent calls with the same filter create one row; the others find it. */
  async findOrCreateAsync(
    model: string,
    filter: Filter,
    data: ModelData,
    options: Options,
  ): Promise<[ModelData, boolean]> {
    const f = {...(filter ?? {}), limit: 1};
    // Validate the filter before taking a lock, so a bad one fails with 400 at once.
    this.buildSelect(model, f);
    return this.withLock(this.lockKey(model, f.where), options, async (opts) => {
      const found = await this.allAsync(model, f, opts);
      if (found.length > 0) return [found[0] as ModelData, false];
      const mapping = this.getModelMapping(model);
      const id = await this.createAsync(model, data, opts);
      const created = {...data};
      if (mapping.ids.length === 1 && id !== undefined)
        created[(mapping.ids[0] as ColumnMapping).property] = id;
      if (f.include) await this.include(mapping, [created], f.include, opts);
      return [created, true];
    });
  }

  /** The lock of the calls that find by a where, then write: the same where of one table gives the same lock. */
  private lockKey(model: string, where: Where | undefined): string {
    return `${this.getModelMapping(model).tableEscaped}:${stableStringify(where ?? {})}`;
  }

  upsertWithWhere(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
    cb?: Callback2<ModelData, UpsertInfo>,
  ) {
    return settleSpreadOrReturn(this.upsertWithWhereAsync(model, where, data, options), cb);
  }

  /**
   * Atomic, under the lock of `findOrCreate` (see {@link withLock}): patches the first row by id that matches `where`
   * with `data`, or inserts `data` when no row matches, with the values the where pins by equality for the properties
   * `data` leaves out (`{email: 'a'}` inserts `email: 'a'`), so the new row matches the where: concurrent calls with
   * the same where insert one row and the others update it. The result is `data` over the row's other stored values
   * (those that are not NULL, as `updateAttributes` leaves unset properties unset), with the row's id.
   */
  async upsertWithWhereAsync(
    model: string,
    where: Where,
    data: ModelData,
    options: Options,
  ): Promise<[ModelData, UpsertInfo]> {
    const mapping = this.getModelMapping(model);
    if (mapping.ids.length === 0) throw new InvalidModelError(`Model ${model} has no id property`);
    const filter: Filter = {where: where ?? {}, limit: 1};
    const insert: ModelData = {...data};
    for (const [property, value] of Object.entries(equalityValues(mapping, filter.where)))
      if (insert[property] === undefined) insert[property] = value;
    // Validate the where and the data before taking a lock, so bad ones fail at once.
    this.buildSelect(model, filter);
    this.buildInsert(model, insert);
    return this.withLock(this.lockKey(model, filter.where), options, async (opts) => {
      // A writer that does not take the lock (a destroyAll, an updateAll) may change the row found before it is
      // updated: the UPDATE repeats the where, and when it matches nothing the search starts over.
      for (let attempt = 1; ; attempt++) {
        // Without an order, rows come by id: the first match is the one with the lowest id.
        const [found] = await this.allAsync(model, filter, primary(opts));
        if (!found) {
          const id = await this.createAsync(model, insert, opts);
          const created = {...insert};
          if (mapping.ids.length === 1 && id !== undefined)
            created[(mapping.ids[0] as ColumnMapping).property] = id;
          return [created, {isNewInstance: true}];
        }
        const byId = this.idWhere(model, this.idOf(mapping, found));
        const stmt = this.buildUpdate(
          model,
          Object.keys(filter.where ?? {}).length === 0 ? byId : {and: [filter.where, byId]},
          data ?? {},
          'patch',
        );
        if (stmt && this.getAffectedCount(await this.run(stmt, opts)) === 0) {
          if (attempt < MAX_UPSERT_ATTEMPTS) continue;
          throw new SqlConnectorError(
            `upsertWithWhere on ${model}: the matching row changed ${attempt} times while it was being updated`,
            {code: 'CONCURRENT_MODIFICATION', statusCode: 409},
          );
        }
        const updated: ModelData = {};
        for (const [property, value] of Object.entries(found))
          if (value !== null && value !== undefined) updated[property] = value;
        Object.assign(updated, data);
        for (const c of mapping.ids) updated[c.property] = found[c.property];
        return [updated, {isNewInstance: false}];
      }
    });
  }
}

/** The options of a read that belongs to a write: it must see the primary, never a lagging replica. */
function primary(options: Options): Options {
  return {...options, readFrom: 'primary'};
}
