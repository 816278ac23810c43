import assert from 'node:assert';
import {ConnectorCaches} from './connector-caches';
import * as crud from './crud-statements';
import {InvalidModelError} from './errors';
import {buildProjection, type FieldList} from './fields';
import type {Filter, ModelData, ModelDefinition, PropertyDefinition, Where} from './juggler-types';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import type {Page} from './pagination';
import type {ParameterizedSQL} from './parameterized-sql';
import {buildInsertRows, idOf, idWhere, type ColumnReader} from './statements';
import type {WhereDialect} from './where';

/**
 * The statement half of {@link SqlConnector}, which extends it: the models juggler registers, their mappings and
 * caches (connector-caches.ts), the builders of CRUD statements (crud-statements.ts, where.ts) and reading rows back,
 * with the dialect hooks they call. Builds only: nothing here runs a statement.
 */
export abstract class SqlStatementBuilder {
  /** The connector name juggler reads model and property metadata under (`<name>: {...}`). */
  abstract readonly name: string;
  /** Filled by `define()`; juggler reads it too. */
  readonly _models: Record<string, ModelDefinition> = {};
  /** Mappings, readers and statement texts, per model. */
  private readonly modelCaches: ConnectorCaches;
  /** This connector's hooks as the builders call them (see {@link builderHooks}). */
  private boundBuilderHooks: crud.StatementContext | undefined;

  constructor() {
    this.modelCaches = new ConnectorCaches({
      connectorName: () => this.name,
      definition: (model) => this._models[model],
      escapeName: (name) => this.escapeName(name),
      columnReader: (column) => this.columnReader(column),
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dialect hooks of statement building
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
  /** The dialect's where operators and JSON functions (see `WhereDialect`); `{}` for none. */
  protected abstract readonly whereDialect: WhereDialect;
  /** Appends a page (`limit`, `offset`) to a SELECT, with the values as parameters. */
  protected abstract applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL;

  // ---------------------------------------------------------------------------------------------------------------
  // Models
  // ---------------------------------------------------------------------------------------------------------------

  /** Juggler: registers a model. */
  define(definition: ModelDefinition): void {
    const name = definition.model.modelName;
    assert(typeof name === 'string', 'define() needs a model with a modelName');
    this._models[name] = definition;
    this.modelCaches.forget(name);
  }

  /** Juggler: adds or changes one property of a registered model. */
  defineProperty(model: string, property: string, definition: PropertyDefinition): void {
    const def = this._models[model];
    if (!def) throw new InvalidModelError(`Model ${model} is not defined on this data source`);
    def.properties[property] = definition;
    this.modelCaches.forget(model);
  }

  /** The mapping of a model, built once per definition. */
  getModelMapping(model: string): ModelMapping {
    return this.modelCaches.mapping(model);
  }

  getModelDefinition(model: string): ModelDefinition | undefined {
    return this._models[model];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Statement builders (crud-statements.ts)
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * The hooks the builders call, bound once, on first use (the dialect's `whereDialect` is set after this
   * constructor runs). Each calls the method, so overrides apply.
   */
  private builderHooks(): crud.StatementContext {
    return (this.boundBuilderHooks ??= {
      caches: this.modelCaches,
      dialect: this.whereDialect,
      toColumnValue: (column, value) => this.toColumnValue(column, value),
      toWriteValue: (column, value) => this.toWriteValue(column, value),
      escapeName: (name) => this.escapeName(name),
      applyPagination: (stmt, page) => this.applyPagination(stmt, page),
      buildWhere: (model, where) => this.buildWhere(model, where),
      buildInsertRows: (mapping, columns, rows) => this.buildInsertRows(mapping, columns, rows),
    });
  }

  /** The condition of a `where`, or undefined for an empty one. */
  buildWhere(model: string, where: unknown): ParameterizedSQL | undefined {
    return crud.buildWhereStatement(this.builderHooks(), this.getModelMapping(model), where);
  }

  buildSelect(
    model: string,
    filter: Filter,
    columns = buildProjection(this.getModelMapping(model), filter.fields),
  ): ParameterizedSQL {
    return crud.buildSelectStatement(
      this.builderHooks(),
      this.getModelMapping(model),
      filter,
      columns,
    );
  }

  buildCount(model: string, where: Where | undefined): ParameterizedSQL {
    return crud.buildCountStatement(this.builderHooks(), this.getModelMapping(model), where);
  }

  buildInsert(model: string, data: ModelData): ParameterizedSQL {
    return crud.buildInsertStatement(this.builderHooks(), this.getModelMapping(model), data);
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
    return crud.buildUpdateStatement(this.builderHooks(), mapping, where, data, mode);
  }

  buildDelete(model: string, where: Where | undefined): ParameterizedSQL {
    return crud.buildDeleteStatement(this.builderHooks(), this.getModelMapping(model), where);
  }

  /** The SQL text of a statement that depends only on the model and `shape`, built once (connector-caches.ts). */
  protected cachedText(model: string, shape: string, build: () => string): string {
    return this.modelCaches.text(model, shape, build);
  }

  /**
   * A write of `fields` whose text depends only on the model, `kind` and the column list: built by `build` the first
   * time, then the cached text with this call's values (crud-statements.ts).
   */
  protected cachedWrite(
    model: string,
    kind: string,
    fields: FieldList,
    build: () => ParameterizedSQL,
  ): ParameterizedSQL {
    return crud.cachedWrite(this.modelCaches, model, kind, fields, build);
  }

  /** Turns driver rows (keyed by property, see selectItem) into model data, with one compiled reader per projection. */
  protected mapRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: Record<string, unknown>[],
  ): ModelData[] {
    // The driver's rows are fresh plain objects keyed by property (see selectItem): convert them in place rather
    // than copying every row, which matters for large results.
    return this.modelCaches.reader(mapping, columns)(rows);
  }

  /** The `where` selecting one row by id; composite ids take an object of id values. */
  protected idWhere(model: string, id: unknown): Where {
    return idWhere(this.getModelMapping(model), id);
  }

  /** The id value of model data: a scalar, or an object for composite ids; undefined when incomplete. */
  protected idOf(mapping: ModelMapping, data: ModelData): unknown {
    return idOf(mapping, data);
  }
}
