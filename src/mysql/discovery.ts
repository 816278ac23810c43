/*
 * Discovery: what juggler's `discoverModelDefinitions`, `discoverSchemas` and `discoverAndBuildModels` read from the
 * database. The options of a discover* call become catalogue queries (information-schema.ts: every value a `?`
 * parameter), pure mappers turn the rows into LoopBack's shapes (column types: property-type.ts), and small async
 * functions, which the connector delegates to, run them.
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
import {readPage} from '../sql-connector/pagination';
import type {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import * as catalog from './information-schema';
import {catalogText as text, jsonCheckColumn} from './information-schema';
import {
  DEFAULT_TREAT_OPTIONS,
  isEnumType,
  propertyType,
  resolveTreatOptions,
  type TreatOptions,
  type ValueTypeRegistry,
} from './property-type';
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

/** What each discover* call of the connector calls back with, by kind. */
export interface Discovered {
  schemas: DiscoveredSchema[];
  models: DiscoveredModelDefinition[];
  properties: DiscoveredProperty[];
  primaryKeys: DiscoveredPrimaryKey[];
  foreignKeys: DiscoveredForeignKey[];
  uniqueKeys: DiscoveredUniqueKey[];
}

type Row = Record<string, unknown>;

// -------------------------------------------------------------------------------------------------------------------
// Options, and the catalogue queries of information-schema.ts for them
// -------------------------------------------------------------------------------------------------------------------

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The owner the options name (`owner`, else `schema`), or undefined for the connected database. */
export function ownerOf(options: DiscoveryOptions | undefined): string | undefined {
  return nonEmpty(options?.owner) ?? nonEmpty(options?.schema);
}

function requireTable(table: unknown): string {
  if (typeof table !== 'string' || table === '') {
    throw new InvalidFilterError('Discovery needs a table name (a non-empty string)');
  }
  return table;
}

/** The statement as the runner takes it: its text and values. */
function toQuery({sql, params}: ParameterizedSQL): DiscoveryQuery {
  return {sql, params};
}

/** The databases, by name; a page with `limit` / `offset` (alias `skip`). */
export function buildSchemasQuery(options?: DiscoveryOptions): DiscoveryQuery {
  return toQuery(catalog.buildSchemataQuery(readPage(options ?? {})));
}

/**
 * The tables (and with `views: true` the views) of the owner, of the connected database without one, or of every
 * database with `all: true`; ordered by owner and name, a page with `limit` / `offset` (alias `skip`).
 */
export function buildModelDefinitionsQuery(options?: DiscoveryOptions): DiscoveryQuery {
  const scope = {allSchemas: !!options?.all, views: !!options?.views};
  return toQuery(catalog.buildTablesQuery(ownerOf(options), scope, readPage(options ?? {})));
}

/** The columns of a table or view, in their order. */
export function buildColumnsQuery(table: string, owner: string | undefined): DiscoveryQuery {
  return toQuery(catalog.buildTableColumnsQuery({schema: owner, table}));
}

/** MariaDB only: the checks of a table, to find its JSON columns (see {@link jsonColumnsFromChecks}). */
export function buildChecksQuery(table: string, owner: string | undefined): DiscoveryQuery {
  return toQuery(catalog.buildCheckConstraintsQuery({schema: owner, table}));
}

/** The primary key columns of a table, in key order. */
export function buildPrimaryKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  return toQuery(catalog.buildPrimaryKeyQuery({schema: owner, table}));
}

/** The foreign keys of a table (the keys it imports), by name and position. */
export function buildForeignKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  return toQuery(catalog.buildImportedKeysQuery({schema: owner, table}));
}

/** The foreign keys of other tables that reference this one (the keys it exports), by table, name and position. */
export function buildExportedForeignKeysQuery(
  table: string,
  owner: string | undefined,
): DiscoveryQuery {
  return toQuery(catalog.buildExportedKeysQuery({schema: owner, table}));
}

/** The columns of the unique indexes of a table other than the primary key, by index and position. */
export function buildUniqueKeysQuery(table: string, owner: string | undefined): DiscoveryQuery {
  return toQuery(catalog.buildUniqueIndexColumnsQuery({schema: owner, table}));
}

// -------------------------------------------------------------------------------------------------------------------
// Row mappers
// -------------------------------------------------------------------------------------------------------------------

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

/** Whether EXTRA / GENERATION_EXPRESSION say the server fills the column in. */
export function isGenerated(extra: unknown, generationExpression?: unknown): boolean {
  const e = text(extra);
  // MySQL 8: 'auto_increment', 'VIRTUAL GENERATED', 'STORED GENERATED', and 'DEFAULT_GENERATED' for a
  // DEFAULT expression (not generated). MariaDB: the same, or 'VIRTUAL' / 'PERSISTENT' before 10.2.
  if (/\bauto_increment\b/i.test(e) || /\b(virtual|stored|persistent)\b/i.test(e)) return true;
  return text(generationExpression).trim() !== '';
}

/**
 * The JSON columns of a MariaDB table, from its checks: the columns a check `json_valid(`col`)` holds to JSON,
 * whatever its name (see {@link jsonCheckColumn}).
 */
export function jsonColumnsFromChecks(rows: readonly Row[]): Set<string> {
  const columns = new Set<string>();
  for (const row of rows) {
    const column = jsonCheckColumn(row.clause);
    if (column !== undefined) columns.add(column);
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
