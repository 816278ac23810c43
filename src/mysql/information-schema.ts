/*
 * information_schema: every catalogue query of the dialect, as ParameterizedSQL, and the reading of what they return.
 * Discovery lists databases, tables and keys; autoupdate reads the live table it compares with a model; upserts ask
 * whether a table has a unique key besides PRIMARY. Schema and table names are always parameters, never SQL text;
 * without a schema, the connected database (`DATABASE()`) is read. Pure: the callers run the statements.
 */
import type {Page} from '../sql-connector/pagination';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import {applyMySqlPagination} from './pagination';

/** A table of a schema: a model mapping, or the table and owner of a discover* call. No schema: `DATABASE()`. */
export interface TableRef {
  readonly schema?: string | undefined;
  readonly table: string;
}

/** `column = ?` for a named schema, `column = DATABASE()` without one (or with an empty name). */
function schemaIs(column: string, schema: string | undefined): ParameterizedSQL {
  return schema
    ? new ParameterizedSQL(`${column} = ?`, [schema])
    : new ParameterizedSQL(`${column} = DATABASE()`);
}

/** `TABLE_SCHEMA = ? AND TABLE_NAME = ?`, under the column names the catalogue table uses. */
function tableIs(
  ref: TableRef,
  schemaColumn = 'TABLE_SCHEMA',
  tableColumn = 'TABLE_NAME',
): ParameterizedSQL {
  return schemaIs(schemaColumn, ref.schema).append(
    new ParameterizedSQL(`AND ${tableColumn} = ?`, [ref.table]),
  );
}

// -------------------------------------------------------------------------------------------------------------------
// Discovery. Every result column is aliased: MySQL 8 returns information_schema names in upper case.
// -------------------------------------------------------------------------------------------------------------------

/** The databases, by name. */
export function buildSchemataQuery(page: Page): ParameterizedSQL {
  return applyMySqlPagination(
    new ParameterizedSQL(
      'SELECT CATALOG_NAME AS `catalog`, SCHEMA_NAME AS `schema` FROM information_schema.SCHEMATA' +
        ' ORDER BY SCHEMA_NAME',
    ),
    page,
  );
}

/**
 * The tables (with `views`, the views too) of a schema, of the connected database without one, or of every database
 * with `allSchemas` and no schema; ordered by schema and name.
 */
export function buildTablesQuery(
  schema: string | undefined,
  scope: {readonly allSchemas: boolean; readonly views: boolean},
  page: Page,
): ParameterizedSQL {
  const kinds = scope.views
    ? "('BASE TABLE','SYSTEM VERSIONED','VIEW')"
    : "('BASE TABLE','SYSTEM VERSIONED')";
  const where: (string | ParameterizedSQL)[] = [`TABLE_TYPE IN ${kinds}`];
  if (schema !== undefined || !scope.allSchemas) where.push(schemaIs('TABLE_SCHEMA', schema));
  const stmt = new ParameterizedSQL(
    "SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table') AS `type`, TABLE_NAME AS `name`," +
      ' TABLE_SCHEMA AS `owner` FROM information_schema.TABLES',
  ).append('WHERE', ParameterizedSQL.join(where, ' AND '), 'ORDER BY TABLE_SCHEMA, TABLE_NAME');
  return applyMySqlPagination(stmt, page);
}

/** The columns of a table or view as discovery describes them, in their order. */
export function buildTableColumnsQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
      ' DATA_TYPE AS `dataType`, CHARACTER_MAXIMUM_LENGTH AS `dataLength`,' +
      ' NUMERIC_PRECISION AS `dataPrecision`, NUMERIC_SCALE AS `dataScale`, COLUMN_TYPE AS `columnType`,' +
      ' IS_NULLABLE AS `nullable`, EXTRA AS `extra`, GENERATION_EXPRESSION AS `generationExpression`' +
      ' FROM information_schema.COLUMNS',
  ).append('WHERE', tableIs(ref), 'ORDER BY ORDINAL_POSITION');
}

/** The primary key columns of a table, in key order. */
export function buildPrimaryKeyQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`, COLUMN_NAME AS `columnName`,' +
      ' ORDINAL_POSITION AS `keySeq`, CONSTRAINT_NAME AS `pkName`' +
      ' FROM information_schema.KEY_COLUMN_USAGE',
  ).append("WHERE CONSTRAINT_NAME = 'PRIMARY' AND", tableIs(ref), 'ORDER BY ORDINAL_POSITION');
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
  ' WHERE k.REFERENCED_TABLE_NAME IS NOT NULL AND';

/** The foreign keys of a table (the keys it imports), by name and position. */
export function buildImportedKeysQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(FOREIGN_KEY_COLUMNS).append(
    tableIs(ref, 'k.TABLE_SCHEMA', 'k.TABLE_NAME'),
    'ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
  );
}

/** The foreign keys of other tables that reference this one (the keys it exports), by table, name and position. */
export function buildExportedKeysQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(FOREIGN_KEY_COLUMNS).append(
    tableIs(ref, 'k.REFERENCED_TABLE_SCHEMA', 'k.REFERENCED_TABLE_NAME'),
    'ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
  );
}

/** A unique index other than the primary key. */
const OTHER_UNIQUE = "NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'";

/** The columns of the unique indexes of a table other than the primary key, by index and position. */
export function buildUniqueIndexColumnsQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT COLUMN_NAME AS `columnName`, TABLE_SCHEMA AS `owner`, TABLE_NAME AS `tableName`,' +
      ' INDEX_NAME AS `indexName`, SEQ_IN_INDEX AS `seqInIndex`, SUB_PART AS `subPart`' +
      ' FROM information_schema.STATISTICS',
  ).append(`WHERE ${OTHER_UNIQUE} AND`, tableIs(ref), 'ORDER BY INDEX_NAME, SEQ_IN_INDEX');
}

/**
 * MariaDB only (its CHECK_CONSTRAINTS has TABLE_NAME; MySQL's does not, and MySQL has a native JSON type): the checks
 * of a table, to find the JSON columns, which MariaDB stores as LONGTEXT with a `json_valid(col)` check (see
 * {@link jsonCheckColumn}). Read by discovery and by autoupdate.
 */
export function buildCheckConstraintsQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT CONSTRAINT_NAME AS `name`, CHECK_CLAUSE AS `clause` FROM information_schema.CHECK_CONSTRAINTS',
  ).append('WHERE', tableIs(ref, 'CONSTRAINT_SCHEMA'), 'ORDER BY CONSTRAINT_NAME');
}

// -------------------------------------------------------------------------------------------------------------------
// autoupdate: the live table it compares with the model
// -------------------------------------------------------------------------------------------------------------------

/** The columns of a live table, in their order, with what autoupdate compares. */
export function buildLiveColumnsQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable, ' +
      'COLUMN_DEFAULT AS columnDefault, EXTRA AS extra, CHARACTER_SET_NAME AS charset, ' +
      'COLLATION_NAME AS collation FROM information_schema.COLUMNS',
  ).append('WHERE', tableIs(ref), 'ORDER BY ORDINAL_POSITION');
}

/** The index columns of a live table (PRIMARY too), by index and position. */
export function buildLiveIndexesQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS columnName, ' +
      'COLLATION AS direction, INDEX_TYPE AS indexType, SUB_PART AS subPart ' +
      'FROM information_schema.STATISTICS',
  ).append('WHERE', tableIs(ref), 'ORDER BY INDEX_NAME, SEQ_IN_INDEX');
}

/** The foreign keys of a live table with their ON DELETE / ON UPDATE rules, by name and position. */
export function buildLiveForeignKeysQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL(
    'SELECT k.CONSTRAINT_NAME AS name, k.TABLE_SCHEMA AS tableSchema, k.COLUMN_NAME AS columnName, ' +
      'k.REFERENCED_TABLE_SCHEMA AS refSchema, k.REFERENCED_TABLE_NAME AS refTable, ' +
      'k.REFERENCED_COLUMN_NAME AS refColumn, r.UPDATE_RULE AS onUpdate, r.DELETE_RULE AS onDelete ' +
      'FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r ' +
      'ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
      'AND r.TABLE_NAME = k.TABLE_NAME',
  ).append(
    'WHERE',
    tableIs(ref, 'k.TABLE_SCHEMA', 'k.TABLE_NAME'),
    'AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
  );
}

// -------------------------------------------------------------------------------------------------------------------
// Upserts
// -------------------------------------------------------------------------------------------------------------------

/** `n`: how many index columns of the table belong to a unique index other than PRIMARY. */
export function buildOtherUniqueKeysCountQuery(ref: TableRef): ParameterizedSQL {
  return new ParameterizedSQL('SELECT COUNT(*) AS n FROM information_schema.STATISTICS').append(
    'WHERE',
    tableIs(ref),
    `AND ${OTHER_UNIQUE}`,
  );
}

// -------------------------------------------------------------------------------------------------------------------
// Reading the rows
// -------------------------------------------------------------------------------------------------------------------

/** Text of an information_schema value (MySQL 8 returns some as binary strings); '' for NULL. */
export function catalogText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return '';
}

/** `json_valid(`col`)`, with any white space between its tokens (none inside the quoted name is dropped). */
const JSON_CHECK = /^\s*json_valid\s*\(\s*`((?:[^`]|``)+)`\s*\)\s*$/i;

/**
 * The column that a CHECK clause holds to valid JSON, or undefined: MariaDB's JSON type is LONGTEXT with the check
 * `json_valid(`col`)`. Only the clause counts, not the constraint's name (MariaDB names the check of a JSON column
 * after the column; a table check such as `CONSTRAINT doc_is_json CHECK (json_valid(doc))` holds the column to JSON
 * just as well). A clause that checks more than that (`json_valid(`a`) and ...`) is not a JSON column.
 *
 * ```ts
 * jsonCheckColumn('json_valid(`doc`)'); // 'doc'
 * jsonCheckColumn('`qty` > 0'); // undefined
 * ```
 */
export function jsonCheckColumn(clause: unknown): string | undefined {
  const match = JSON_CHECK.exec(catalogText(clause));
  return match ? (match[1] as string).replace(/``/g, '`') : undefined;
}
