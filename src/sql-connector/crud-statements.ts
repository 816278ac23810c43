import type {ConnectorCaches} from './connector-caches';
import {InvalidFilterError} from './errors';
import {buildFieldList, type FieldList} from './fields';
import {crossesArray, resolveJsonPath} from './json-path';
import type {Filter, ModelData, Where} from './juggler-types';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {buildDefaultOrderBy, buildOrderBy} from './order-by';
import {readPage, type Page} from './pagination';
import {ParameterizedSQL} from './parameterized-sql';
import {whereShape, type WhereShape} from './statement-shapes';
import {buildAssignments, hasSqlValue, selectItem, shapeOf} from './statements';
import {buildWhere, type WhereContext, type WhereDialect} from './where';

/*
 * The statements of juggler's CRUD calls (SELECT, COUNT, INSERT, UPDATE, DELETE), built from a model's mapping with
 * the connector's dialect hooks. Pure but for the caches: statements whose text depends only on a shape (a column
 * list, a where of plain comparisons) take a cached text with this call's values.
 */

/** What the statement builders need from a connector: its caches and dialect hooks, bound once per connector. */
export interface StatementContext extends WhereContext {
  readonly caches: ConnectorCaches;
  readonly escapeName: (name: string) => string;
  readonly toWriteValue: (column: ColumnMapping, value: unknown) => unknown;
  applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL;
  /** The connector's `buildWhere` (a dialect may override it). */
  buildWhere(model: string, where: unknown): ParameterizedSQL | undefined;
  /** The connector's `buildInsertRows` (a dialect may override it). */
  buildInsertRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: readonly (readonly unknown[])[],
  ): ParameterizedSQL;
}

/** The shape of a where of plain comparisons (statement-shapes.ts); none (`{}`) for an absent one. */
function whereShapeOf(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: unknown,
): WhereShape | undefined {
  if (where === undefined || where === null) return {key: '', params: []};
  return whereShape(mapping, where, ctx.toColumnValue);
}

/** The condition of a `where`, or undefined for an empty one. */
export function buildWhereStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: unknown,
): ParameterizedSQL | undefined {
  const shape = whereShapeOf(ctx, mapping, where);
  if (!shape) return buildWhere(ctx, mapping, where);
  return ctx.caches.shapes.statement(`${mapping.model}\0where\0${shape.key}`, shape.params, () =>
    buildWhere(ctx, mapping, where),
  );
}

/** The key of an order of property names for a statement shape; undefined for any other order. */
function orderShape(order: unknown): string | undefined {
  if (order === undefined || order === null) return '';
  if (typeof order === 'string') return order;
  return Array.isArray(order) && order.every((o) => typeof o === 'string')
    ? order.join('\0,')
    : undefined;
}

/** `SELECT <columns> FROM <table> [WHERE] ORDER BY ... [pagination]`. */
export function buildSelectStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  filter: Filter,
  columns: readonly ColumnMapping[],
): ParameterizedSQL {
  const page = readPage(filter);
  // The full projection, an order of property names and a where of plain comparisons: one text per shape, with
  // limit and offset as parameters (checked on the first build, see statement-shapes.ts).
  const orderKey = orderShape(filter.order);
  const shape =
    columns === mapping.columns && orderKey !== undefined
      ? whereShapeOf(ctx, mapping, filter.where)
      : undefined;
  if (shape) {
    const params = shape.params.slice();
    if (page.limit !== undefined) params.push(page.limit);
    if (page.offset !== undefined) params.push(page.offset);
    const key = `${mapping.model}\0select\0${shape.key}\0${orderKey}\0${page.limit !== undefined}\0${page.offset !== undefined}`;
    return ctx.caches.shapes.statement(key, params, () =>
      buildSelectOf(ctx, mapping, filter, columns, page),
    ) as ParameterizedSQL;
  }
  return buildSelectOf(ctx, mapping, filter, columns, page);
}

/** `buildSelectStatement` by the general builders. */
function buildSelectOf(
  ctx: StatementContext,
  mapping: ModelMapping,
  filter: Filter,
  columns: readonly ColumnMapping[],
  page: Page,
): ParameterizedSQL {
  const where = ctx.buildWhere(mapping.model, filter.where);
  const orderBy =
    buildOrderBy(mapping, filter.order, (p) => resolveOrderColumn(ctx.dialect, mapping, p)) ??
    buildDefaultOrderBy(mapping);
  const stmt = new ParameterizedSQL(selectHead(ctx, mapping, columns)).append(
    where ? ParameterizedSQL.join(['WHERE', where]) : '',
    orderBy ? ParameterizedSQL.join(['ORDER BY', orderBy]) : '',
  );
  return ctx.applyPagination(stmt, page);
}

/** `SELECT <columns> FROM <table>`; built once for the model's full projection, the usual one. */
function selectHead(
  ctx: StatementContext,
  mapping: ModelMapping,
  columns: readonly ColumnMapping[],
): string {
  const build = () =>
    `SELECT ${columns.map((c) => selectItem(c, ctx.escapeName)).join(',')} FROM ${mapping.tableEscaped}`;
  return columns === mapping.columns ? ctx.caches.text(mapping.model, 'select', build) : build();
}

/** A property of an `order`: a column, or a path inside a JSON column when the dialect can read one. */
function resolveOrderColumn(
  dialect: WhereDialect,
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
  return dialect.buildJsonPath?.(root, path);
}

/**
 * A statement over a where (`kind`: what it is, in the cache key), cached whole by the where's shape when it has one
 * (statement-shapes.ts), else built by `build`.
 */
function byWhereShape(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
  kind: string,
  build: () => ParameterizedSQL,
): ParameterizedSQL {
  const shape = whereShapeOf(ctx, mapping, where);
  if (!shape) return build();
  const key = `${mapping.model}\0${kind}\0${shape.key}`;
  return ctx.caches.shapes.statement(key, shape.params, build) as ParameterizedSQL;
}

/** `SELECT COUNT(*) AS cnt FROM <table> [WHERE]`. */
export function buildCountStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
): ParameterizedSQL {
  return byWhereShape(ctx, mapping, where, 'count', () => buildCountOf(ctx, mapping, where));
}

function buildCountOf(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
): ParameterizedSQL {
  const condition = ctx.buildWhere(mapping.model, where);
  return new ParameterizedSQL(`SELECT COUNT(*) AS cnt FROM ${mapping.tableEscaped}`).append(
    condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
  );
}

/** A single-row INSERT of the properties `data` gives. */
export function buildInsertStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  data: ModelData,
): ParameterizedSQL {
  const fields = buildFieldList(
    mapping,
    data,
    {mode: 'patch', excludeIds: false},
    ctx.toWriteValue,
  );
  return cachedWrite(ctx.caches, mapping.model, 'insert', fields, () =>
    ctx.buildInsertRows(mapping, fields.columns, [fields.values]),
  );
}

/**
 * A write of `fields` whose text depends only on the model, `kind` and the column list: built by `build` the first
 * time, then the cached text with this call's values. A value that is SQL (e.g. `POINT(?, ?)`) changes the text, so
 * such a statement is always built.
 */
export function cachedWrite(
  caches: ConnectorCaches,
  model: string,
  kind: string,
  fields: FieldList,
  build: () => ParameterizedSQL,
): ParameterizedSQL {
  if (hasSqlValue(fields.values)) return build();
  const text = caches.text(model, `${kind}\0${shapeOf(fields)}`, () => build().sql);
  return new ParameterizedSQL(text, fields.values);
}

/** `UPDATE <table> SET ... [WHERE]`; undefined when `data` sets nothing. */
export function buildUpdateStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
  data: ModelData,
  mode: 'patch' | 'replace',
): ParameterizedSQL | undefined {
  const fields = buildFieldList(mapping, data, {mode, excludeIds: true}, ctx.toWriteValue);
  // A where of plain comparisons and plain values: one text per column list and shape (statement-shapes.ts).
  const shape =
    fields.columns.length > 0 && !hasSqlValue(fields.values)
      ? whereShapeOf(ctx, mapping, where)
      : undefined;
  if (shape) {
    const key = `${mapping.model}\0update\0${shapeOf(fields)}\0${shape.key}`;
    return ctx.caches.shapes.statement(key, [...fields.values, ...shape.params], () =>
      buildUpdateOf(ctx, mapping, where, fields),
    );
  }
  return buildUpdateOf(ctx, mapping, where, fields);
}

function buildUpdateOf(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
  fields: FieldList,
): ParameterizedSQL | undefined {
  // The where is built (and checked) even when there is nothing to set: a bad one is an error either way.
  const condition = ctx.buildWhere(mapping.model, where);
  if (fields.columns.length === 0) return undefined;
  return new ParameterizedSQL(`UPDATE ${mapping.tableEscaped} SET`).append(
    buildAssignments(fields),
    condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
  );
}

/** `DELETE FROM <table> [WHERE]`. */
export function buildDeleteStatement(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
): ParameterizedSQL {
  return byWhereShape(ctx, mapping, where, 'delete', () => buildDeleteOf(ctx, mapping, where));
}

function buildDeleteOf(
  ctx: StatementContext,
  mapping: ModelMapping,
  where: Where | undefined,
): ParameterizedSQL {
  const condition = ctx.buildWhere(mapping.model, where);
  return new ParameterizedSQL(`DELETE FROM ${mapping.tableEscaped}`).append(
    condition ? ParameterizedSQL.join(['WHERE', condition]) : '',
  );
}
