/*
 * Discovery: what juggler's `discoverModelDefinitions`, `discoverSchemas` and `discoverAndBuildModels` read from the
 * database. Pure statement builders (every value a `?` parameter; table and owner names are never part of the SQL
 * text) and pure row mappers, plus the small async functions the connector delegates to.
 *
 * Differences from the official loopback-connector-mysql, on purpose:
 * - with no `owner`/`schema`, the current database (`DATABASE()`) is listed, not the schema named like the user;
 * - every list has a stable ORDER BY, so `limit`/`offset` pages neither overlap nor skip rows, and tables and views
 *   are listed by one statement, so a page counts both;
 * - tables are tables: views are listed (as `type: 'view'`) only with `views: true`;
 * - MariaDB's JSON columns (LONGTEXT with a `json_valid` check) are discovered as JSON, like MySQL's;
 * - `generated` is a boolean; `DEFAULT_GENERATED` (a `DEFAULT CURRENT_TIMESTAMP` in MySQL 8) is not generated;
 * - `discoverUniqueKeys` reports the columns that are unique on their own (juggler turns each one into
 *   `index: {unique: true}`): a column of a composite or prefix unique index is not;
 * - ENUM columns have the type `enum('a','b')`, as in the official connector, because that is what `lb4 discover` turns
 *   into a string property with a JSON-schema `enum`; unlike the official connector, the name is also registered with
 *   juggler as an alias of String (see {@link ValueTypeRegistry}), so `discoverAndBuildModels` builds working models
 *   instead of failing on an unknown type. SET columns are `String` (lb4 discover has no form for them),
 *   BLOB/BINARY/BIT columns `Buffer` (juggler's alias `Binary`), other geometries `Object`.
 */
import type {Callback} from '../sql-connector/callbacks';
import {InvalidFilterError} from '../sql-connector/errors';
import type {ServerInfo} from './server';

/** A statement: SQL text with `?` placeholders and their values. */
export interface DiscoveryQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The options of the discover* calls (juggler passes its own keys too: `relations`, `visited`, `nameMapper`...). */
export interface DiscoveryOptions {
  /** The database (MySQL's "schema") to look in. Default: the connected database. Alias: `schema`. */
  owner?: string;
  schema?: string;
  /** `discoverModelDefinitions` without an owner: every database instead of the connected one. */
  all?: boolean;
  /** `discoverModelDefinitions`: list views too. */
  views?: boolean;
  /** Page of `discoverModelDefinitions` / `discoverDatabaseSchemas`. `skip` is an alias of `offset`. */
  limit?: number;
  offset?: number;
  skip?: number;
  /** Reverse type map (also read from the data source settings); `'true'`/`'false'` strings are accepted. */
  treatTINYINT1AsTinyInt?: boolean | string;
  treatCHAR1AsString?: boolean | string;
  treatBIT1AsBit?: boolean | string;
  [key: string]: unknown;
}

/** How the reverse type map treats the one-bit-ish column types, as the official connector's options say. */
export interface TreatOptions {
  /** `true` (default): TINYINT(1) is a Number; `false`: a Boolean. */
  readonly treatTINYINT1AsTinyInt: boolean;
  /** `false` (default): CHAR(1) is a Boolean ('Y'/'N', 'T'/'F', '1'/'0'); `true`: a String. */
  readonly treatCHAR1AsString: boolean;
  /** `true` (default): BIT(1) is a Buffer, as every BIT(n); `false`: a Boolean. */
  readonly treatBIT1AsBit: boolean;
}

export const DEFAULT_TREAT_OPTIONS: TreatOptions = {
  treatTINYINT1AsTinyInt: true,
  treatCHAR1AsString: false,
  treatBIT1AsBit: true,
};

/** `discoverDatabaseSchemas`. */
export interface DiscoveredSchema {
  catalog: string;
  schema: string;
}

/** `discoverModelDefinitions`. */
export interface DiscoveredModelDefinition {
  type: 'table' | 'view';
  name: string;
  owner: string;
}

/** `discoverModelProperties`: one column. */
export interface DiscoveredProperty {
  owner: string;
  tableName: string;
  columnName: string;
  /** The SQL type without its arguments, lower case: `int`, `varchar`, `decimal`, `json`... */
  dataType: string;
  /** Characters (or bytes) of string and binary types; null otherwise. */
  dataLength: number | null;
  /** Digits of numeric types (BIGINT: 19, or 20 unsigned; DECIMAL(30,10): 30); null otherwise. */
  dataPrecision: number | null;
  /** Digits after the point of numeric types; null otherwise. */
  dataScale: number | null;
  /** The full column type: `int(10) unsigned`, `decimal(30,10)`, `enum('a','b')`. */
  columnType: string;
  nullable: 'Y' | 'N';
  /** The server fills the column in: AUTO_INCREMENT, or a VIRTUAL / STORED (PERSISTENT) generated column. */
  generated: boolean;
  /**
   * The LoopBack type: `String`, `Number`, `Boolean`, `Date`, `Buffer`, `Object`, `GeoPoint`, or for an ENUM column
   * its column type, `enum('a','b')` (see {@link propertyType}).
   */
  type: string;
}

/** `discoverPrimaryKeys`: one column of the primary key. */
export interface DiscoveredPrimaryKey {
  owner: string;
  tableName: string;
  columnName: string;
  /** 1-based position in the key. */
  keySeq: number;
  pkName: string;
}

/** `discoverForeignKeys` / `discoverExportedForeignKeys`: one column of a foreign key. */
export interface DiscoveredForeignKey {
  fkOwner: string;
  fkName: string;
  fkTableName: string;
  fkColumnName: string;
  /** 1-based position in the foreign key. */
  keySeq: number;
  pkOwner: string;
  /** The referenced key: `PRIMARY` or a unique index name. */
  pkName: string | null;
  pkTableName: string;
  pkColumnName: string;
}

/** `discoverUniqueKeys`: a column that a unique index (other than the primary key) covers on its own. */
export interface DiscoveredUniqueKey {
  columnName: string;
  owner: string;
  tableName: string;
  indexName: string;
}

type Row = Record<string, unknown>;

// -------------------------------------------------------------------------------------------------------------------
// Options
// -------------------------------------------------------------------------------------------------------------------

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The owner the options name (`owner`, else `schema`), or undefined for the connected database. */
export function ownerOf(options: DiscoveryOptions | undefined): string | undefined {
  return nonEmpty(options?.owner) ?? nonEmpty(options?.schema);
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 1 || value === '1') return true;
  if (value === 'false' || value === 0 || value === '0') return false;
  return undefined;
}

/** The treat* options: the call's options win over the data source settings, which win over the defaults. */
export function resolveTreatOptions(
  options: Readonly<Record<string, unknown>> | undefined,
  settings: Readonly<Record<string, unknown>> | undefined,
): TreatOptions {
  const pick = (key: keyof TreatOptions): boolean =>
    flag(options?.[key]) ?? flag(settings?.[key]) ?? DEFAULT_TREAT_OPTIONS[key];
  return {
    treatTINYINT1AsTinyInt: pick('treatTINYINT1AsTinyInt'),
    treatCHAR1AsString: pick('treatCHAR1AsString'),
    treatBIT1AsBit: pick('treatBIT1AsBit'),
  };
}

function count(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidFilterError(`Invalid ${name}: expected a non-negative integer`);
  }
  return n;
}

/** `LIMIT ? OFFSET ?` for `limit` / `offset` (alias `skip`); empty without either. */
function pagination(options: DiscoveryOptions | undefined): DiscoveryQuery {
  const limit = count('limit', options?.limit);
  const offset = count('offset', options?.offset ?? options?.skip);
  if (limit === undefined && offset === undefined) return {sql: '', params: []};
  // MySQL has no LIMIT ALL: the manual's idiom for "to the end" is the largest BIGINT UNSIGNED.
  const limitSql = limit === undefined ? ' LIMIT 18446744073709551615' : ' LIMIT ?';
  const limitParams = limit === undefined ? [] : [limit];
  return offset === undefined
    ? {sql: limitSql, params: limitParams}
    : {sql: `${limitSql} OFFSET ?`, params: [...limitParams, offset]};
}

/** `= ?` for a named owner, `= DATABASE()` for the connected database. */
function ownerMatch(column: string, owner: string | undefined): DiscoveryQuery {
  return owner === undefined
    ? {sql: `${column} = DATABASE()`, params: []}
    : {sql: `${column} = ?`, params: [owner]};
}

function requireTable(table: unknown): string {
  if (typeof table !== 'string' || table === '') {
    throw new InvalidFilterError('Discovery needs a table name (a non-empty string)');
  }
  return table;
}

// -------------------------------------------------------------------------------------------------------------------
// Statement builders
// -------------------------------------------------------------------------------------------------------------------

/** The databases, by name. */
export function buildSchemasQuery(options?: DiscoveryOptions): DiscoveryQuery {
  const page = pagination(options);
  return {
    sql:
      'SELECT CATALOG_NAME AS `catalog`, SCHEMA_NAME AS `schema` FROM information_schema.SCHEMATA' +
      ' ORDER BY SCHEMA_NAME' +
      page.sql,
    params: page.params,
  };
}

/**
 * The tables (and with `views: true` the views) of the owner, of the connected database without one, or of every
 * database with `all: true`; ordered by owner and name.
 */
export function buildModelDefinitionsQuery(options?: DiscoveryOptions): DiscoveryQuery {
  const owner = ownerOf(options);
  const kinds = options?.views
    ? "('BASE TABLE','SYSTEM VERSIONED','VIEW')"
    : "('BASE TABLE','SYSTEM VERSIONED')";
  const where = [`TABLE_TYPE IN ${kinds}`];
  const params: unknown[] = [];
  if (owner !== undefined || !options?.all) {
    const match = ownerMatch('TABLE_SCHEMA', owner);
    where.push(match.sql);
    params.push(...match.params);
  }
  const page = pagination(options);
  return {
    sql:
      "SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table') AS `type`, TABLE_NAME AS `name`," +
      ' TABLE_SCHEMA AS `owner` FROM information_schema.TABLES' +
      ` WHERE ${where.join(' AND ')}` +
      ' ORDER BY TABLE_SCHEMA, TABLE_NAME' +
      page.sql,
    params: [...params, ...page.params],
  };
}

/** The columns of a table or view, in their order. */
export function buildColumnsQuery(table: string, owner: string | undefined): DiscoveryQuery {
  const match = ownerMatch('TABLE_SCHEMA', owner);
  return {
    sql:
      'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
      ' DATA_TYPE AS `dataType`, CHARACTER_MAXIMUM_LENGTH AS `dataLength`,' +
      ' NUMERIC_PRECISION AS `dataPrecision`, NUMERIC_SCALE AS `dataScale`, COLUMN_TYPE AS `columnType`,' +
      ' IS_NULLABLE AS `nullable`, EXTRA AS `extra`, GENERATION_EXPRESSION AS `generationExpression`' +
      ` FROM information_schema.COLUMNS WHERE ${match.sql} AND TABLE_NAME = ?` +
      ' ORDER BY ORDINAL_POSITION',
    params: [...match.params, table],
  };
}

/**
 * MariaDB only (its CHECK_CONSTRAINTS has TABLE_NAME; MySQL's does not): the checks of a table, to find the JSON
 * columns, which MariaDB stores as LONGTEXT with a `json_valid(col)` check.
 */
export function buildChecksQuery(table: string, owner: string | undefined): DiscoveryQuery {
  const match = ownerMatch('CONSTRAINT_SCHEMA', owner);
  return {
    sql:
      'SELECT CONSTRAINT_NAME AS `name`, CHECK_CLAUSE AS `clause` FROM information_schema.CHECK_CONSTRAINTS' +
      ` WHERE ${match.sql} AND TABLE_NAME = ?` +
      ' ORDER BY CONSTRAINT_NAME',
    params: [...match.params, table],
  };
}

/** The primary key columns of a table, in key order. */
export function buildPrimaryKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  const match = ownerMatch('TABLE_SCHEMA', owner);
  return {
    sql:
      'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
      ' ORDINAL_POSITION AS `keySeq`, CONSTRAINT_NAME AS `pkName`' +
      " FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_NAME = 'PRIMARY'" +
      ` AND ${match.sql} AND TABLE_NAME = ?` +
      ' ORDER BY ORDINAL_POSITION',
    params: [...match.params, table],
  };
}

const FOREIGN_KEY_COLUMNS =
  'SELECT k.TABLE_SCHEMA AS `fkOwner`, k.CONSTRAINT_NAME AS `fkName`, k.TABLE_NAME AS `fkTableName`,' +
  ' k.COLUMN_NAME AS `fkColumnName`, k.ORDINAL_POSITION AS `keySeq`,' +
  ' k.REFERENCED_TABLE_SCHEMA AS `pkOwner`, r.UNIQUE_CONSTRAINT_NAME AS `pkName`,' +
  ' k.REFERENCED_TABLE_NAME AS `pkTableName`, k.REFERENCED_COLUMN_NAME AS `pkColumnName`' +
  ' FROM information_schema.KEY_COLUMN_USAGE k' +
  ' LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r' +
  ' ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME' +
  ' AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME' +
  ' WHERE k.REFERENCED_TABLE_NAME IS NOT NULL';

/** The foreign keys of a table (the keys it imports), by name and position. */
export function buildForeignKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  const match = ownerMatch('k.TABLE_SCHEMA', owner);
  return {
    sql:
      FOREIGN_KEY_COLUMNS +
      ` AND ${match.sql} AND k.TABLE_NAME = ?` +
      ' ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    params: [...match.params, table],
  };
}

/** The foreign keys of other tables that reference this one (the keys it exports), by table, name and position. */
export function buildExportedForeignKeysQuery(
  table: string,
  owner: string | undefined,
): DiscoveryQuery {
  const match = ownerMatch('k.REFERENCED_TABLE_SCHEMA', owner);
  return {
    sql:
      FOREIGN_KEY_COLUMNS +
      ` AND ${match.sql} AND k.REFERENCED_TABLE_NAME = ?` +
      ' ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    params: [...match.params, table],
  };
}

/** The columns of the unique indexes of a table other than the primary key, by index and position. */
export function buildUniqueKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  const match = ownerMatch('TABLE_SCHEMA', owner);
  return {
    sql:
      'SELECT COLUMN_NAME AS `columnName`, TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`,' +
      ' INDEX_NAME AS `indexName`, SEQ_IN_INDEX AS `seqInIndex`, SUB_PART AS `subPart`' +
      " FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'" +
      ` AND ${match.sql} AND TABLE_NAME = ?` +
      ' ORDER BY INDEX_NAME, SEQ_IN_INDEX',
    params: [...match.params, table],
  };
}

// -------------------------------------------------------------------------------------------------------------------
// Row mappers
// -------------------------------------------------------------------------------------------------------------------

/** Text of an information_schema value (MySQL 8 returns some as binary strings). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return '';
}

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function mapSchemaRow(row: Row): DiscoveredSchema {
  return {catalog: text(row.catalog), schema: text(row.schema)};
}

export function mapModelDefinitionRow(row: Row): DiscoveredModelDefinition {
  return {
    type: text(row.type) === 'view' ? 'view' : 'table',
    name: text(row.name),
    owner: text(row.owner),
  };
}

const NUMBER_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'float',
  'double',
  'real',
  'decimal',
  'numeric',
  'dec',
  'fixed',
  'year',
]);
const STRING_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'set',
  'time',
]);
const BUFFER_TYPES = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'bit',
]);
const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);
const GEOMETRY_TYPES = new Set([
  'geometry',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

/**
 * The LoopBack type of a column (the reverse of the type map of type-mapping.ts).
 *
 * | column                          | type                                                   |
 * |---------------------------------|--------------------------------------------------------|
 * | CHAR(1)                         | Boolean; String with `treatCHAR1AsString`              |
 * | TINYINT(1)                      | Number; Boolean with `treatTINYINT1AsTinyInt: false`   |
 * | BIT(1)                          | Buffer; Boolean with `treatBIT1AsBit: false`           |
 * | other integers, FLOAT, DOUBLE, DECIMAL, YEAR | Number (BIGINT and wide DECIMAL keep their precision and scale in dataPrecision / dataScale) |
 * | ENUM('a','b')                   | `enum('a','b')`: the column type, keyword in lower case |
 * | CHAR, VARCHAR, TEXT, SET, TIME  | String                                                 |
 * | DATE, DATETIME, TIMESTAMP       | Date                                                   |
 * | BINARY, VARBINARY, BLOB, BIT(n) | Buffer                                                 |
 * | JSON (MariaDB: LONGTEXT with json_valid) | Object                                        |
 * | POINT                           | GeoPoint                                               |
 * | other geometries                | Object                                                 |
 * | anything else                   | String                                                 |
 *
 * The ENUM type is what `lb4 discover` (@loopback/cli) looks for: a type starting with `enum` becomes
 * `type: 'string'` with `jsonSchema: {enum: ['a', 'b']}`, which LoopBack's request validation enforces. Juggler knows
 * the name once {@link discoverModelProperties} has registered it (see {@link ValueTypeRegistry}).
 */
export function propertyType(
  dataType: string,
  columnType: string,
  treat: TreatOptions = DEFAULT_TREAT_OPTIONS,
): string {
  const type = dataType.toLowerCase();
  const full = columnType.toLowerCase().trim();
  if (type === 'char' && full === 'char(1)' && !treat.treatCHAR1AsString) return 'Boolean';
  if (type === 'tinyint' && /^tinyint\(1\)/.test(full) && !treat.treatTINYINT1AsTinyInt)
    return 'Boolean';
  if (type === 'bit' && full === 'bit(1)' && !treat.treatBIT1AsBit) return 'Boolean';
  if (type === 'bool' || type === 'boolean') return 'Boolean';
  if (type === 'enum') return enumType(columnType);
  if (NUMBER_TYPES.has(type)) return 'Number';
  if (STRING_TYPES.has(type)) return 'String';
  if (BUFFER_TYPES.has(type)) return 'Buffer';
  if (DATE_TYPES.has(type)) return 'Date';
  if (type === 'json') return 'Object';
  if (type === 'point') return 'GeoPoint';
  if (GEOMETRY_TYPES.has(type)) return 'Object';
  return 'String';
}

/**
 * The discovered type of an ENUM column: its column type with the keyword in lower case and the member list as the
 * server wrote it, `enum('active','suspended')`. The lower-case `enum` prefix is what lb4 discover tests for.
 */
function enumType(columnType: string): string {
  const full = columnType.trim();
  return /^enum\(/i.test(full) ? 'enum' + full.slice(4) : 'String';
}

/** Whether a discovered type is the type of an ENUM column (see {@link propertyType}). */
export function isEnumType(type: string): boolean {
  return type.startsWith('enum(');
}

/** Whether EXTRA / GENERATION_EXPRESSION say the server fills the column in. */
export function isGenerated(extra: unknown, generationExpression?: unknown): boolean {
  const e = text(extra);
  // MySQL 8: 'auto_increment', 'VIRTUAL GENERATED', 'STORED GENERATED', and 'DEFAULT_GENERATED' for a
  // DEFAULT expression (not generated). MariaDB: the same, or 'VIRTUAL' / 'PERSISTENT' before 10.2.
  if (/\bauto_increment\b/i.test(e) || /\b(virtual|stored|persistent)\b/i.test(e)) return true;
  return text(generationExpression).trim() !== '';
}

/** The JSON columns of a MariaDB table, from its checks: a column check `json_valid(`col`)` named after the column. */
export function jsonColumnsFromChecks(rows: readonly Row[]): Set<string> {
  const columns = new Set<string>();
  for (const row of rows) {
    const name = text(row.name);
    const clause = text(row.clause).replace(/\s+/g, '');
    const quoted = '`' + name.replace(/`/g, '``') + '`';
    if (clause.toLowerCase() === `json_valid(${quoted.toLowerCase()})`) columns.add(name);
  }
  return columns;
}

/** One column of `discoverModelProperties`; `jsonColumns` are the MariaDB LONGTEXT columns that hold JSON. */
export function mapColumnRow(
  row: Row,
  treat: TreatOptions = DEFAULT_TREAT_OPTIONS,
  jsonColumns: ReadonlySet<string> = new Set(),
): DiscoveredProperty {
  const columnName = text(row.columnName);
  const json = jsonColumns.has(columnName);
  const dataType = json ? 'json' : text(row.dataType).toLowerCase();
  const columnType = text(row.columnType);
  const nullable = text(row.nullable).toUpperCase();
  return {
    owner: text(row.owner),
    tableName: text(row.tableName),
    columnName,
    dataType,
    dataLength: numberOrNull(row.dataLength),
    dataPrecision: numberOrNull(row.dataPrecision),
    dataScale: numberOrNull(row.dataScale),
    columnType,
    nullable: nullable === 'YES' || nullable === 'Y' || nullable === '1' ? 'Y' : 'N',
    generated: isGenerated(row.extra, row.generationExpression),
    type: propertyType(dataType, columnType, treat),
  };
}

export function mapPrimaryKeyRow(row: Row): DiscoveredPrimaryKey {
  return {
    owner: text(row.owner),
    tableName: text(row.tableName),
    columnName: text(row.columnName),
    keySeq: Number(row.keySeq),
    pkName: text(row.pkName),
  };
}

export function mapForeignKeyRow(row: Row): DiscoveredForeignKey {
  return {
    fkOwner: text(row.fkOwner),
    fkName: text(row.fkName),
    fkTableName: text(row.fkTableName),
    fkColumnName: text(row.fkColumnName),
    keySeq: Number(row.keySeq),
    pkOwner: text(row.pkOwner),
    pkName: row.pkName === null || row.pkName === undefined ? null : text(row.pkName),
    pkTableName: text(row.pkTableName),
    pkColumnName: text(row.pkColumnName),
  };
}

/**
 * The columns that are unique on their own: those of single-column unique indexes over the whole column. A column
 * of a composite unique index, or a unique prefix of a column, is not unique by itself. Each column once.
 */
export function mapUniqueKeyRows(rows: readonly Row[]): DiscoveredUniqueKey[] {
  const byIndex = new Map<string, Row[]>();
  for (const row of rows) {
    const index = text(row.indexName);
    const list = byIndex.get(index);
    if (list) list.push(row);
    else byIndex.set(index, [row]);
  }
  const keys: DiscoveredUniqueKey[] = [];
  const seen = new Set<string>();
  for (const [indexName, columns] of byIndex) {
    const row = columns[0] as Row;
    if (columns.length !== 1) continue;
    if (row.columnName === null || row.columnName === undefined) continue; // MySQL 8 functional index
    if (row.subPart !== null && row.subPart !== undefined) continue;
    const columnName = text(row.columnName);
    if (seen.has(columnName)) continue;
    seen.add(columnName);
    keys.push({columnName, owner: text(row.owner), tableName: text(row.tableName), indexName});
  }
  return keys;
}

// -------------------------------------------------------------------------------------------------------------------
// Running discovery
// -------------------------------------------------------------------------------------------------------------------

/**
 * Juggler's registry of value types, as its ModelBuilder offers it (`defineValueType(type, aliases)`): a type name
 * registered there resolves to that type in every model juggler builds. ENUM columns are discovered with the type
 * `enum('a','b')`; registering each such name as an alias of String is what lets juggler's `discoverAndBuildModels`
 * (and `buildModels` of discovered schemas) build a string property, where an unknown type name would become a
 * placeholder model that fails on the first value.
 */
export interface ValueTypeRegistry {
  defineValueType(type: unknown, aliases: string[]): void;
}

/** The value type registry of a juggler data source (its `modelBuilder`), or undefined when it has none. */
export function valueTypeRegistry(dataSource: unknown): ValueTypeRegistry | undefined {
  if (typeof dataSource !== 'object' || dataSource === null) return undefined;
  const builder = (dataSource as {modelBuilder?: unknown}).modelBuilder;
  if (typeof builder !== 'object' || builder === null) return undefined;
  return typeof (builder as Partial<ValueTypeRegistry>).defineValueType === 'function'
    ? (builder as ValueTypeRegistry)
    : undefined;
}

/** What discovery needs from the connector. */
export interface DiscoveryRunner {
  /** Runs a statement (through the connector's `execute` observers) and returns its rows. */
  query(query: DiscoveryQuery): Promise<Row[]>;
  /** The server, as reported at connect time (known once a statement has run). */
  server(): ServerInfo;
  /** The data source settings, for the treat* options. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where the ENUM type names are registered as String; none without a juggler data source. */
  readonly valueTypes?: ValueTypeRegistry | undefined;
}

/**
 * The options and callback of a discover* call: a direct caller may leave out the options and pass the callback in
 * their place.
 */
export function discoveryArgs<T>(
  options: DiscoveryOptions | Callback<T> | undefined | null,
  cb: Callback<T> | undefined,
): [DiscoveryOptions, Callback<T> | undefined] {
  if (typeof options === 'function') return [{}, options];
  return [options ?? {}, cb];
}

export async function discoverDatabaseSchemas(
  runner: DiscoveryRunner,
  options: DiscoveryOptions,
): Promise<DiscoveredSchema[]> {
  return (await runner.query(buildSchemasQuery(options))).map(mapSchemaRow);
}

export async function discoverModelDefinitions(
  runner: DiscoveryRunner,
  options: DiscoveryOptions,
): Promise<DiscoveredModelDefinition[]> {
  return (await runner.query(buildModelDefinitionsQuery(options))).map(mapModelDefinitionRow);
}

const TEXT_TYPES = new Set(['longtext', 'mediumtext', 'text', 'tinytext']);

export async function discoverModelProperties(
  runner: DiscoveryRunner,
  table: string,
  options: DiscoveryOptions,
): Promise<DiscoveredProperty[]> {
  const owner = ownerOf(options);
  const rows = await runner.query(buildColumnsQuery(requireTable(table), owner));
  let json = new Set<string>();
  if (
    runner.server().flavor === 'mariadb' &&
    rows.some((r) => TEXT_TYPES.has(text(r.dataType).toLowerCase()))
  ) {
    json = jsonColumnsFromChecks(await runner.query(buildChecksQuery(table, owner)));
  }
  const treat = resolveTreatOptions(options, runner.settings);
  const properties = rows.map((row) => mapColumnRow(row, treat, json));
  const enums = [...new Set(properties.map((p) => p.type).filter(isEnumType))];
  if (enums.length > 0) runner.valueTypes?.defineValueType(String, enums);
  return properties;
}

export async function discoverPrimaryKeys(
  runner: DiscoveryRunner,
  table: string,
  options: DiscoveryOptions,
): Promise<DiscoveredPrimaryKey[]> {
  const rows = await runner.query(buildPrimaryKeysQuery(requireTable(table), ownerOf(options)));
  return rows.map(mapPrimaryKeyRow);
}

export async function discoverForeignKeys(
  runner: DiscoveryRunner,
  table: string,
  options: DiscoveryOptions,
): Promise<DiscoveredForeignKey[]> {
  const rows = await runner.query(buildForeignKeysQuery(requireTable(table), ownerOf(options)));
  return rows.map(mapForeignKeyRow);
}

export async function discoverExportedForeignKeys(
  runner: DiscoveryRunner,
  table: string,
  options: DiscoveryOptions,
): Promise<DiscoveredForeignKey[]> {
  const rows = await runner.query(
    buildExportedForeignKeysQuery(requireTable(table), ownerOf(options)),
  );
  return rows.map(mapForeignKeyRow);
}

export async function discoverUniqueKeys(
  runner: DiscoveryRunner,
  table: string,
  options: DiscoveryOptions,
): Promise<DiscoveredUniqueKey[]> {
  const rows = await runner.query(buildUniqueKeysQuery(requireTable(table), ownerOf(options)));
  return mapUniqueKeyRows(rows);
}
