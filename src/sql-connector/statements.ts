import {InvalidFilterError, InvalidModelError} from './errors';
import type {FieldList} from './fields';
import type {ModelData, Where} from './juggler-types';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/*
 * Pure pieces of statements and of their results, shared by the SqlConnector's operations.
 */

/** Converts one column value read from the database into the property's value. */
export type ColumnReader = (value: unknown) => unknown;

/** `INSERT INTO t (c1, c2) VALUES (?, ?), (?, ?)`; a value that is SQL (e.g. `POINT(?, ?)`) is spliced in. */
export function buildInsertRows(
  mapping: ModelMapping,
  columns: readonly ColumnMapping[],
  rows: readonly (readonly unknown[])[],
): ParameterizedSQL {
  const head = `INSERT INTO ${mapping.tableEscaped} (${columns.map((c) => c.escaped).join(',')}) VALUES `;
  if (rows.length > 0 && !rows.some(hasSqlValue)) {
    // Plain values only, the usual case: every row has the same tuple, and the values go into one flat array.
    const tuple = `(${columns.length === 0 ? '' : '?,'.repeat(columns.length - 1) + '?'})`;
    const params: unknown[] = [];
    for (const row of rows) for (let i = 0; i < row.length; i++) params.push(row[i]);
    return new ParameterizedSQL(head + `${tuple},`.repeat(rows.length - 1) + tuple, params);
  }
  const texts: string[] = [];
  const params: unknown[] = [];
  for (const row of rows) {
    const cells: string[] = [];
    for (const value of row) {
      if (value instanceof ParameterizedSQL) {
        cells.push(value.sql);
        for (const p of value.params) params.push(p);
      } else {
        cells.push('?');
        params.push(value);
      }
    }
    texts.push(`(${cells.join(',')})`);
  }
  return new ParameterizedSQL(head + texts.join(','), params);
}

/** Whether a row of stored values holds SQL (e.g. `POINT(?, ?)`) rather than only plain values. */
export function hasSqlValue(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] instanceof ParameterizedSQL) return true;
  return false;
}

/** The shape of a field list for a statement cache: its properties, in order. */
export function shapeOf(fields: FieldList): string {
  let shape = '';
  for (const c of fields.columns) shape += `${c.property}\0`;
  return shape;
}

/** `c1=?, c2=?` from a field list. */
export function buildAssignments(fields: FieldList): ParameterizedSQL {
  return ParameterizedSQL.join(
    fields.columns.map((c, i) => {
      const value = fields.values[i];
      return value instanceof ParameterizedSQL
        ? new ParameterizedSQL(`${c.escaped}=${value.sql}`, value.params)
        : new ParameterizedSQL(`${c.escaped}=?`, [value]);
    }),
    ',',
  );
}

/** A column of a SELECT, named after its property, so the driver's rows are keyed by property already. */
export function selectItem(column: ColumnMapping, escapeName: (name: string) => string): string {
  return column.column === column.property
    ? column.escaped
    : `${column.escaped} AS ${escapeName(column.property)}`;
}

/** The `where` selecting one row by id; composite ids take an object of id values. */
export function idWhere(mapping: ModelMapping, id: unknown): Where {
  const model = mapping.model;
  if (mapping.ids.length === 0) throw new InvalidModelError(`Model ${model} has no id property`);
  if (
    id === undefined ||
    id === null ||
    (typeof id === 'object' && !(id instanceof Date) && mapping.ids.length === 1)
  ) {
    throw new InvalidFilterError(`Invalid id for ${model}: ${id === null ? 'null' : typeof id}`);
  }
  if (mapping.ids.length === 1) return {[(mapping.ids[0] as ColumnMapping).property]: id};
  if (typeof id !== 'object' || id === null) {
    throw new InvalidFilterError(
      `Model ${model} has a composite id: pass an object of its id properties`,
    );
  }
  const where: Where = {};
  for (const c of mapping.ids) where[c.property] = (id as Record<string, unknown>)[c.property];
  return where;
}

/** The id value of model data: a scalar, or an object for composite ids; undefined when incomplete. */
export function idOf(mapping: ModelMapping, data: ModelData): unknown {
  if (mapping.ids.length === 1) return data[(mapping.ids[0] as ColumnMapping).property];
  const id: Record<string, unknown> = {};
  for (const c of mapping.ids) {
    const v = data[c.property];
    if (v === undefined || v === null) return undefined;
    id[c.property] = v;
  }
  return mapping.ids.length === 0 ? undefined : id;
}

/**
 * A copy of model data with the id a new row got (`create` resolves to it) under the id property; composite ids, and
 * rows the database gave no id, are already complete.
 */
export function withId(mapping: ModelMapping, data: ModelData, id: unknown): ModelData {
  const out = {...data};
  if (mapping.ids.length === 1 && id !== undefined)
    out[(mapping.ids[0] as ColumnMapping).property] = id;
  return out;
}

/** Converts the listed properties of driver rows in place (null and undefined stay as they are). */
export function convertInPlace(
  rows: Record<string, unknown>[],
  converters: readonly (readonly [string, ColumnReader])[],
): Record<string, unknown>[] {
  if (converters.length === 0) return rows;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Record<string, unknown>;
    for (let i = 0; i < converters.length; i++) {
      const [property, read] = converters[i] as readonly [string, ColumnReader];
      const value = row[property];
      if (value !== null && value !== undefined) row[property] = read(value);
    }
  }
  return rows;
}

/** Converts driver rows in place and returns them; built once per projection by {@link compileRowConverter}. */
export type RowConverter = (rows: Record<string, unknown>[]) => Record<string, unknown>[];

/**
 * The converters of a projection as one function with a named load and store per property. A loop over
 * `[property, reader]` pairs reads `row[property]` with a different key each time, a megamorphic access the engine
 * cannot specialise; for 5000 rows of 8 columns that loop cost ~0.3 µs a row. Property names are embedded as JSON
 * string literals (model definitions name them, callers do not). Where code generation is disallowed
 * (`--disallow-code-generation-from-strings`), the generic loop does the same work.
 */
export function compileRowConverter(
  converters: readonly (readonly [string, ColumnReader])[],
): RowConverter {
  if (converters.length === 0) return (rows) => rows;
  const steps = converters.map(([property], i) => {
    const key = JSON.stringify(property);
    return `v = row[${key}]; if (v !== null && v !== undefined) row[${key}] = read${i}(v);`;
  });
  const source = [
    ...converters.map((_, i) => `const read${i} = readers[${i}];`),
    'return function convertRows(rows) {',
    '  for (let r = 0; r < rows.length; r++) {',
    '    const row = rows[r];',
    '    let v;',
    ...steps.map((step) => `    ${step}`),
    '  }',
    '  return rows;',
    '};',
  ].join('\n');
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from property names, see above
    const build = new Function('readers', source) as (readers: ColumnReader[]) => RowConverter;
    return build(converters.map(([, read]) => read));
  } catch {
    return (rows) => convertInPlace(rows, converters);
  }
}

/** JSON with sorted keys, so equal filters give equal lock names. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RegExp) return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}
