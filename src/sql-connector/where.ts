import {InvalidFilterError, SqlConnectorError} from './errors';
import {crossesArray, resolveJsonPath, type JsonStep} from './json-path';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/** The comparison operators of juggler's `where` that every SQL dialect supports. */
export const STANDARD_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'inq',
  'nin',
  'like',
  'nlike',
  'ilike',
  'nilike',
  'regexp',
] as const;
export type StandardOperator = (typeof STANDARD_OPERATORS)[number];

const COMPARISON_SQL: Readonly<Record<string, string>> = {
  eq: '=',
  neq: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/** Bounds hostile input: a `where` nested deeper than this is rejected rather than recursed into. */
const MAX_DEPTH = 32;

/** What the `where` builder needs from a dialect. */
export interface WhereDialect {
  /** Operator names beyond {@link STANDARD_OPERATORS} that `buildOperator` understands (e.g. `match`). */
  readonly extraOperators: ReadonlySet<string>;
  /** The stored form of a value for a column: a scalar, or SQL (e.g. `POINT(?, ?)`). Throws a 400 error. */
  toColumnValue(column: ColumnMapping, value: unknown): unknown;
  /**
   * Builds operators beyond the standard comparisons (`regexp`, `ilike`, full-text search...). Returns undefined for
   * an operator the dialect does not know, which makes it a 400 error.
   */
  buildOperator(
    column: ColumnMapping,
    columnSql: ParameterizedSQL,
    operator: string,
    value: unknown,
    operatorOptions: unknown,
  ): ParameterizedSQL | undefined;
  /** SQL reading a path inside a JSON/Object column, as text; undefined when the dialect cannot. */
  buildJsonPath(column: ColumnMapping, path: readonly string[]): ParameterizedSQL | undefined;
  /** SQL testing whether a JSON array column contains a value; undefined when the dialect cannot. */
  buildArrayContains(column: ColumnMapping, value: unknown): ParameterizedSQL | undefined;
  /**
   * SQL that is true when some value a path through arrays reaches (every element at each `each` step) passes `test`,
   * which builds the condition on one value, given the SQL of that value as text; undefined when the dialect cannot.
   */
  buildSomeElement(
    column: ColumnMapping,
    steps: readonly JsonStep[],
    test: (value: ParameterizedSQL) => ParameterizedSQL,
  ): ParameterizedSQL | undefined;
}

const TRUE = new ParameterizedSQL('1=1');
const FALSE = new ParameterizedSQL('1=0');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const JSON_TYPES = new Set(['object', 'array', 'any', 'json']);
const STANDARD = new Set<string>(STANDARD_OPERATORS);

/**
 * Builds the condition of a juggler `where` (without the `WHERE` keyword). Returns undefined when the where is
 * empty. Every key must be a property of the model, `and`, `or` or `nor`: anything else is a 400 error, because
 * dropping a condition would widen the statement (a `destroyAll` would delete every row).
 *
 * ```ts
 * buildWhere(dialect, mapping, {age: {gt: 18}, or: [{name: 'a'}, {name: {like: 'b%'}}]});
 * // → '`age`>? AND ((`name`=?) OR (`name` LIKE ?))', [18, 'a', 'b%']
 * ```
 */
export function buildWhere(
  dialect: WhereDialect,
  mapping: ModelMapping,
  where: unknown,
): ParameterizedSQL | undefined {
  if (where === undefined || where === null) return undefined;
  const condition = buildConjunction(dialect, mapping, where, 0);
  return condition.isEmpty ? undefined : condition;
}

function buildConjunction(
  dialect: WhereDialect,
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
      parts.push(buildLogical(dialect, mapping, key, value, depth));
    } else {
      parts.push(buildProperty(dialect, mapping, key, value));
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
  dialect: WhereDialect,
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
  const branches = clauses.map((clause) => buildConjunction(dialect, mapping, clause, depth + 1));
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

function resolveColumn(dialect: WhereDialect, mapping: ModelMapping, key: string): Target {
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
    const sql = dialect.buildJsonPath(root, path);
    if (sql) return {column: root, sql, nested: true};
    throw new InvalidFilterError(
      `Invalid where: nested property "${key}" is not supported by this connector`,
    );
  }
  throw new InvalidFilterError(`Invalid where: ${mapping.model} has no property "${key}"`);
}

function buildProperty(
  dialect: WhereDialect,
  mapping: ModelMapping,
  key: string,
  condition: unknown,
): ParameterizedSQL {
  const target = resolveColumn(dialect, mapping, key);
  if (target.elements) {
    return buildSomeElement(dialect, mapping, key, target.column, target.elements, condition);
  }
  const {column, sql, nested} = target;
  // A nested value is compared as text or number, never converted by the root column's type.
  const convert = nested
    ? toNestedValue
    : (value: unknown) => toFilterValue(dialect, column, value);

  if (condition === null || condition === undefined)
    return new ParameterizedSQL(`${sql.sql} IS NULL`, sql.params);
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    const operators = keys.filter((k) => k !== 'options');
    const isOperatorObject =
      operators.length > 0 &&
      operators.every((k) => STANDARD.has(k) || dialect.extraOperators.has(k));
    if (isOperatorObject) {
      const parts = operators.map((op) =>
        buildOperator(dialect, column, sql, op, condition[op], condition.options, convert),
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
    const contains = dialect.buildArrayContains(column, condition);
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
  dialect: WhereDialect,
  mapping: ModelMapping,
  key: string,
  column: ColumnMapping,
  steps: readonly JsonStep[],
  condition: unknown,
): ParameterizedSQL {
  const some = (test: (value: ParameterizedSQL) => ParameterizedSQL): ParameterizedSQL => {
    const sql = dialect.buildSomeElement(column, steps, test);
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
  const unknown = operators.find((k) => !STANDARD.has(k) && !dialect.extraOperators.has(k));
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
      buildOperator(dialect, column, v, op, value, condition.options, toNestedValue),
    );
  });
  return ParameterizedSQL.join(parts, ' AND ');
}

function equals(columnSql: ParameterizedSQL, value: unknown): ParameterizedSQL {
  if (value === null || value === undefined) {
    return new ParameterizedSQL(`${columnSql.sql} IS NULL`, columnSql.params);
  }
  return ParameterizedSQL.join([columnSql, '=', asSql(value)], '');
}

function asSql(value: unknown): ParameterizedSQL {
  return value instanceof ParameterizedSQL ? value : ParameterizedSQL.value(value);
}

/** A value of a where, converted by the dialect; a value the column cannot hold makes the filter invalid (400). */
function toFilterValue(dialect: WhereDialect, column: ColumnMapping, value: unknown): unknown {
  try {
    return dialect.toColumnValue(column, value);
  } catch (err) {
    if (err instanceof SqlConnectorError && err.statusCode === 400) {
      throw new InvalidFilterError(`Invalid where: ${err.message}`);
    }
    throw err;
  }
}

function toNestedValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidFilterError(`Invalid where: ${value} is not a finite number`);
    }
    return typeof value === 'boolean' ? String(value) : value;
  }
  if (value instanceof Date) return value;
  throw new InvalidFilterError(
    `Invalid where: cannot compare a nested property with ${describe(value)}`,
  );
}

function listOf(operator: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidFilterError(
      `Invalid where: "${operator}" takes an array, got ${describe(value)}`,
    );
  }
  return value;
}

function buildOperator(
  dialect: WhereDialect,
  column: ColumnMapping,
  columnSql: ParameterizedSQL,
  operator: string,
  value: unknown,
  operatorOptions: unknown,
  convert: (value: unknown) => unknown,
): ParameterizedSQL {
  const col = columnSql.sql;
  switch (operator) {
    case 'eq':
      return equals(columnSql, value === null ? null : convert(value));
    case 'neq':
      if (value === null || value === undefined)
        return new ParameterizedSQL(`${col} IS NOT NULL`, columnSql.params);
      return ParameterizedSQL.join([columnSql, '!=', asSql(convert(value))], '');
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      // Like SQL's own comparison with NULL, which is never true: no row matches.
      if (value === null || value === undefined) return FALSE;
      return ParameterizedSQL.join(
        [columnSql, COMPARISON_SQL[operator] as string, asSql(convert(value))],
        '',
      );
    case 'between': {
      const bounds = listOf(operator, value);
      if (bounds.length !== 2 || bounds.some((b) => b === null || b === undefined)) {
        throw new InvalidFilterError('Invalid where: "between" takes exactly two non-null values');
      }
      return ParameterizedSQL.join(
        [columnSql, ' BETWEEN ', asSql(convert(bounds[0])), ' AND ', asSql(convert(bounds[1]))],
        '',
      );
    }
    case 'inq':
    case 'nin': {
      const items = listOf(operator, value);
      const nonNull = items.filter((v) => v !== null && v !== undefined);
      const hasNull = nonNull.length !== items.length;
      if (operator === 'inq') {
        const parts: ParameterizedSQL[] = [];
        if (nonNull.length > 0) parts.push(inList(columnSql, ' IN ', nonNull.map(convert)));
        if (hasNull) parts.push(new ParameterizedSQL(`${col} IS NULL`, columnSql.params));
        if (parts.length === 0) return FALSE;
        return parts.length === 1
          ? (parts[0] as ParameterizedSQL)
          : ParameterizedSQL.join(parts, ' OR ').parenthesized();
      }
      const parts: ParameterizedSQL[] = [];
      if (nonNull.length > 0) parts.push(inList(columnSql, ' NOT IN ', nonNull.map(convert)));
      if (hasNull) parts.push(new ParameterizedSQL(`${col} IS NOT NULL`, columnSql.params));
      if (parts.length === 0) return TRUE;
      return ParameterizedSQL.join(parts, ' AND ');
    }
    case 'like':
    case 'nlike':
    case 'ilike':
    case 'nilike': {
      if (typeof value !== 'string') {
        throw new InvalidFilterError(
          `Invalid where: "${operator}" takes a string pattern, got ${describe(value)}`,
        );
      }
      const insensitive = operator === 'ilike' || operator === 'nilike' || operatorOptions === 'i';
      const negated = operator === 'nlike' || operator === 'nilike';
      if (insensitive) {
        const op = negated ? 'nilike' : 'ilike';
        const sql = dialect.buildOperator(column, columnSql, op, value, operatorOptions);
        // Never fall back to a case-sensitive LIKE: a nilike in a destroyAll would then match more rows.
        if (!sql)
          throw new InvalidFilterError(
            `Invalid where: operator "${op}" is not supported by this connector`,
          );
        return sql;
      }
      return ParameterizedSQL.join(
        [columnSql, negated ? ' NOT LIKE ' : ' LIKE ', ParameterizedSQL.value(value)],
        '',
      );
    }
    default: {
      if (operator === 'regexp' && !(value instanceof RegExp) && typeof value !== 'string') {
        throw new InvalidFilterError(
          `Invalid where: "regexp" takes a RegExp or a string, got ${describe(value)}`,
        );
      }
      const sql = dialect.buildOperator(column, columnSql, operator, value, operatorOptions);
      if (sql) return sql;
      throw new InvalidFilterError(
        `Invalid where: operator "${operator}" is not supported by this connector`,
      );
    }
  }
}

function inList(columnSql: ParameterizedSQL, keyword: string, values: unknown[]): ParameterizedSQL {
  const list = ParameterizedSQL.join(values.map(asSql), ',').parenthesized();
  return ParameterizedSQL.join([columnSql, keyword, list], '');
}
