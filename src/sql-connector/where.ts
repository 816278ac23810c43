import {InvalidFilterError} from './errors';
import {crossesArray, resolveJsonPath, type JsonStep} from './json-path';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';
import {
  buildOperator,
  describe,
  equals,
  FALSE,
  inList,
  isPlainObject,
  listOf,
  STANDARD,
  toFilterValue,
  toNestedValue,
  type WhereContext,
} from './where-operators';

export {
  STANDARD_OPERATORS,
  type StandardOperator,
  type WhereContext,
  type WhereDialect,
} from './where-operators';

/** Bounds hostile input: a `where` nested deeper than this is rejected rather than recursed into. */
const MAX_DEPTH = 32;

/** The property types stored as JSON: a scalar compared with one means "contains" or "equals as JSON". */
const JSON_TYPES = new Set(['object', 'array', 'any', 'json']);

/**
 * Builds the condition of a juggler `where` (without the `WHERE` keyword). Returns undefined when the where is
 * empty. Every key must be a property of the model, `and`, `or` or `nor`: anything else is a 400 error, because
 * dropping a condition would widen the statement (a `destroyAll` would delete every row).
 *
 * ```ts
 * buildWhere(context, mapping, {age: {gt: 18}, or: [{name: 'a'}, {name: {like: 'b%'}}]});
 * // → '"age">? AND (("name"=?) OR ("name" LIKE ?))', [18, 'a', 'b%'] (names quoted by the dialect)
 * ```
 */
export function buildWhere(
  context: WhereContext,
  mapping: ModelMapping,
  where: unknown,
): ParameterizedSQL | undefined {
  if (where === undefined || where === null) return undefined;
  const condition = buildConjunction(context, mapping, where, 0);
  return condition.isEmpty ? undefined : condition;
}

function buildConjunction(
  context: WhereContext,
  mapping: ModelMapping,
  where: unknown,
  depth: number,
): ParameterizedSQL {
  if (!isPlainObject(where)) {
    throw new InvalidFilterError(`Invalid where: expected an object, got ${describe(where)}`);
  }
  if (depth > MAX_DEPTH)
    throw new InvalidFilterError(`Invalid where: nested deeper than ${MAX_DEPTH} levels`);
  const parts: ParameterizedSQL[] = [];
  for (const key of Object.keys(where)) {
    const value = where[key];
    if (key === 'and' || key === 'or' || key === 'nor') {
      parts.push(buildLogical(context, mapping, key, value, depth));
    } else {
      parts.push(buildProperty(context, mapping, key, value));
    }
  }
  const nonEmpty = parts.filter((p) => !p.isEmpty);
  if (nonEmpty.length === 1) return nonEmpty[0] as ParameterizedSQL;
  return ParameterizedSQL.join(nonEmpty, ' AND ');
}

/**
 * The property values a `where` pins by equality, which a row inserted for it (`upsertWithWhere`) takes unless its data
 * says otherwise: `{email: 'a', and: [{age: {eq: 3}}]}` gives `{email: 'a', age: 3}`. Only scalars of plain columns
 * count (on a JSON column a scalar means "contains"); `or`, `nor`, other operators and nested paths pin nothing.
 */
export function equalityValues(mapping: ModelMapping, where: unknown): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const visit = (clause: unknown, depth: number): void => {
    if (!isPlainObject(clause) || depth > MAX_DEPTH) return;
    for (const key of Object.keys(clause)) {
      const value = clause[key];
      if (key === 'and') {
        if (Array.isArray(value)) for (const c of value) visit(c, depth + 1);
        continue;
      }
      const column = mapping.byProperty.get(key);
      if (!column || JSON_TYPES.has(column.type)) continue;
      const pinned =
        isPlainObject(value) && Object.keys(value).length === 1 && 'eq' in value ? value.eq : value;
      if (
        pinned instanceof Date ||
        ['string', 'number', 'boolean', 'bigint'].includes(typeof pinned)
      ) {
        values[key] = pinned;
      }
    }
  };
  visit(where, 0);
  return values;
}

function buildLogical(
  context: WhereContext,
  mapping: ModelMapping,
  key: 'and' | 'or' | 'nor',
  clauses: unknown,
  depth: number,
): ParameterizedSQL {
  if (!Array.isArray(clauses)) {
    throw new InvalidFilterError(
      `Invalid where: "${key}" takes an array of conditions, got ${describe(clauses)}`,
    );
  }
  const branches = clauses.map((clause) => buildConjunction(context, mapping, clause, depth + 1));
  // An empty branch is an empty condition, which is true.
  if (branches.some((b) => b.isEmpty)) {
    if (key === 'and')
      return ParameterizedSQL.join(
        branches.map((b) => b.parenthesized()),
        ' AND ',
      );
    return key === 'or' ? new ParameterizedSQL('') : FALSE;
  }
  if (branches.length === 0) return key === 'or' ? FALSE : new ParameterizedSQL('');
  const joined = ParameterizedSQL.join(
    branches.map((b) => b.parenthesized()),
    key === 'and' ? ' AND ' : ' OR ',
  ).parenthesized();
  return key === 'nor' ? new ParameterizedSQL(`NOT ${joined.sql}`, joined.params) : joined;
}

/** What a `where` key names: a column, a value inside a JSON column, or the values a path through arrays reaches. */
type Target =
  | {column: ColumnMapping; sql: ParameterizedSQL; nested: boolean; elements?: undefined}
  | {column: ColumnMapping; elements: readonly JsonStep[]};

function resolveColumn(context: WhereContext, mapping: ModelMapping, key: string): Target {
  const column = mapping.byProperty.get(key);
  if (column) return {column, sql: new ParameterizedSQL(column.escaped), nested: false};
  const [head, ...path] = key.split('.');
  const root = head === undefined ? undefined : mapping.byProperty.get(head);
  if (root && path.length > 0 && path.every((p) => p !== '')) {
    if (!JSON_TYPES.has(root.type)) {
      throw new InvalidFilterError(
        `Invalid where: "${key}" is a nested path, but ${mapping.model}.${head} is not an object property`,
      );
    }
    const steps = resolveJsonPath(root, path);
    if (crossesArray(steps)) return {column: root, elements: steps};
    const sql = context.dialect.buildJsonPath?.(root, path);
    if (sql) return {column: root, sql, nested: true};
    throw new InvalidFilterError(
      `Invalid where: nested property "${key}" is not supported by this connector`,
    );
  }
  throw new InvalidFilterError(`Invalid where: ${mapping.model} has no property "${key}"`);
}

function buildProperty(
  context: WhereContext,
  mapping: ModelMapping,
  key: string,
  condition: unknown,
): ParameterizedSQL {
  const target = resolveColumn(context, mapping, key);
  if (target.elements) {
    return buildSomeElement(context, mapping, key, target.column, target.elements, condition);
  }
  const {column, sql, nested} = target;
  // A nested value is compared as text or number, never converted by the root column's type.
  const convert = nested
    ? toNestedValue
    : (value: unknown) => toFilterValue(context, column, value);

  if (condition === null || condition === undefined)
    return new ParameterizedSQL(`${sql.sql} IS NULL`, sql.params);
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    const operators = keys.filter((k) => k !== 'options');
    const isOperatorObject =
      operators.length > 0 &&
      operators.every((k) => STANDARD.has(k) || context.dialect.extraOperators?.has(k));
    if (isOperatorObject) {
      const parts = operators.map((op) =>
        buildOperator(context.dialect, column, sql, op, condition[op], condition.options, convert),
      );
      return ParameterizedSQL.join(parts, ' AND ');
    }
    if (!nested && JSON_TYPES.has(column.type)) return equals(sql, convert(condition));
    const unknown = operators.find((k) => !STANDARD.has(k)) ?? keys[0] ?? '';
    throw new InvalidFilterError(
      `Invalid where: unknown operator "${unknown}" for ${mapping.model}.${key}`,
    );
  }
  if (!nested && column.type === 'array' && !Array.isArray(condition)) {
    const contains = context.dialect.buildArrayContains?.(column, condition);
    if (contains) return contains;
  }
  return equals(sql, convert(condition));
}

/**
 * The condition on a path through arrays (`{'friends.name': 'Ringo'}`): each operator holds when some element's
 * value passes it, so `neq` means "some element differs" (no element equals is `nor: [{'friends.name': 'Ringo'}]`).
 * The null checks are about the whole array: `null` holds when no element has a value (no array, an empty one, or
 * no element with that property), `{neq: null}` when some element has one.
 */
function buildSomeElement(
  context: WhereContext,
  mapping: ModelMapping,
  key: string,
  column: ColumnMapping,
  steps: readonly JsonStep[],
  condition: unknown,
): ParameterizedSQL {
  const some = (test: (value: ParameterizedSQL) => ParameterizedSQL): ParameterizedSQL => {
    const sql = context.dialect.buildSomeElement?.(column, steps, test);
    if (sql) return sql;
    throw new InvalidFilterError(
      `Invalid where: nested property "${key}" is not supported by this connector`,
    );
  };
  const hasValue = () => some((v) => new ParameterizedSQL(`${v.sql} IS NOT NULL`, v.params));
  const noValue = () => {
    const exists = hasValue().parenthesized();
    return new ParameterizedSQL(`NOT ${exists.sql}`, exists.params);
  };
  if (condition === null || condition === undefined) return noValue();
  if (!isPlainObject(condition)) return some((v) => equals(v, toNestedValue(condition)));
  const keys = Object.keys(condition);
  const operators = keys.filter((k) => k !== 'options');
  const unknown = operators.find(
    (k) => !STANDARD.has(k) && !context.dialect.extraOperators?.has(k),
  );
  if (operators.length === 0 || unknown !== undefined) {
    throw new InvalidFilterError(
      `Invalid where: unknown operator "${unknown ?? keys[0] ?? ''}" for ${mapping.model}.${key}`,
    );
  }
  const parts = operators.map((op) => {
    const value = condition[op];
    if (op === 'eq' && (value === null || value === undefined)) return noValue();
    if (op === 'neq' && (value === null || value === undefined)) return hasValue();
    if (op === 'inq') {
      const items = listOf(op, value);
      const nonNull = items.filter((v) => v !== null && v !== undefined);
      const parts =
        nonNull.length > 0 ? [some((v) => inList(v, ' IN ', nonNull.map(toNestedValue)))] : [];
      if (nonNull.length !== items.length) parts.push(noValue());
      if (parts.length === 0) return FALSE;
      return parts.length === 1
        ? (parts[0] as ParameterizedSQL)
        : ParameterizedSQL.join(parts, ' OR ').parenthesized();
    }
    return some((v) =>
      buildOperator(context.dialect, column, v, op, value, condition.options, toNestedValue),
    );
  });
  return ParameterizedSQL.join(parts, ' AND ');
}
