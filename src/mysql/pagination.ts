import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {Page} from '../sql-connector/pagination';

/** MySQL has no LIMIT ALL: the manual's idiom for "from offset to the end" is the largest BIGINT UNSIGNED. */
const NO_LIMIT = '18446744073709551615';

/**
 * `LIMIT ? OFFSET ?` after a SELECT, in MySQL's form: a page with an offset and no limit is limited to
 * {@link NO_LIMIT}. MySQL's `applyPagination` hook, and the pages of discovery's lists. Pure.
 *
 * ```ts
 * applyMySqlPagination(new ParameterizedSQL('SELECT 1'), {limit: undefined, offset: 5});
 * // {sql: 'SELECT 1 LIMIT 18446744073709551615 OFFSET ?', params: [5]}
 * ```
 */
export function applyMySqlPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL {
  if (page.limit === undefined && page.offset === undefined) return stmt;
  const limit = page.limit === undefined ? NO_LIMIT : ParameterizedSQL.value(page.limit);
  return page.offset === undefined
    ? stmt.append('LIMIT', limit)
    : stmt.append('LIMIT', limit, 'OFFSET', ParameterizedSQL.value(page.offset));
}
