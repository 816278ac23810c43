import {InvalidFilterError} from '../sql-connector/errors';
import type {ColumnMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';

/*
 * MySQL's where operators beyond the standard comparisons. Every form here runs on MySQL 8 and MariaDB 10.6+ alike:
 * `REGEXP` with inline flags works with both ICU (MySQL) and PCRE (MariaDB), unlike MySQL's REGEXP_LIKE, which
 * MariaDB lacks.
 */

/** Full-text search operators (`MATCH ... AGAINST`), by juggler operator name. */
const MATCH_MODES: Readonly<Record<string, string>> = {
  match: '',
  matchbool: ' IN BOOLEAN MODE',
  matchnl: ' IN NATURAL LANGUAGE MODE',
  matchqe: ' WITH QUERY EXPANSION',
  matchnlqe: ' IN NATURAL LANGUAGE MODE WITH QUERY EXPANSION',
};

/** The operators {@link buildMySqlOperator} adds to the standard set. */
export const MYSQL_OPERATORS: ReadonlySet<string> = new Set([
  'regexp',
  ...Object.keys(MATCH_MODES),
]);

/** A JS RegExp (or pattern string with juggler's `options`) as a pattern with inline flags. */
export function toRegexpPattern(value: unknown, operatorOptions: unknown): string {
  const source = value instanceof RegExp ? value.source : String(value);
  const flags =
    value instanceof RegExp
      ? value.flags
      : typeof operatorOptions === 'string'
        ? operatorOptions
        : '';
  // Case-sensitive unless asked otherwise, whatever the column's collation.
  let prefix = flags.includes('i') ? '(?i)' : '(?-i)';
  if (flags.includes('m')) prefix += '(?m)';
  if (flags.includes('s')) prefix += '(?s)';
  return prefix + source;
}

/** Builds MySQL's own operators, or returns undefined for an operator it does not know. */
export function buildMySqlOperator(
  _column: ColumnMapping,
  columnSql: ParameterizedSQL,
  operator: string,
  value: unknown,
  operatorOptions: unknown,
): ParameterizedSQL | undefined {
  switch (operator) {
    case 'ilike':
    case 'nilike':
      // LOWER on both sides is case-insensitive whatever the column's charset and collation.
      return ParameterizedSQL.join(
        [
          'LOWER(',
          columnSql,
          operator === 'ilike' ? ') LIKE LOWER(' : ') NOT LIKE LOWER(',
          ParameterizedSQL.value(value),
          ')',
        ],
        '',
      );
    case 'regexp':
      return ParameterizedSQL.join(
        [columnSql, ' REGEXP ', ParameterizedSQL.value(toRegexpPattern(value, operatorOptions))],
        '',
      );
    default: {
      const mode = MATCH_MODES[operator];
      if (mode === undefined) return undefined;
      if (typeof value !== 'string') {
        throw new InvalidFilterError(`Invalid where: "${operator}" takes a search string`);
      }
      return ParameterizedSQL.join(
        ['MATCH (', columnSql, `) AGAINST (`, ParameterizedSQL.value(value), `${mode})`],
        '',
      );
    }
  }
}

/** `$."a"."b"`: a JSON path with every key quoted, so no key can change the path's meaning. */
export function toJsonPath(path: readonly string[]): string {
  return (
    '$' + path.map((key) => (/^\d+$/.test(key) ? `[${key}]` : `.${JSON.stringify(key)}`)).join('')
  );
}

/** A value inside a JSON column, as unquoted text: `JSON_UNQUOTE(JSON_EXTRACT(col, '$."a"'))`. */
export function buildJsonPath(column: ColumnMapping, path: readonly string[]): ParameterizedSQL {
  return new ParameterizedSQL(`JSON_UNQUOTE(JSON_EXTRACT(${column.escaped},?))`, [
    toJsonPath(path),
  ]);
}

/** Whether a JSON array column contains a scalar: `JSON_CONTAINS(col, '"x"')`. */
export function buildArrayContains(
  column: ColumnMapping,
  value: unknown,
): ParameterizedSQL | undefined {
  if (
    value === null ||
    value === undefined ||
    (typeof value === 'object' && !(value instanceof Date))
  )
    return undefined;
  const json = JSON.stringify(value instanceof Date ? value.toISOString() : value);
  return new ParameterizedSQL(`JSON_CONTAINS(${column.escaped},?)`, [json]);
}
