/*
 * The DDL of a model's table: column, index and foreign key definitions, CREATE TABLE, and the statements of
 * `automigrate`. Pure: every name is escaped, every default value escaped as a literal, and the engine, charset and
 * collation names the model gives are checked before they enter the text.
 *
 * Foreign keys come last (one ALTER TABLE per table, after every CREATE TABLE), so that a model may reference a table
 * created after it, or one that references it back.
 */
import {escape} from '../driver';
import {InvalidModelError} from '../../sql-connector/errors';
import type {ColumnMapping, ModelMapping} from '../../sql-connector/model-mapping';
import {columnDataType} from '../type-mapping';
import {
  CHARSET,
  columnCharset,
  defaultValueOf,
  isAutoIncrement,
  isNowDefault,
  isNullable,
  metaOf,
  modelForeignKeys,
  modelIndexes,
  type EntityResolver,
  type ForeignKeySpec,
  type IndexSpec,
} from './model-schema';

/** Table options for CREATE TABLE. */
export interface TableOptions {
  readonly charset: string;
  readonly collation: string | undefined;
}

const ENGINE = /^[A-Za-z][A-Za-z0-9_]*$/;

// ---------------------------------------------------------------------------------------------------------------
// Columns, indexes, foreign keys
// ---------------------------------------------------------------------------------------------------------------

function nowExpression(type: string): string {
  const precision = /\((\d)\)/.exec(type)?.[1];
  return `CURRENT_TIMESTAMP${precision && precision !== '0' ? `(${precision})` : ''}`;
}

function defaultClause(column: ColumnMapping, type: string): string {
  const value = defaultValueOf(column);
  if (value === undefined || value === null) return '';
  if (isNowDefault(value)) return ` DEFAULT ${nowExpression(type)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new InvalidModelError(`Invalid default for ${column.property}: ${value}`);
    return ` DEFAULT ${escape(value)}`;
  }
  throw new InvalidModelError(`Invalid default for ${column.property}: ${JSON.stringify(value)}`);
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

/** What the DDL builders need besides the models. */
export interface DdlContext {
  readonly escapeName: (name: string) => string;
  readonly tableOptions: TableOptions;
  readonly resolveEntity: EntityResolver;
}

/** The statements of `automigrate`, in order: drops (with foreign key checks off), creates, foreign keys. */
export function buildAutomigrate(
  mappings: readonly ModelMapping[],
  ctx: DdlContext,
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
