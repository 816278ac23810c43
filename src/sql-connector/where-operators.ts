import {InvalidFilterError, SqlConnectorError} from './errors';
import type {JsonStep} from './json-path';
import type {ColumnMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/*
 * The operators of a `where` and the checks and conversions of their values, for where.ts; the dialect's hooks.
 */

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

/** The set of {@link STANDARD_OPERATORS}. */
export const STANDARD = new Set<string>(STANDARD_OPERATORS);

const COMPARISON_SQL: Readonly<Record<string, string>> = {
  eq: '=',
  neq: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/**
 * A dialect's part of the `where` builder: its own operators and its JSON functions. Every member is optional; a
 * missing one (or one returning undefined) makes the where forms that need it a 400 error. A connector supplies one
 * object (`SqlConnector.whereDialect`), usually a module constant.
 *
 * ```ts
 * const whereDialect: WhereDialect = {extraOperators: new Set(['match']), buildOperator: buildMatch};
 * ```
 */
export interface WhereDialect {
  /** Operator names beyond {@link STANDARD_OPERATORS} that `buildOperator` understands (e.g. `match`). */
  readonly extraOperators?: ReadonlySet<string>;
  /**
   * Builds operators beyond the standard comparisons (`regexp`, `ilike`, full-text search...). Returns undefined for
   * an operator the dialect does not know, which makes it a 400 error.
   */
  buildOperator?(
    column: ColumnMapping,
    columnSql: ParameterizedSQL,
    operator: string,
    value: unknown,
    operatorOptions: unknown,
  ): ParameterizedSQL | undefined;
  /** SQL reading a path inside a JSON/Object column, as text; undefined when the dialect cannot. */
  buildJsonPath?(column: ColumnMapping, path: readonly string[]): ParameterizedSQL | undefined;
  /** SQL testing whether a JSON array column contains a value; undefined when the dialect cannot. */
  buildArrayContains?(column: ColumnMapping, value: unknown): ParameterizedSQL | undefined;
  /**
   * SQL that is true when some value a path through arrays reaches (every element at each `each` step) passes `test`,
   * which builds the condition on one value, given the SQL of that value as text; undefined when the dialect cannot.
   */
  buildSomeElement?(
    column: ColumnMapping,
    steps: readonly JsonStep[],
    test: (value: ParameterizedSQL) => ParameterizedSQL,
  ): ParameterizedSQL | undefined;
}

/** What `buildWhere` works with: the dialect's where hooks and the connector's conversion of a value for a column. */
export interface WhereContext {
  readonly dialect: WhereDialect;
  /** The stored form of a value for a column: a scalar, or SQL (e.g. `POINT(?, ?)`). Throws a 400 error. */
  readonly toColumnValue: (column: ColumnMapping, value: unknown) => unknown;
}

/** Conditions that are always true, always false. */
export const TRUE = new ParameterizedSQL('1=1');
export const FALSE = new ParameterizedSQL('1=0');

/** An object literal (not an array, a Date, a RegExp or a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What a value is, for error messages: never the value itself. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** `column=value`, or `column IS NULL` for a null value. */
export function equals(columnSql: ParameterizedSQL, value: unknown): ParameterizedSQL {
  if (value === null || value === undefined) {
    return new ParameterizedSQL(`${columnSql.sql} IS NULL`, columnSql.params);
  }
  return ParameterizedSQL.join([columnSql, '=', asSql(value)], '');
}

/** A value as SQL: a parameter, unless it is SQL already (e.g. `POINT(?, ?)`). */
export function asSql(value: unknown): ParameterizedSQL {
  return value instanceof ParameterizedSQL ? value : ParameterizedSQL.value(value);
}

/** A value of a where, converted by the dialect; a value the column cannot hold makes the filter invalid (400). */
export function toFilterValue(
  context: WhereContext,
  column: ColumnMapping,
  value: unknown,
): unknown {
  try {
    return context.toColumnValue(column, value);
  } catch (err) {
    if (err instanceof SqlConnectorError && err.statusCode === 400) {
      throw new InvalidFilterError(`Invalid where: ${err.message}`);
    }
    throw err;
  }
}

/** A value compared with a value inside a JSON column: text or a number (booleans as text), or a Date. */
export function toNestedValue(value: unknown): unknown {
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

/** The array an operator takes (`inq`, `nin`, `between`); anything else is a 400 error. */
export function listOf(operator: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidFilterError(
      `Invalid where: "${operator}" takes an array, got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * One operator of a `where` on a column (or on a value inside one, with `convert` for its values): the standard
 * comparisons here, anything else from the dialect; an operator nobody builds is a 400 error.
 */
export function buildOperator(
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
        const sql = dialect.buildOperator?.(column, columnSql, op, value, operatorOptions);
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
      const sql = dialect.buildOperator?.(column, columnSql, operator, value, operatorOptions);
      if (sql) return sql;
      throw new InvalidFilterError(
        `Invalid where: operator "${operator}" is not supported by this connector`,
      );
    }
  }
}

/** `column IN (?, ?)` (or NOT IN, per `keyword`). */
export function inList(
  columnSql: ParameterizedSQL,
  keyword: string,
  values: unknown[],
): ParameterizedSQL {
  const list = ParameterizedSQL.join(values.map(asSql), ',').parenthesized();
  return ParameterizedSQL.join([columnSql, keyword, list], '');
}
