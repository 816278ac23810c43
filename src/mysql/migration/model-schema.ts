/*
 * What a model declares for its table, read from its definition and its `mysql` settings: column nullability,
 * AUTO_INCREMENT, default and charset; its indexes; its foreign keys (with property names mapped to columns and the
 * referenced model resolved). Pure; ddl.ts writes these as SQL and diff.ts compares them with the live table.
 */
import {InvalidModelError} from '../../sql-connector/errors';
import type {ColumnMapping, ModelMapping} from '../../sql-connector/model-mapping';
import {columnDataType} from '../type-mapping';

const INDEX_KINDS = new Set(['UNIQUE', 'FULLTEXT', 'SPATIAL']);
const INDEX_TYPES = new Set(['BTREE', 'HASH']);
/** A charset or collation name the model may give (it enters the DDL text, so nothing else is accepted). */
export const CHARSET = /^[A-Za-z0-9_]+$/;
/** The referential actions MySQL accepts in `ON DELETE` / `ON UPDATE`. */
const FK_ACTIONS = new Set(['RESTRICT', 'CASCADE', 'SET NULL', 'NO ACTION', 'SET DEFAULT']);
/** `now`, `CURRENT_TIMESTAMP`, `current_timestamp()`, `now(3)`... as a default value. */
const NOW = /^(now|current_timestamp)(\(\s*\d?\s*\))?$/i;

/** The model's `mysql` settings (engine, charset, allowDrop*...), or none. */
export function metaOf(mapping: ModelMapping): Record<string, unknown> {
  const meta = mapping.definition.settings.mysql;
  return meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
}

// ---------------------------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------------------------

/** NULL or NOT NULL: an id never is NULL; `mysql.nullable` (true/false, 'Y'/'N', 'YES'/'NO') wins over `required`. */
export function isNullable(column: ColumnMapping): boolean {
  if (column.definition.id) return false;
  const nullable = column.metadata.nullable;
  if (nullable === false || nullable === 'N' || nullable === 'NO' || nullable === 'n') return false;
  if (nullable === true || nullable === 'Y' || nullable === 'YES' || nullable === 'y') return true;
  return column.definition.required !== true;
}

/** AUTO_INCREMENT: the one id of the model, generated, of an integer type. */
export function isAutoIncrement(mapping: ModelMapping, column: ColumnMapping): boolean {
  return (
    !!column.definition.id &&
    column.definition.generated === true &&
    mapping.ids.length === 1 &&
    /INT/.test(columnDataType(column))
  );
}

/** The DDL default of a column: only `mysql.default` / `mysql.defaultValue` (juggler applies `default` itself). */
export function defaultValueOf(column: ColumnMapping): unknown {
  return column.metadata.default ?? column.metadata.defaultValue;
}

/** Whether a default value asks for the current time (`now`, `CURRENT_TIMESTAMP(3)`...). */
export function isNowDefault(value: unknown): value is string {
  return typeof value === 'string' && NOW.test(value.trim());
}

/** `mysql: {charset, collation}` of a text column. */
export function columnCharset(
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
