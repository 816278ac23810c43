import {InvalidFilterError} from './errors';

/** A validated `limit` / `offset` pair; undefined members are absent from the filter. */
export interface Page {
  readonly limit: number | undefined;
  readonly offset: number | undefined;
}

function nonNegativeInteger(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidFilterError(
      `Invalid ${name}: expected a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Reads `limit` and `skip`/`offset` from a filter (juggler normalizes them; direct callers may not). */
export function readPage(filter: {limit?: unknown; skip?: unknown; offset?: unknown}): Page {
  const limit = nonNegativeInteger('limit', filter.limit);
  const offset =
    nonNegativeInteger('skip', filter.skip) ?? nonNegativeInteger('offset', filter.offset);
  return {limit, offset: offset === 0 ? undefined : offset};
}
