import {isComputed} from './fields';
import type {ModelData} from './juggler-types';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/*
 * How `createAll` splits its rows into multi-row INSERTs: pure planning, no I/O. The connector runs each batch and,
 * for batches whose ids the database generates, reads the ids back (see applyGeneratedIds).
 */

/** One multi-row INSERT of `createAll`. */
export interface InsertBatch {
  /** The column list, the same for every row. */
  readonly columns: readonly ColumnMapping[];
  /** The stored values of each row, in column order. */
  readonly rows: unknown[][];
  /** The position of each row in `createAll`'s data. */
  readonly indexes: readonly number[];
  /** Whether every row leaves its (single) id to the database, which generates it. */
  readonly generatesIds: boolean;
}

/** The most parameters and bytes (estimated from the values) of one statement. */
export interface StatementLimits {
  readonly maxParams: number;
  readonly maxBytes: number;
}

/**
 * The INSERT batches of `createAll`, in order. One column list for every row: the properties any row gives, NULL for
 * the others. Generated ids are only predictable for rows that all leave the id out, so rows with an id and rows
 * without go in separate batches (the first kind first). A batch stays under `limits()`, read once per kind of row.
 * Rows are converted with `toValue` lazily, one kind at a time, as the batches are consumed.
 *
 * ```ts
 * for (const batch of planInsertBatches(mapping, data, toValue, () => ({maxParams: 65535, maxBytes: 1 << 20}))) ...
 * ```
 */
export function* planInsertBatches(
  mapping: ModelMapping,
  data: readonly ModelData[],
  toValue: (column: ColumnMapping, value: unknown) => unknown,
  limits: () => StatementLimits,
): Generator<InsertBatch, void, undefined> {
  const columns = mapping.columns.filter(
    (c) => !isComputed(c) && data.some((d) => d[c.property] !== undefined),
  );
  const idColumn = mapping.ids.length === 1 ? (mapping.ids[0] as ColumnMapping) : undefined;
  const withId: number[] = [];
  const withoutId: number[] = [];
  data.forEach((d, i) =>
    (idColumn && (d[idColumn.property] === undefined || d[idColumn.property] === null)
      ? withoutId
      : withId
    ).push(i),
  );
  for (const group of [withId, withoutId]) {
    if (group.length === 0) continue;
    const generatesIds = group === withoutId && idColumn !== undefined;
    const cols = generatesIds ? columns.filter((c) => c !== idColumn) : columns;
    const rows = group.map((i) => insertRow(data[i] as ModelData, cols, toValue));
    const {maxParams, maxBytes} = limits();
    for (const chunk of chunkRows(rows, maxParams, maxBytes)) {
      const indexes = group.slice(chunk.start, chunk.start + chunk.rows.length);
      yield {columns: cols, rows: chunk.rows, indexes, generatesIds};
    }
  }
}

/**
 * Writes the ids the database generated for a batch (see {@link InsertBatch.generatesIds}) into `out`, the copies of
 * `createAll`'s data, as new objects with the id first.
 */
export function applyGeneratedIds(
  out: ModelData[],
  batch: InsertBatch,
  idProperty: string,
  ids: readonly unknown[],
): void {
  // A new object with the id first, rather than adding the id to the copy: V8 adds a property to an object made by
  // spreading slowly (about 1 us each, measured), and a createAll does it for every row.
  ids.forEach((id, k) => {
    const i = batch.indexes[k] as number;
    out[i] = {[idProperty]: id, ...out[i]};
  });
}

/** The stored values of one row: NULL for a missing value. */
function insertRow(
  data: ModelData,
  columns: readonly ColumnMapping[],
  toValue: (column: ColumnMapping, value: unknown) => unknown,
): unknown[] {
  const values: unknown[] = [];
  for (const c of columns) {
    const v = data[c.property];
    values.push(v === undefined || v === null ? null : toValue(c, v));
  }
  return values;
}

/** An upper bound of a value's size in SQL text (UTF-8, escaped). */
function estimateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length * 3 + 2;
  if (Buffer.isBuffer(value)) return value.length * 2 + 3;
  if (value instanceof ParameterizedSQL) {
    return value.sql.length + value.params.reduce((s: number, p) => s + estimateBytes(p), 0);
  }
  return 32;
}

/** Splits INSERT rows into chunks under a statement's parameter and size limits, keeping their order. */
export function* chunkRows(
  rows: unknown[][],
  maxParams: number,
  maxBytes: number,
): Generator<{start: number; rows: unknown[][]}> {
  let start = 0;
  let params = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as unknown[];
    let rowBytes = 8;
    for (let k = 0; k < row.length; k++) rowBytes += estimateBytes(row[k]);
    if (i > start && (params + row.length > maxParams || bytes + rowBytes > maxBytes)) {
      yield {start, rows: rows.slice(start, i)};
      start = i;
      params = 0;
      bytes = 0;
    }
    params += row.length;
    bytes += rowBytes;
  }
  if (start < rows.length) yield {start, rows: rows.slice(start)};
}
