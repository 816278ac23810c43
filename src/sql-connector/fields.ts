import {InvalidFilterError} from './errors';
import type {ColumnMapping, ModelMapping} from './model-mapping';

/** Columns with their values, ready for an INSERT column list or an UPDATE `SET` list. */
export interface FieldList {
  readonly columns: readonly ColumnMapping[];
  readonly values: readonly unknown[];
}

/**
 * The columns a `fields` filter selects: an array of property names, or `{prop: true}` / `{prop: false}`.
 * Returns every column when `fields` is empty. A name that is not a property is a 400 error.
 */
export function buildProjection(mapping: ModelMapping, fields: unknown): readonly ColumnMapping[] {
  if (fields === undefined || fields === null) return mapping.columns;
  let names: string[];
  if (typeof fields === 'string') {
    names = [fields];
  } else if (Array.isArray(fields)) {
    names = fields.map((f) => {
      if (typeof f !== 'string')
        throw new InvalidFilterError('Invalid fields: expected property names');
      return f;
    });
  } else if (typeof fields === 'object') {
    const entries = Object.entries(fields as Record<string, unknown>);
    for (const [name] of entries) column(mapping, name);
    const included = entries
      .filter(([, v]) => v === true || v === 1 || v === 'true')
      .map(([k]) => k);
    if (included.length > 0) {
      names = included;
    } else {
      const excluded = new Set(
        entries.filter(([, v]) => v === false || v === 0 || v === 'false').map(([k]) => k),
      );
      return mapping.columns.filter((c) => !excluded.has(c.property));
    }
  } else {
    throw new InvalidFilterError(
      'Invalid fields: expected an array of property names or an object',
    );
  }
  if (names.length === 0) return mapping.columns;
  const wanted = new Set(names.map((name) => column(mapping, name).property));
  // Keep the model's column order, so one projection maps to one compiled row reader.
  return mapping.columns.filter((c) => wanted.has(c.property));
}

function column(mapping: ModelMapping, name: string): ColumnMapping {
  const c = mapping.byProperty.get(name);
  if (!c)
    throw new InvalidFilterError(`Invalid fields: ${mapping.model} has no property "${name}"`);
  return c;
}

/** A non-id column the database computes (`generated: true` in the property's connector metadata). */
export function isComputed(column: ColumnMapping): boolean {
  return !column.definition.id && column.metadata.generated === true;
}

/**
 * The columns and stored values of model data keyed by property name. Keys that are not properties are skipped
 * (juggler keeps the dynamic properties of non-strict models on the instance, not in the table).
 *
 * - `mode: 'patch'` takes the properties present in `data` (undefined values are left out);
 * - `mode: 'replace'` takes every property, writing NULL for the ones `data` leaves out.
 */
export function buildFieldList(
  mapping: ModelMapping,
  data: Record<string, unknown>,
  options: {mode: 'patch' | 'replace'; excludeIds: boolean},
  toColumnValue: (column: ColumnMapping, value: unknown) => unknown,
): FieldList {
  const columns: ColumnMapping[] = [];
  const values: unknown[] = [];
  for (const c of mapping.columns) {
    if (options.excludeIds && c.definition.id) continue;
    // The database computes generated columns (virtual/stored ones found by discovery): never write them.
    if (isComputed(c)) continue;
    const value = Object.prototype.hasOwnProperty.call(data, c.property)
      ? data[c.property]
      : undefined;
    if (value === undefined && options.mode === 'patch') continue;
    columns.push(c);
    values.push(value === undefined ? null : toColumnValue(c, value));
  }
  return {columns, values};
}
