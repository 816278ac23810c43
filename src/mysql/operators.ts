import {InvalidFilterError} from '../sql-connector/errors';
import type {JsonStep} from '../sql-connector/json-path';
import type {ColumnMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {WhereDialect} from '../sql-connector/where';

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
  // A lone UTF-16 surrogate becomes U+FFFD, as mysql2 sends it in any other string: JSON.stringify would write it as a
  // `\udfff` escape, which the server rejects as invalid JSON (a 500 instead of no match).
  const scalar =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'string'
        ? value.replace(/\p{Cs}/gu, '\uFFFD')
        : value;
  return new ParameterizedSQL(`JSON_CONTAINS(${column.escaped},?)`, [JSON.stringify(scalar)]);
}

/** `$[*]."name"`: the JSON path of {@link JsonStep}s, every member quoted (see {@link toJsonPath}). */
export function toJsonStepsPath(steps: readonly JsonStep[]): string {
  let path = '$';
  for (const step of steps) {
    path +=
      step.kind === 'each'
        ? '[*]'
        : step.kind === 'index'
          ? `[${step.index}]`
          : `.${JSON.stringify(step.name)}`;
  }
  return path;
}

/**
 * The text of one value in {@link buildSomeElement}: a JSON string unquoted, a number or boolean as its text, and NULL
 * for a JSON null, an object or an array. `utf8mb4_bin` compares as the text of a plain path does (`JSON_UNQUOTE`
 * returns `utf8mb4_bin` on MySQL and MariaDB alike).
 */
const ELEMENT_COLUMN = "`v` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$'";
const ELEMENT_VALUE = new ParameterizedSQL('`_lb_e`.`v`');

/**
 * Whether some value a path through arrays reaches passes `test`:
 * ``(SELECT 1 FROM JSON_TABLE(JSON_EXTRACT(`friends`, '$[*]."name"'), '$[*]' ...) AS `_lb_e` WHERE <test> LIMIT 1)
 * IS NOT NULL``. JSON_EXTRACT with a `[*]` path returns every match in one array (NULL when nothing matches), which
 * JSON_TABLE turns into rows. The path is a parameter: JSON_TABLE's own path must be a literal, so it is the constant
 * `$[*]`. JSON_TABLE exists on MySQL 8.0.4+ and MariaDB 10.6+, the versions this connector supports.
 *
 * Not `EXISTS (...)`: MySQL (8.0 to 9.7 at least) turns that EXISTS into a semijoin and, on a table of a few thousand
 * rows or more, materializes the subquery once, losing its reference to the row: every row then matches, or none
 * does. A scalar subquery is never turned into a semijoin.
 */
export function buildSomeElement(
  column: ColumnMapping,
  steps: readonly JsonStep[],
  test: (value: ParameterizedSQL) => ParameterizedSQL,
): ParameterizedSQL {
  return ParameterizedSQL.join(
    [
      new ParameterizedSQL(
        `(SELECT 1 FROM JSON_TABLE(JSON_EXTRACT(${column.escaped},?),'$[*]' ` +
          `COLUMNS (${ELEMENT_COLUMN})) AS \`_lb_e\` WHERE `,
        [toJsonStepsPath(steps)],
      ),
      test(ELEMENT_VALUE),
      ' LIMIT 1) IS NOT NULL',
    ],
    '',
  );
}

/**
 * MySQL's part of the `where` builder (the connector's `whereDialect`): its own operators, case-insensitive LIKE and
 * the JSON functions of nested paths.
 */
export const MYSQL_WHERE_DIALECT: WhereDialect = {
  extraOperators: MYSQL_OPERATORS,
  buildOperator: buildMySqlOperator,
  buildJsonPath,
  buildArrayContains,
  buildSomeElement,
};
