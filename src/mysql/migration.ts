import {escape} from 'mysql2';
import {InvalidModelError} from '../sql-connector/errors';
import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import {columnDataType} from './type-mapping';

/** Table options for CREATE TABLE. */
export interface TableOptions {
  readonly charset: string;
  readonly collation: string | undefined;
}

const INDEX_KINDS = new Set(['UNIQUE', 'FULLTEXT', 'SPATIAL']);
const INDEX_TYPES = new Set(['BTREE', 'HASH']);
const ENGINE = /^[A-Za-z][A-Za-z0-9_]*$/;
const CHARSET = /^[A-Za-z0-9_]+$/;

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

function defaultClause(column: ColumnMapping, type: string): string {
  const value = column.metadata.default ?? column.metadata.defaultValue;
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' && /^(now|current_timestamp)(\(\d?\))?$/i.test(value)) {
    const precision = /\((\d)\)/.exec(type)?.[1];
    return ` DEFAULT CURRENT_TIMESTAMP${precision ? `(${precision})` : ''}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') {
    return ` DEFAULT ${escape(value)}`;
  }
  throw new InvalidModelError(`Invalid default for ${column.property}: ${JSON.stringify(value)}`);
}

/** One column definition: `` `name` VARCHAR(512) NOT NULL DEFAULT 'x' ``. */
export function buildColumnDefinition(mapping: ModelMapping, column: ColumnMapping): string {
  const type = columnDataType(column);
  let sql = `${column.escaped} ${type}`;
  sql += isNullable(column) ? ' NULL' : ' NOT NULL';
  if (isAutoIncrement(mapping, column)) sql += ' AUTO_INCREMENT';
  else sql += defaultClause(column, type);
  return sql;
}

interface IndexSpec {
  name: string;
  columns: string[];
  kind: string;
  type: string;
}

function indexColumnsFromKeys(
  mapping: ModelMapping,
  keys: Record<string, unknown>,
  name: string,
): string[] {
  return Object.entries(keys).map(([property, direction]) => {
    const column = mapping.byProperty.get(property);
    if (!column)
      throw new InvalidModelError(
        `Index ${name} of ${mapping.model} names unknown property "${property}"`,
      );
    return `${column.escaped}${direction === -1 || direction === 'DESC' ? ' DESC' : ''}`;
  });
}

function indexColumnsFromList(mapping: ModelMapping, list: string, name: string): string[] {
  return list.split(',').map((item) => {
    const [name0 = '', dir] = item.trim().split(/\s+/);
    const byProperty = mapping.byProperty.get(name0);
    const byColumn = mapping.columns.find((c) => c.column === name0);
    const column = byProperty ?? byColumn;
    if (!column)
      throw new InvalidModelError(
        `Index ${name} of ${mapping.model} names unknown column "${name0}"`,
      );
    return `${column.escaped}${dir && dir.toUpperCase() === 'DESC' ? ' DESC' : ''}`;
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

/** The indexes of a model: property `index` settings and the model's `indexes`. */
export function modelIndexes(mapping: ModelMapping): IndexSpec[] {
  const indexes: IndexSpec[] = [];
  for (const column of mapping.columns) {
    const index = column.definition.index;
    if (!index || column.definition.id) continue;
    const spec = typeof index === 'object' ? index : {};
    const kind = spec.unique ? 'UNIQUE' : kindOf(spec.kind);
    indexes.push({name: column.column, columns: [column.escaped], kind, type: typeOf(spec.type)});
  }
  const modelMeta = mapping.definition.settings;
  const declared = modelMeta.indexes;
  if (declared && typeof declared === 'object') {
    for (const [name, raw] of Object.entries(declared)) {
      if (!raw || typeof raw !== 'object') continue;
      const def = raw as Record<string, unknown>;
      const options = (def.options && typeof def.options === 'object' ? def.options : {}) as Record<
        string,
        unknown
      >;
      let columns: string[];
      if (def.keys && typeof def.keys === 'object')
        columns = indexColumnsFromKeys(mapping, def.keys as Record<string, unknown>, name);
      else if (typeof def.columns === 'string')
        columns = indexColumnsFromList(mapping, def.columns, name);
      else columns = indexColumnsFromKeys(mapping, def, name);
      const unique = options.unique === true || def.unique === true;
      const kind = unique ? 'UNIQUE' : kindOf(def.kind ?? options.kind);
      indexes.push({name, columns, kind, type: typeOf(def.type ?? options.type)});
    }
  }
  return indexes;
}

/** CREATE TABLE for a model: columns, primary key, indexes, engine and charset. Pure. */
export function buildCreateTable(
  mapping: ModelMapping,
  options: TableOptions,
  escapeName: (name: string) => string,
): string {
  const lines = mapping.columns.map((c) => buildColumnDefinition(mapping, c));
  if (mapping.ids.length > 0)
    lines.push(`PRIMARY KEY (${mapping.ids.map((c) => c.escaped).join(',')})`);
  for (const index of modelIndexes(mapping)) {
    const kind = index.kind ? `${index.kind} ` : '';
    const using =
      index.type && index.kind !== 'FULLTEXT' && index.kind !== 'SPATIAL'
        ? ` USING ${index.type}`
        : '';
    lines.push(`${kind}INDEX ${escapeName(index.name)} (${index.columns.join(',')})${using}`);
  }
  const meta = (mapping.definition.settings.mysql ?? {}) as Record<string, unknown>;
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

/** Reads the columns of a table; the schema is the model's, or the connection's database. */
export function buildShowColumns(mapping: ModelMapping): {sql: string; params: unknown[]} {
  return {
    sql:
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS ' +
      `WHERE TABLE_SCHEMA = ${mapping.schema ? '?' : 'DATABASE()'} AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    params: mapping.schema ? [mapping.schema, mapping.table] : [mapping.table],
  };
}

/**
 * The ALTER TABLE adding the model's columns that the table lacks, or undefined when none is missing. Existing
 * columns are never dropped or changed here.
 */
export function buildAddMissingColumns(
  mapping: ModelMapping,
  existing: readonly string[],
): string | undefined {
  const have = new Set(existing.map((c) => c.toLowerCase()));
  const missing = mapping.columns.filter((c) => !have.has(c.column.toLowerCase()));
  if (missing.length === 0) return undefined;
  return `ALTER TABLE ${mapping.tableEscaped} ${missing.map((c) => `ADD COLUMN ${buildColumnDefinition(mapping, c)}`).join(', ')}`;
}
