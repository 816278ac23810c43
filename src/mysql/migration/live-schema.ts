/*
 * The live schema: the information_schema queries that read one table, and their rows turned into a LiveTable in
 * one spelling for MySQL and MariaDB (types, defaults, charsets, MariaDB's JSON), ready to compare with a model.
 */
import type {ParameterizedSQL} from '../../sql-connector/parameterized-sql';
import {
  buildCheckConstraintsQuery,
  buildLiveColumnsQuery,
  buildLiveForeignKeysQuery,
  buildLiveIndexesQuery,
  catalogText as text,
  jsonCheckColumn,
  type TableRef,
} from '../information-schema';
import {schemaReporting, type ServerInfo} from '../server';
import type {IndexColumn} from './model-schema';

/** The queries reading one table (a model's mapping): columns, indexes, foreign keys, and (MariaDB) the checks. */
export function buildReadTable(mapping: TableRef): {
  columns: ParameterizedSQL;
  indexes: ParameterizedSQL;
  foreignKeys: ParameterizedSQL;
  checks: ParameterizedSQL;
} {
  return {
    columns: buildLiveColumnsQuery(mapping),
    indexes: buildLiveIndexesQuery(mapping),
    foreignKeys: buildLiveForeignKeysQuery(mapping),
    // MariaDB only: MySQL's CHECK_CONSTRAINTS has no TABLE_NAME, and MySQL has a native JSON type.
    checks: buildCheckConstraintsQuery(mapping),
  };
}

/** The rows of the {@link buildReadTable} queries, as the server returned them. */
export interface TableSnapshot {
  readonly columns: readonly Record<string, unknown>[];
  readonly indexes?: readonly Record<string, unknown>[];
  readonly foreignKeys?: readonly Record<string, unknown>[];
  readonly checks?: readonly Record<string, unknown>[];
}

/** How the server reports its schema (see {@link migrationDialect}). */
export interface MigrationDialect {
  /** MariaDB 10.2.7+: COLUMN_DEFAULT is SQL text (`'x'` quoted, `NULL` for a NULL default); MySQL: the raw value. */
  readonly quotedDefaults: boolean;
  /** MariaDB: JSON is LONGTEXT with a JSON_VALID check; MySQL: a native JSON type. */
  readonly nativeJson: boolean;
  /** Descending index keys are kept (MySQL 8, MariaDB 10.8), rather than parsed and ignored. */
  readonly descendingIndexes: boolean;
}

/** The schema-reporting differences that follow from the server's flavour and version. */
export function migrationDialect(
  server: Pick<ServerInfo, 'flavor' | 'version' | 'nativeJson'>,
): MigrationDialect {
  return {nativeJson: server.nativeJson, ...schemaReporting(server.flavor, server.version)};
}

/** A column as the server reports it, normalized. */
export interface LiveColumn {
  readonly name: string;
  /** {@link normalizeColumnType} of COLUMN_TYPE. */
  readonly type: string;
  readonly nullable: boolean;
  /** {@link normalizeLiveDefault} of COLUMN_DEFAULT. */
  readonly default: string | null;
  readonly autoIncrement: boolean;
  readonly charset: string | undefined;
  readonly collation: string | undefined;
  /** A JSON_VALID check on the column (MariaDB's JSON). */
  readonly json: boolean;
}

export interface LiveIndex {
  readonly name: string;
  readonly kind: string;
  readonly columns: readonly (IndexColumn & {subPart: number | undefined})[];
}

export interface LiveForeignKey {
  readonly name: string;
  readonly tableSchema: string;
  readonly columns: readonly string[];
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
  readonly onDelete: string;
  readonly onUpdate: string;
}

export interface LiveTable {
  readonly columns: readonly LiveColumn[];
  readonly indexes: readonly LiveIndex[];
  readonly foreignKeys: readonly LiveForeignKey[];
}

function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : text(value);
}

const INT_TYPES = /^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/;

/**
 * A column type in one spelling for both servers: lower case (outside quoted ENUM values), integer display widths
 * dropped (`int(11)` = `int`, MySQL 8.0.19+ reports none) except `tinyint(1)` (a boolean), aliases resolved
 * (`integer`, `bool`, `numeric`, `dec`), implied lengths made explicit (`decimal` = `decimal(10,0)`, `char` =
 * `char(1)`) and zero fractional-second precision dropped (`datetime(0)` = `datetime`).
 */
export function normalizeColumnType(type: string): string {
  let t = type
    .trim()
    .replace(/'(?:[^'\\]|\\.|'')*'|[^']+/g, (m) =>
      m.startsWith("'") ? m : m.toLowerCase().replace(/\s+/g, ' '),
    )
    .replace(/\s*\(\s*/, '(')
    .replace(/\s*\)/, ')')
    .replace(/^(\w+\([^)']*)\s*,\s*/, '$1,');
  t = t
    .replace(/^integer\b/, 'int')
    .replace(/^(bool|boolean)$/, 'tinyint(1)')
    .replace(/^(dec|numeric|fixed)\b/, 'decimal')
    .replace(/^(double precision|real)\b/, 'double')
    .replace(/^(character varying)\b/, 'varchar');
  t = t.replace(INT_TYPES, (m, name: string, width: string) =>
    name === 'tinyint' && width === '1' ? m : name,
  );
  t = t
    .replace(/^decimal(?=$| )/, 'decimal(10,0)')
    .replace(/^decimal\((\d+)\)/, 'decimal($1,0)')
    .replace(/^(datetime|timestamp|time)\(0\)/, '$1')
    .replace(/^(char|binary|bit)(?=$| )/, '$1(1)');
  return t;
}

/** Charset names in one spelling: `utf8` is `utf8mb3` (MySQL 8.0.30+ and MariaDB 10.6+ report the latter). */
export function normalizeCharset(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  return name.toLowerCase().replace(/^utf8(?=$|_)/, 'utf8mb3');
}

function unquoteSql(quoted: string): string {
  return quoted
    .slice(1, -1)
    .replace(/''/g, "'")
    .replace(/\\(.)/g, (_, c: string) =>
      c === 'n'
        ? '\n'
        : c === 'r'
          ? '\r'
          : c === 't'
            ? '\t'
            : c === '0'
              ? '\0'
              : c === 'Z'
                ? '\x1a'
                : c,
    );
}

/** `current_timestamp`, `current_timestamp(3)`: the normalized form of a now() default of a given precision. */
export function nowDefault(precision: string | undefined): string {
  return `expr:current_timestamp${precision && precision !== '0' ? `(${precision})` : ''}`;
}

const LIVE_NOW = /^(current_timestamp|now)(?:\((\d?)\))?$/i;

/**
 * COLUMN_DEFAULT in one form: `null` for no default (or a NULL default), `lit:<value>` for a literal and
 * `expr:current_timestamp(3)` for now(). MariaDB reports SQL text (`'x'`, `NULL`, `current_timestamp()`); MySQL
 * reports the value itself (`x`, SQL NULL, `CURRENT_TIMESTAMP` with EXTRA `DEFAULT_GENERATED`).
 */
export function normalizeLiveDefault(
  raw: unknown,
  extra: string,
  columnType: string,
  dialect: Pick<MigrationDialect, 'quotedDefaults'>,
): string | null {
  if (raw === null || raw === undefined) return null;
  const value = text(raw);
  const now = LIVE_NOW.exec(value.trim());
  if (dialect.quotedDefaults) {
    if (value === 'NULL') return null;
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'"))
      return `lit:${unquoteSql(value)}`;
    if (now) return nowDefault(now[2]);
    return `lit:${value}`;
  }
  if (now && (/DEFAULT_GENERATED/i.test(extra) || /^(datetime|timestamp)/i.test(columnType)))
    return nowDefault(now[2]);
  return `lit:${value}`;
}

/** Turns the rows of the {@link buildReadTable} queries into a {@link LiveTable}; undefined when there is no table. */
export function liveTable(
  snapshot: TableSnapshot,
  dialect: MigrationDialect,
): LiveTable | undefined {
  if (snapshot.columns.length === 0) return undefined;
  const jsonColumns = new Set<string>();
  for (const row of snapshot.checks ?? []) {
    const column = jsonCheckColumn(row.clause);
    if (column !== undefined) jsonColumns.add(column.toLowerCase());
  }
  const columns = snapshot.columns.map((row): LiveColumn => {
    const columnType = text(row.columnType);
    const extra = text(row.extra);
    const name = text(row.name);
    return {
      name,
      type: normalizeColumnType(columnType),
      nullable: text(row.nullable).toUpperCase() === 'YES',
      default: normalizeLiveDefault(row.columnDefault, extra, columnType, dialect),
      autoIncrement: /auto_increment/i.test(extra),
      charset: normalizeCharset(optionalText(row.charset)),
      collation: normalizeCharset(optionalText(row.collation)),
      json: jsonColumns.has(name.toLowerCase()),
    };
  });
  const indexes = new Map<
    string,
    {name: string; kind: string; columns: LiveIndex['columns'][number][]}
  >();
  for (const row of snapshot.indexes ?? []) {
    const name = text(row.name);
    let index = indexes.get(name);
    if (!index) {
      const type = text(row.indexType).toUpperCase();
      const kind =
        type === 'FULLTEXT' || type === 'SPATIAL'
          ? type
          : Number(row.nonUnique) === 0
            ? 'UNIQUE'
            : '';
      index = {name, kind, columns: []};
      indexes.set(name, index);
    }
    const subPart =
      row.subPart === null || row.subPart === undefined ? undefined : Number(row.subPart);
    index.columns.push({column: text(row.columnName), desc: text(row.direction) === 'D', subPart});
  }
  const fks = new Map<string, LiveForeignKey & {columns: string[]; refColumns: string[]}>();
  for (const row of snapshot.foreignKeys ?? []) {
    const name = text(row.name);
    let fk = fks.get(name);
    if (!fk) {
      fk = {
        name,
        tableSchema: text(row.tableSchema),
        columns: [],
        refSchema: text(row.refSchema),
        refTable: text(row.refTable),
        refColumns: [],
        onDelete: text(row.onDelete).toUpperCase(),
        onUpdate: text(row.onUpdate).toUpperCase(),
      };
      fks.set(name, fk);
    }
    fk.columns.push(text(row.columnName));
    fk.refColumns.push(text(row.refColumn));
  }
  return {columns, indexes: [...indexes.values()], foreignKeys: [...fks.values()]};
}
