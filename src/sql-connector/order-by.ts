import {InvalidFilterError} from './errors';
import type {ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/** Resolves a property name (or a dialect-supported nested path) to SQL; the where builder shares this job. */
export type ColumnResolver = (property: string) => ParameterizedSQL | undefined;

/**
 * Builds an `ORDER BY` list (without the keywords) from juggler's `order`: `'name DESC'`, `['a ASC', 'b DESC']` or
 * `'a ASC, b DESC'`. Only property names and the directions ASC and DESC are accepted; anything else is a 400 error,
 * so nothing from a request reaches the SQL text unescaped.
 */
export function buildOrderBy(
  mapping: ModelMapping,
  order: unknown,
  resolve: ColumnResolver,
): ParameterizedSQL | undefined {
  if (order === undefined || order === null || order === '') return undefined;
  const entries = typeof order === 'string' ? [order] : order;
  if (!Array.isArray(entries)) {
    throw new InvalidFilterError(`Invalid order: expected a string or an array of strings`);
  }
  const items: ParameterizedSQL[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string')
      throw new InvalidFilterError(`Invalid order: expected strings, got ${typeof entry}`);
    for (const item of entry.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') continue;
      const [property = '', direction, ...rest] = trimmed.split(/\s+/);
      const dir = direction === undefined ? 'ASC' : direction.toUpperCase();
      if (rest.length > 0 || (dir !== 'ASC' && dir !== 'DESC')) {
        throw new InvalidFilterError(
          `Invalid order "${trimmed}": expected "property ASC" or "property DESC"`,
        );
      }
      const column = resolve(property);
      if (!column)
        throw new InvalidFilterError(
          `Invalid order: ${mapping.model} has no property "${property}"`,
        );
      items.push(new ParameterizedSQL(`${column.sql} ${dir}`, column.params));
    }
  }
  return items.length === 0 ? undefined : ParameterizedSQL.join(items, ',');
}

/** The default order: by the id columns, which gives stable pages at no cost on a clustered primary key. */
export function buildDefaultOrderBy(mapping: ModelMapping): ParameterizedSQL | undefined {
  if (mapping.ids.length === 0) return undefined;
  return new ParameterizedSQL(mapping.ids.map((c) => c.escaped).join(','));
}
