/*
 * Schema migration: pure builders of the DDL that `automigrate` and `autoupdate` run, and the comparison of a live
 * table (read from information_schema) with its model. Nothing here touches a connection: the connector reads the
 * snapshot, calls these functions and runs the statements they return.
 *
 * Statement order, for both operations: drop foreign keys, (drop and) create tables, alter tables, add foreign keys.
 * Foreign keys come last so that a model may reference a table created after it, or one that references it back.
 */
import createDebug from 'debug';
import {escape} from 'mysql2';
import {InvalidModelError} from '../sql-connector/errors';
import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import {schemaReporting, type ServerInfo} from './server';
import {columnDataType} from './type-mapping';

const debug = createDebug('loopback:connector:mysql:migration');

/** Table options for CREATE TABLE. */
export interface TableOptions {
  readonly charset: string;
  readonly collation: string | undefined;
}

const INDEX_KINDS = new Set(['UNIQUE', 'FULLTEXT', 'SPATIAL']);
const INDEX_TYPES = new Set(['BTREE', 'HASH']);
const ENGINE = /^[A-Za-z][A-Za-z0-9_]*$/;
const CHARSET = /^[A-Za-z0-9_]+$/;
/** The referential actions MySQL accepts in `ON DELETE` / `ON UPDATE`. */
const FK_ACTIONS = new Set(['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT']);
/** `now`, `CURRENT_TIMESTAMP`, `current_timestamp()`, `now(3)`... as a default value. */
const NOW = /^(now|current_timestamp)(\(\s*\d?\s*\))?$/i;

function metaOf(mapping: ModelMapping): Record<string, unknown> {
  const meta = mapping.definition.settings.mysql;
  return meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
}

// ---------------------------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------------------------

function isNullable(column: ColumnMapping): boolean {
  if (column.definition.id) return false;
  const nullable = column.metadata.nullable;
  if (nullable === false || nullable === 'N' || nullable === 'NO' || nullable === 'n') return false;
  if (nullable === true || nullable === 'Y' || nullable === 'YES' || nullable === 'y') return true;
  return column.definition.required !== true;
}

function isAutoIncrement(mapping: ModelMapping, column: ColumnMapping): boolean {
  return (
    !!column.definition.id &&
    column.definition.generated === true &&
    mapping.ids.length === 1 &&
    /INT/.test(columnDataType(column))
  );
}

/** The DDL default of a column: only `mysql.default` / `mysql.defaultValue` (juggler applies `default` itself). */
function defaultValueOf(column: ColumnMapping): unknown {
  return column.metadata.default ?? column.metadata.defaultValue;
}

function nowExpression(type: string): string {
  const precision = /\((\d)\)/.exec(type)?.[1];
  return `CURRENT_TIMESTAMP${precision && precision !== '0' ? `(${precision})` : ''}`;
}

function defaultClause(column: ColumnMapping, type: string): string {
  const value = defaultValueOf(column);
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' && NOW.test(value.trim())) return ` DEFAULT ${nowExpression(type)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new InvalidModelError(`Invalid default for ${column.property}: ${value}`);
    return ` DEFAULT ${escape(value)}`;
  }
  throw new InvalidModelError(`Invalid default for ${column.property}: ${JSON.stringify(value)}`);
}

/** `mysql: {charset, collation}` of a text column. */
function columnCharset(
  column: ColumnMapping,
  type: string,
): {charset?: string; collation?: string} {
  if (!/CHAR|TEXT|ENUM|SET/.test(type)) return {};
  const pick = (value: unknown, what: string) => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !CHARSET.test(value))
      throw new InvalidModelError(`Invalid ${what} for property ${column.property}`);
    return value;
  };
  return {
    charset: pick(column.metadata.charset, 'charset'),
    collation: pick(column.metadata.collation, 'collation'),
  };
}

/** One column definition: `` `name` VARCHAR(512) NOT NULL DEFAULT 'x' ``. */
export function buildColumnDefinition(mapping: ModelMapping, column: ColumnMapping): string {
  const type = columnDataType(column);
  let sql = `${column.escaped} ${type}`;
  const {charset, collation} = columnCharset(column, type);
  if (charset) sql += ` CHARACTER SET ${charset}`;
  if (collation) sql += ` COLLATE ${collation}`;
  sql += isNullable(column) ? ' NULL' : ' NOT NULL';
  if (isAutoIncrement(mapping, column)) sql += ' AUTO_INCREMENT';
  else sql += defaultClause(column, type);
  return sql;
}

// ---------------------------------------------------------------------------------------------------------------
// Indexes
// ---------------------------------------------------------------------------------------------------------------

/** One column of an index, by column name (not escaped). */
export interface IndexColumn {
  readonly column: string;
  readonly desc: boolean;
}

/** An index the model declares. `kind` is '', UNIQUE, FULLTEXT or SPATIAL; `type` is '', BTREE or HASH. */
export interface IndexSpec {
  readonly name: string;
  readonly columns: readonly IndexColumn[];
  readonly kind: string;
  readonly type: string;
}

function isDesc(direction: unknown): boolean {
  return direction === -1 || (typeof direction === 'string' && direction.toUpperCase() === 'DESC');
}

function indexColumnsFromKeys(
  mapping: ModelMapping,
  keys: Record<string, unknown>,
  name: string,
): IndexColumn[] {
  return Object.entries(keys).map(([property, direction]) => {
    const column = mapping.byProperty.get(property);
    if (!column)
      throw new InvalidModelError(
        `Index ${name} of ${mapping.model} names unknown property "${property}"`,
      );
    return {column: column.column, desc: isDesc(direction)};
  });
}

function indexColumnsFromList(mapping: ModelMapping, list: string, name: string): IndexColumn[] {
  return list.split(',').map((item) => {
    const [name0 = '', dir] = item.trim().split(/\s+/);
    const column = mapping.byProperty.get(name0) ?? mapping.columns.find((c) => c.column === name0);
    if (!column)
      throw new InvalidModelError(
        `Index ${name} of ${mapping.model} names unknown column "${name0}"`,
      );
    return {column: column.column, desc: isDesc(dir)};
  });
}

function kindOf(value: unknown): string {
  const kind = typeof value === 'string' ? value.toUpperCase() : '';
  return INDEX_KINDS.has(kind) ? kind : '';
}

function typeOf(value: unknown): string {
  const type = typeof value === 'string' ? value.toUpperCase() : '';
  return INDEX_TYPES.has(type) ? type : '';
}

/** Keys of the short form `indexes: {name: {a: 1, b: -1}}` that are options, not properties. */
const INDEX_OPTION_KEYS = new Set(['kind', 'type', 'unique', 'options']);

/** The indexes of a model: property `index` settings and the model's `indexes`. */
export function modelIndexes(mapping: ModelMapping): IndexSpec[] {
  const indexes: IndexSpec[] = [];
  for (const column of mapping.columns) {
    const index = column.definition.index;
    if (!index || column.definition.id) continue;
    const spec = typeof index === 'object' ? index : {};
    const kind = spec.unique ? 'UNIQUE' : kindOf(spec.kind);
    indexes.push({
      name: column.column,
      columns: [{column: column.column, desc: false}],
      kind,
      type: typeOf(spec.type),
    });
  }
  const declared = mapping.definition.settings.indexes;
  if (declared && typeof declared === 'object') {
    for (const [name, raw] of Object.entries(declared)) {
      if (!raw || typeof raw !== 'object') continue;
      const def = raw as Record<string, unknown>;
      const options = (def.options && typeof def.options === 'object' ? def.options : {}) as Record<
        string,
        unknown
      >;
      let columns: IndexColumn[];
      if (def.keys && typeof def.keys === 'object')
        columns = indexColumnsFromKeys(mapping, def.keys as Record<string, unknown>, name);
      else if (typeof def.columns === 'string')
        columns = indexColumnsFromList(mapping, def.columns, name);
      else {
        const keys = Object.fromEntries(
          Object.entries(def).filter(([k]) => !INDEX_OPTION_KEYS.has(k)),
        );
        columns = indexColumnsFromKeys(mapping, keys, name);
      }
      if (columns.length === 0)
        throw new InvalidModelError(`Index ${name} of ${mapping.model} has no columns`);
      const unique = options.unique === true || def.unique === true;
      const kind = unique ? 'UNIQUE' : kindOf(def.kind ?? options.kind);
      indexes.push({name, columns, kind, type: typeOf(def.type ?? options.type)});
    }
  }
  return indexes;
}

/** `UNIQUE INDEX \`name\` (\`a\`,\`b\` DESC) USING BTREE`, as in CREATE TABLE and after ALTER TABLE ... ADD. */
export function buildIndexDefinition(
  index: IndexSpec,
  escapeName: (name: string) => string,
): string {
  const kind = index.kind ? `${index.kind} ` : '';
  const columns = index.columns.map((c) => `${escapeName(c.column)}${c.desc ? ' DESC' : ''}`);
  const using =
    index.type && index.kind !== 'FULLTEXT' && index.kind !== 'SPATIAL'
      ? ` USING ${index.type}`
      : '';
  return `${kind}INDEX ${escapeName(index.name)} (${columns.join(',')})${using}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Foreign keys
// ---------------------------------------------------------------------------------------------------------------

/** A foreign key the model declares, with property names mapped to columns. */
export interface ForeignKeySpec {
  readonly name: string;
  readonly columns: readonly string[];
  /** The referenced table, and its schema when the referenced model names one. */
  readonly refTable: string;
  readonly refSchema: string | undefined;
  readonly refTableEscaped: string;
  readonly refColumns: readonly string[];
  /** Upper case, one of {@link FK_ACTIONS}; undefined when the model leaves it to the server. */
  readonly onDelete: string | undefined;
  readonly onUpdate: string | undefined;
}

/** Finds the mapping of a model on the same connector, or undefined for a plain table name. */
export type EntityResolver = (entity: string) => ModelMapping | undefined;

function keyList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
  if (typeof value === 'string')
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  return [];
}

function fkAction(value: unknown, what: string, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const action = typeof value === 'string' ? value.trim().toUpperCase().replace(/\s+/g, ' ') : '';
  if (!FK_ACTIONS.has(action))
    throw new InvalidModelError(`Foreign key ${name}: invalid ${what} ${JSON.stringify(value)}`);
  return action;
}

function entityName(entity: unknown): string | undefined {
  if (typeof entity === 'string' && entity !== '') return entity;
  if (entity && (typeof entity === 'function' || typeof entity === 'object')) {
    const named = entity as {modelName?: unknown; name?: unknown};
    if (typeof named.modelName === 'string') return named.modelName;
    if (typeof named.name === 'string' && named.name !== '') return named.name;
  }
  return undefined;
}

/**
 * The foreign keys of a model, from `foreignKeys: {key: {name, entity, entityKey, foreignKey, onDelete, onUpdate}}`.
 * `entity` is a model on the same connector (mapped to its table and columns) or else a table name.
 */
export function modelForeignKeys(mapping: ModelMapping, resolve: EntityResolver): ForeignKeySpec[] {
  const declared = mapping.definition.settings.foreignKeys;
  if (!declared || typeof declared !== 'object') return [];
  const result: ForeignKeySpec[] = [];
  for (const [key, raw] of Object.entries(declared)) {
    if (!raw || typeof raw !== 'object') continue;
    const def = raw as Record<string, unknown>;
    const name = typeof def.name === 'string' && def.name !== '' ? def.name : key;
    const entity = entityName(def.entity);
    if (!entity)
      throw new InvalidModelError(`Foreign key ${name} of ${mapping.model} has no entity`);
    const columns = keyList(def.foreignKey).map((p) => {
      const column = mapping.byProperty.get(p) ?? mapping.columns.find((c) => c.column === p);
      if (!column)
        throw new InvalidModelError(
          `Foreign key ${name} of ${mapping.model} names unknown property "${p}"`,
        );
      return column.column;
    });
    if (columns.length === 0)
      throw new InvalidModelError(`Foreign key ${name} of ${mapping.model} has no foreignKey`);
    const target = resolve(entity);
    const keys = keyList(def.entityKey);
    let refColumns: string[];
    if (target) {
      const refKeys = keys.length > 0 ? keys : target.ids.map((c) => c.property);
      refColumns = refKeys.map((p) => {
        const column = target.byProperty.get(p) ?? target.columns.find((c) => c.column === p);
        if (!column)
          throw new InvalidModelError(
            `Foreign key ${name} of ${mapping.model} names unknown property "${p}" of ${entity}`,
          );
        return column.column;
      });
    } else refColumns = keys.length > 0 ? keys : ['id'];
    if (refColumns.length !== columns.length)
      throw new InvalidModelError(
        `Foreign key ${name} of ${mapping.model}: foreignKey and entityKey differ in length`,
      );
    result.push({
      name,
      columns,
      refTable: target ? target.table : entity,
      refSchema: target ? target.schema : undefined,
      refTableEscaped: target ? target.tableEscaped : '',
      refColumns,
      onDelete: fkAction(def.onDelete, 'onDelete', name),
      onUpdate: fkAction(def.onUpdate, 'onUpdate', name),
    });
  }
  return result;
}

/** `CONSTRAINT \`fk\` FOREIGN KEY (\`a\`) REFERENCES \`t\` (\`id\`) ON DELETE CASCADE`. */
export function buildForeignKeyDefinition(
  fk: ForeignKeySpec,
  escapeName: (name: string) => string,
): string {
  const list = (names: readonly string[]) => names.map(escapeName).join(',');
  const table = fk.refTableEscaped || escapeName(fk.refTable);
  return (
    `CONSTRAINT ${escapeName(fk.name)} FOREIGN KEY (${list(fk.columns)}) REFERENCES ${table} (${list(fk.refColumns)})` +
    (fk.onDelete ? ` ON DELETE ${fk.onDelete}` : '') +
    (fk.onUpdate ? ` ON UPDATE ${fk.onUpdate}` : '')
  );
}

/** One ALTER TABLE adding the given foreign keys, or undefined when there are none. */
export function buildAddForeignKeys(
  mapping: ModelMapping,
  fks: readonly ForeignKeySpec[],
  escapeName: (name: string) => string,
): string | undefined {
  if (fks.length === 0) return undefined;
  return `ALTER TABLE ${mapping.tableEscaped} ${fks.map((fk) => `ADD ${buildForeignKeyDefinition(fk, escapeName)}`).join(', ')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------------------------

/** CREATE TABLE for a model: columns, primary key, indexes, engine and charset (foreign keys come later). Pure. */
export function buildCreateTable(
  mapping: ModelMapping,
  options: TableOptions,
  escapeName: (name: string) => string,
): string {
  const lines = mapping.columns.map((c) => buildColumnDefinition(mapping, c));
  if (mapping.ids.length > 0)
    lines.push(`PRIMARY KEY (${mapping.ids.map((c) => c.escaped).join(',')})`);
  for (const index of modelIndexes(mapping)) lines.push(buildIndexDefinition(index, escapeName));
  const meta = metaOf(mapping);
  const engine =
    typeof meta.engine === 'string' && ENGINE.test(meta.engine) ? meta.engine : 'InnoDB';
  const charset =
    typeof meta.charset === 'string' && CHARSET.test(meta.charset) ? meta.charset : options.charset;
  const collation =
    typeof meta.collation === 'string' && CHARSET.test(meta.collation)
      ? meta.collation
      : charset === options.charset
        ? options.collation
        : undefined;
  return (
    `CREATE TABLE ${mapping.tableEscaped} (\n  ${lines.join(',\n  ')}\n) ENGINE=${engine} ` +
    `DEFAULT CHARSET=${charset}${collation ? ` COLLATE=${collation}` : ''}`
  );
}

export function buildDropTable(mapping: ModelMapping): string {
  return `DROP TABLE IF EXISTS ${mapping.tableEscaped}`;
}

/** What the builders need besides the models. */
export interface MigrationContext {
  readonly escapeName: (name: string) => string;
  readonly tableOptions: TableOptions;
  readonly resolveEntity: EntityResolver;
  readonly dialect: MigrationDialect;
}

/** The statements of `automigrate`, in order: drops (with foreign key checks off), creates, foreign keys. */
export function buildAutomigrate(
  mappings: readonly ModelMapping[],
  ctx: Pick<MigrationContext, 'escapeName' | 'tableOptions' | 'resolveEntity'>,
): {drops: string[]; creates: string[]; foreignKeys: string[]} {
  const foreignKeys: string[] = [];
  for (const mapping of mappings) {
    const sql = buildAddForeignKeys(
      mapping,
      modelForeignKeys(mapping, ctx.resolveEntity),
      ctx.escapeName,
    );
    if (sql) foreignKeys.push(sql);
  }
  return {
    drops: mappings.map(buildDropTable),
    creates: mappings.map((m) => buildCreateTable(m, ctx.tableOptions, ctx.escapeName)),
    foreignKeys,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The live schema: information_schema queries, and their rows normalized
// ---------------------------------------------------------------------------------------------------------------

/** A parameterized information_schema query. */
export interface SchemaQuery {
  readonly sql: string;
  readonly params: unknown[];
}

function schemaQuery(mapping: ModelMapping, select: string, where = ''): SchemaQuery {
  return {
    sql: `${select} WHERE TABLE_SCHEMA = ${mapping.schema ? '?' : 'DATABASE()'} AND TABLE_NAME = ?${where}`,
    params: mapping.schema ? [mapping.schema, mapping.table] : [mapping.table],
  };
}

/** The queries reading one table: columns, indexes, foreign keys, and (MariaDB) the JSON_VALID checks. */
export function buildReadTable(mapping: ModelMapping): {
  columns: SchemaQuery;
  indexes: SchemaQuery;
  foreignKeys: SchemaQuery;
  checks: SchemaQuery;
} {
  const columns = schemaQuery(
    mapping,
    'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable, ' +
      'COLUMN_DEFAULT AS columnDefault, EXTRA AS extra, CHARACTER_SET_NAME AS charset, ' +
      'COLLATION_NAME AS collation FROM information_schema.COLUMNS',
    ' ORDER BY ORDINAL_POSITION',
  );
  const indexes = schemaQuery(
    mapping,
    'SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS columnName, ' +
      'COLLATION AS direction, INDEX_TYPE AS indexType, SUB_PART AS subPart ' +
      'FROM information_schema.STATISTICS',
    ' ORDER BY INDEX_NAME, SEQ_IN_INDEX',
  );
  const rc = mapping.schema ? '?' : 'DATABASE()';
  const foreignKeys = {
    sql:
      'SELECT k.CONSTRAINT_NAME AS name, k.TABLE_SCHEMA AS tableSchema, k.COLUMN_NAME AS columnName, ' +
      'k.REFERENCED_TABLE_SCHEMA AS refSchema, k.REFERENCED_TABLE_NAME AS refTable, ' +
      'k.REFERENCED_COLUMN_NAME AS refColumn, r.UPDATE_RULE AS onUpdate, r.DELETE_RULE AS onDelete ' +
      'FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r ' +
      'ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
      'AND r.TABLE_NAME = k.TABLE_NAME ' +
      `WHERE k.TABLE_SCHEMA = ${rc} AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL ` +
      'ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    params: mapping.schema ? [mapping.schema, mapping.table] : [mapping.table],
  };
  // MariaDB only: MySQL's CHECK_CONSTRAINTS has no TABLE_NAME, and MySQL has a native JSON type.
  const checks = {
    sql:
      'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS ' +
      `WHERE CONSTRAINT_SCHEMA = ${rc} AND TABLE_NAME = ?`,
    params: mapping.schema ? [mapping.schema, mapping.table] : [mapping.table],
  };
  return {columns, indexes, foreignKeys, checks};
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

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : JSON.stringify(value);
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
function nowDefault(precision: string | undefined): string {
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

/** The default the model asks for, in the form of {@link normalizeLiveDefault}. */
export function modelDefault(mapping: ModelMapping, column: ColumnMapping): string | null {
  if (isAutoIncrement(mapping, column)) return null;
  const value = defaultValueOf(column);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && NOW.test(value.trim()))
    return nowDefault(/\((\d)\)/.exec(columnDataType(column))?.[1]);
  if (typeof value === 'boolean') return `lit:${value ? 1 : 0}`;
  return typeof value === 'string' || typeof value === 'number' ? `lit:${value}` : null;
}

const JSON_CHECK = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

/** Turns the rows of the {@link buildReadTable} queries into a {@link LiveTable}; undefined when there is no table. */
export function liveTable(
  snapshot: TableSnapshot,
  dialect: MigrationDialect,
): LiveTable | undefined {
  if (snapshot.columns.length === 0) return undefined;
  const jsonColumns = new Set<string>();
  for (const row of snapshot.checks ?? []) {
    const match = JSON_CHECK.exec(text(row.clause).trim());
    if (match) jsonColumns.add((match[1] as string).replace(/``/g, '`').toLowerCase());
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

// ---------------------------------------------------------------------------------------------------------------
// autoupdate: the model compared with the live table
// ---------------------------------------------------------------------------------------------------------------

/** Options of `autoupdate` (and of the model's `mysql` settings, for the `allowDrop*` ones). */
export interface AutoupdateOptions {
  /** Return the SQL instead of running it. */
  dryRun?: boolean;
  /** Drop the columns the model does not have (otherwise they are kept, with a warning). */
  allowDropColumns?: boolean;
  /** Drop the indexes the model does not declare (never PRIMARY, nor those foreign keys use). */
  allowDropIndexes?: boolean;
  /** Drop the foreign keys the model does not declare. */
  allowDropForeignKeys?: boolean;
  /** All three `allowDrop*` options. */
  allowDrop?: boolean;
}

/**
 * The arguments of `automigrate` / `autoupdate` / `isActual`: `(models, cb)` as juggler calls them, `(cb)`,
 * `(models, options, cb)`, or without a callback.
 */
export function migrationArgs<C>(
  models: unknown,
  options: unknown,
  cb: C | undefined,
): [string[] | string | undefined, AutoupdateOptions, C | undefined] {
  if (typeof models === 'function') return [undefined, {}, models as C];
  if (typeof options === 'function')
    return [models as string[] | string | undefined, {}, options as C];
  const opts =
    options !== null && typeof options === 'object' ? (options as AutoupdateOptions) : {};
  return [models as string[] | string | undefined, opts, cb];
}

/** A column the model does not have, kept because dropping it was not allowed. */
export interface MigrationWarning {
  readonly model: string;
  readonly table: string;
  readonly column: string;
  readonly message: string;
}

/** The statements for one table, by pass. */
export interface TableDiff {
  readonly dropForeignKeys: string | undefined;
  readonly create: string | undefined;
  readonly alter: string | undefined;
  readonly addForeignKeys: string | undefined;
  readonly warnings: readonly MigrationWarning[];
}

function allowed(
  mapping: ModelMapping,
  options: AutoupdateOptions,
  key: 'allowDropColumns' | 'allowDropIndexes' | 'allowDropForeignKeys',
): boolean {
  const meta = metaOf(mapping);
  return (
    options[key] === true ||
    options.allowDrop === true ||
    meta[key] === true ||
    meta.allowDrop === true
  );
}

const TEMPORAL = /^(datetime|timestamp|date|time)\b/;

function sameDefault(want: string | null, have: string | null, type: string): boolean {
  if (want === have) return true;
  if (want === null || have === null) return false;
  if (!want.startsWith('lit:') || !have.startsWith('lit:')) return false;
  const a = want.slice(4);
  const b = have.slice(4);
  const numeric = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  if (numeric.test(a.trim()) && numeric.test(b.trim())) return Number(a) === Number(b);
  if (TEMPORAL.test(type)) {
    const da = Date.parse(`${a.replace(' ', 'T')}${a.length > 10 ? 'Z' : ''}`);
    const db = Date.parse(`${b.replace(' ', 'T')}${b.length > 10 ? 'Z' : ''}`);
    return !Number.isNaN(da) && da === db;
  }
  return false;
}

function sameType(want: string, have: LiveColumn, dialect: MigrationDialect): boolean {
  if (want === have.type) return true;
  // MariaDB's JSON is LONGTEXT with a JSON_VALID check.
  if (want === 'json' && !dialect.nativeJson) return have.type === 'longtext' && have.json;
  return false;
}

/** Why a column differs from the model (for debug logs), or undefined when it does not. */
export function columnDifference(
  mapping: ModelMapping,
  column: ColumnMapping,
  live: LiveColumn,
  dialect: MigrationDialect,
): string | undefined {
  const type = normalizeColumnType(columnDataType(column));
  if (!sameType(type, live, dialect)) return `type ${live.type} -> ${type}`;
  if (isNullable(column) !== live.nullable) return `nullable ${live.nullable} -> ${!live.nullable}`;
  const autoIncrement = isAutoIncrement(mapping, column);
  if (autoIncrement !== live.autoIncrement) return `auto_increment -> ${autoIncrement}`;
  const want = modelDefault(mapping, column);
  if (!sameDefault(want, live.default, type)) return `default ${live.default} -> ${want}`;
  const {charset, collation} = columnCharset(column, columnDataType(column));
  if (charset && normalizeCharset(charset) !== live.charset) return `charset -> ${charset}`;
  if (collation && normalizeCharset(collation) !== live.collation)
    return `collation -> ${collation}`;
  return undefined;
}

function sameIndex(want: IndexSpec, have: LiveIndex, dialect: MigrationDialect): boolean {
  if (want.kind !== have.kind || want.columns.length !== have.columns.length) return false;
  return want.columns.every((c, i) => {
    const h = have.columns[i];
    return (
      h !== undefined &&
      (h.subPart === undefined || want.kind === 'SPATIAL' || want.kind === 'FULLTEXT') &&
      h.column.toLowerCase() === c.column.toLowerCase() &&
      (!dialect.descendingIndexes || want.kind === 'FULLTEXT' || h.desc === c.desc)
    );
  });
}

function sameAction(want: string | undefined, have: string): boolean {
  // Left out, RESTRICT and NO ACTION are the same for InnoDB; MySQL reports NO ACTION, MariaDB RESTRICT.
  const norm = (a: string | undefined) => (!a || a === 'NO ACTION' ? 'RESTRICT' : a);
  return norm(want) === norm(have);
}

function sameForeignKey(
  mapping: ModelMapping,
  want: ForeignKeySpec,
  have: LiveForeignKey,
): boolean {
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => x.toLowerCase() === (b[i] ?? '').toLowerCase());
  const refSchema = want.refSchema ?? mapping.schema ?? have.tableSchema;
  return (
    same(want.columns, have.columns) &&
    same(want.refColumns, have.refColumns) &&
    want.refTable.toLowerCase() === have.refTable.toLowerCase() &&
    refSchema.toLowerCase() === have.refSchema.toLowerCase() &&
    sameAction(want.onDelete, have.onDelete) &&
    sameAction(want.onUpdate, have.onUpdate)
  );
}

/**
 * The statements that bring one table in line with its model: a CREATE TABLE when it is missing, else one ALTER
 * TABLE (ADD / MODIFY / DROP COLUMN, DROP / ADD INDEX) plus foreign keys dropped first and added last. Columns,
 * indexes and foreign keys the model does not know are kept unless an `allowDrop*` option says otherwise; PRIMARY
 * is never dropped. Pure.
 */
export function diffTable(
  mapping: ModelMapping,
  live: LiveTable | undefined,
  ctx: MigrationContext,
  options: AutoupdateOptions = {},
): TableDiff {
  const {escapeName} = ctx;
  const wantedFks = modelForeignKeys(mapping, ctx.resolveEntity);
  if (!live) {
    return {
      dropForeignKeys: undefined,
      create: buildCreateTable(mapping, ctx.tableOptions, escapeName),
      alter: undefined,
      addForeignKeys: buildAddForeignKeys(mapping, wantedFks, escapeName),
      warnings: [],
    };
  }
  const clauses: string[] = [];
  const warnings: MigrationWarning[] = [];

  // Foreign keys: changed ones are dropped first and added back last.
  const liveFks = new Map(live.foreignKeys.map((fk) => [fk.name.toLowerCase(), fk]));
  const dropFks: string[] = [];
  const addFks: ForeignKeySpec[] = [];
  const wantedFkNames = new Set(wantedFks.map((fk) => fk.name.toLowerCase()));
  for (const fk of wantedFks) {
    const have = liveFks.get(fk.name.toLowerCase());
    if (have && sameForeignKey(mapping, fk, have)) continue;
    if (have) dropFks.push(have.name);
    addFks.push(fk);
  }
  const dropUnknownFks = allowed(mapping, options, 'allowDropForeignKeys');
  for (const fk of live.foreignKeys)
    if (dropUnknownFks && !wantedFkNames.has(fk.name.toLowerCase())) dropFks.push(fk.name);
  const droppedFks = new Set(dropFks.map((n) => n.toLowerCase()));
  const keptFks = live.foreignKeys.filter((fk) => !droppedFks.has(fk.name.toLowerCase()));

  // Indexes first dropped (so that one can be re-created under the same name in the same statement).
  const wantedIndexes = modelIndexes(mapping);
  const liveIndexes = new Map(live.indexes.map((ix) => [ix.name.toLowerCase(), ix]));
  const wantedIndexNames = new Set(wantedIndexes.map((ix) => ix.name.toLowerCase()));
  const addIndexes: IndexSpec[] = [];
  for (const index of wantedIndexes) {
    const have = liveIndexes.get(index.name.toLowerCase());
    if (have && sameIndex(index, have, ctx.dialect)) continue;
    if (have && have.name.toUpperCase() !== 'PRIMARY')
      clauses.push(`DROP INDEX ${escapeName(have.name)}`);
    if (index.name.toUpperCase() !== 'PRIMARY') addIndexes.push(index);
  }
  if (allowed(mapping, options, 'allowDropIndexes')) {
    // An index a kept foreign key relies on (InnoDB names it after the constraint) stays.
    const fkNames = new Set([...keptFks.map((fk) => fk.name.toLowerCase()), ...wantedFkNames]);
    const usedByFk = (ix: LiveIndex) =>
      keptFks.some((fk) =>
        fk.columns.every((c, i) => ix.columns[i]?.column.toLowerCase() === c.toLowerCase()),
      );
    for (const ix of live.indexes) {
      const name = ix.name.toLowerCase();
      if (ix.name.toUpperCase() === 'PRIMARY' || wantedIndexNames.has(name)) continue;
      if (fkNames.has(name) || usedByFk(ix)) continue;
      clauses.push(`DROP INDEX ${escapeName(ix.name)}`);
    }
  }

  // Columns.
  const liveColumns = new Map(live.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const column of mapping.columns) {
    const have = liveColumns.get(column.column.toLowerCase());
    if (!have) clauses.push(`ADD COLUMN ${buildColumnDefinition(mapping, column)}`);
    else if (columnDifference(mapping, column, have, ctx.dialect) !== undefined)
      clauses.push(`MODIFY COLUMN ${buildColumnDefinition(mapping, column)}`);
  }
  const known = new Set(mapping.columns.map((c) => c.column.toLowerCase()));
  const dropColumns = allowed(mapping, options, 'allowDropColumns');
  for (const column of live.columns) {
    if (known.has(column.name.toLowerCase())) continue;
    if (dropColumns) clauses.push(`DROP COLUMN ${escapeName(column.name)}`);
    else
      warnings.push({
        model: mapping.model,
        table: mapping.table,
        column: column.name,
        message:
          `Column ${mapping.table}.${column.name} is not in model ${mapping.model} and was kept; ` +
          'set mysql.allowDropColumns on the model (or pass allowDropColumns) to drop it',
      });
  }
  for (const index of addIndexes) clauses.push(`ADD ${buildIndexDefinition(index, escapeName)}`);

  return {
    dropForeignKeys:
      dropFks.length > 0
        ? `ALTER TABLE ${mapping.tableEscaped} ${dropFks.map((n) => `DROP FOREIGN KEY ${escapeName(n)}`).join(', ')}`
        : undefined,
    create: undefined,
    alter:
      clauses.length > 0 ? `ALTER TABLE ${mapping.tableEscaped} ${clauses.join(', ')}` : undefined,
    addForeignKeys: buildAddForeignKeys(mapping, addFks, escapeName),
    warnings,
  };
}

/**
 * The statements of `autoupdate` for several tables, in order: foreign keys dropped, tables created, tables
 * altered, foreign keys added (so that new foreign keys may reference tables created in the same run).
 */
export function buildAutoupdate(
  tables: readonly {mapping: ModelMapping; live: LiveTable | undefined}[],
  ctx: MigrationContext,
  options: AutoupdateOptions = {},
): {statements: string[]; warnings: MigrationWarning[]} {
  const diffs = tables.map((t) => diffTable(t.mapping, t.live, ctx, options));
  const pick = (key: 'dropForeignKeys' | 'create' | 'alter' | 'addForeignKeys') =>
    diffs.map((d) => d[key]).filter((s): s is string => s !== undefined);
  return {
    statements: [
      ...pick('dropForeignKeys'),
      ...pick('create'),
      ...pick('alter'),
      ...pick('addForeignKeys'),
    ],
    warnings: diffs.flatMap((d) => d.warnings),
  };
}

/** The columns already reported, per connector: each kept column is reported once. */
const reported = new WeakMap<object, Set<string>>();

/**
 * Reports the columns autoupdate kept instead of dropping: in the debug log (`loopback:connector:mysql:migration`)
 * and, once per column and connector, as a process warning.
 */
export function reportKeptColumns(owner: object, warnings: readonly MigrationWarning[]): void {
  let seen = reported.get(owner);
  if (!seen) reported.set(owner, (seen = new Set()));
  for (const warning of warnings) {
    debug(warning.message);
    const key = `${warning.table}\0${warning.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    process.emitWarning(warning.message, {
      type: 'LoopBackMigrationWarning',
      code: 'LB_MYSQL_COLUMN_KEPT',
    });
  }
}

/** Logs the statements of a migration step under `loopback:connector:mysql:migration`. */
export function logMigration(what: string, statements: readonly string[]): void {
  if (debug.enabled) for (const sql of statements) debug('%s: %s', what, sql);
}
