/*
 * autoupdate's comparison of a model with its live table: what differs (type, nullability, AUTO_INCREMENT, default,
 * charset, indexes, foreign keys) and the statements that bring the table in line, in the order they must run:
 * foreign keys dropped, tables created, tables altered, foreign keys added. Pure.
 */
import type {ColumnMapping, ModelMapping} from '../../sql-connector/model-mapping';
import {columnDataType} from '../type-mapping';
import {
  buildAddForeignKeys,
  buildColumnDefinition,
  buildCreateTable,
  buildIndexDefinition,
  type DdlContext,
} from './ddl';
import {
  normalizeCharset,
  normalizeColumnType,
  nowDefault,
  type LiveColumn,
  type LiveForeignKey,
  type LiveIndex,
  type LiveTable,
  type MigrationDialect,
} from './live-schema';
import {
  columnCharset,
  defaultValueOf,
  isAutoIncrement,
  isNowDefault,
  isNullable,
  metaOf,
  modelForeignKeys,
  modelIndexes,
  type ForeignKeySpec,
  type IndexSpec,
} from './model-schema';

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

/** What the builders need besides the models: the DDL context, and how the server reports its schema. */
export interface MigrationContext extends DdlContext {
  readonly dialect: MigrationDialect;
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

/** The default the model asks for, in the form of `normalizeLiveDefault` (live-schema.ts). */
export function modelDefault(mapping: ModelMapping, column: ColumnMapping): string | null {
  if (isAutoIncrement(mapping, column)) return null;
  const value = defaultValueOf(column);
  if (value === undefined || value === null) return null;
  if (isNowDefault(value)) return nowDefault(/\((\d)\)/.exec(columnDataType(column))?.[1]);
  if (typeof value === 'boolean') return `lit:${value ? 1 : 0}`;
  return typeof value === 'string' || typeof value === 'number' ? `lit:${value}` : null;
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
