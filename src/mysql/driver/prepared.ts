import type {ExecuteValues, PoolConnection} from 'mysql2';

/*
 * Running a SELECT prepared (mysql2's `execute`, the binary protocol): which statements do, and why, is
 * ../prepared.ts.
 */

/**
 * Errors of a statement that was never executed, after which it runs as text: 1461 (`max_prepared_stmt_count`
 * reached), 1295 (this statement cannot be prepared), 1210 (the server refused the binary values).
 */
const AS_TEXT = new Set([1461, 1295, 1210]);

/** The tail of a SELECT whose pagination values are parameters (see `MySQL.applyPagination`). */
const PAGE_TAIL = / LIMIT (?:\?|\d+)(?: OFFSET \?)?$/;

/**
 * The values to bind: LIMIT and OFFSET as strings, since mysql2 binds a JS number as a DOUBLE, which MySQL refuses
 * there (error 1210); the server reads the string as the integer it is.
 */
function bound(sql: string, params: readonly unknown[]): unknown[] {
  const tail = sql.endsWith('?') ? PAGE_TAIL.exec(sql) : null;
  if (!tail) return params as unknown[];
  const values = params.slice();
  let pages = 0;
  for (const ch of tail[0]) if (ch === '?') pages++;
  for (let i = values.length - pages; i < values.length; i++) values[i] = String(values[i]);
  return values;
}

type Finish = (err: Error | null, result?: unknown) => void;

/**
 * Runs a statement prepared on `connection` (mysql2 prepares it the first time, then reuses it), result to `finish`.
 * When the server would not prepare or bind it, it runs as text instead, once.
 */
export function executePrepared(
  connection: PoolConnection,
  sql: string,
  params: readonly unknown[],
  timeoutMs: number,
  finish: Finish,
): void {
  const asText = () =>
    timeoutMs > 0
      ? connection.query({sql, values: params as unknown[], timeout: timeoutMs}, finish)
      : connection.query(sql, params as unknown[], finish);
  const done: Finish = (err, result) => {
    const errno = (err as {errno?: unknown} | null)?.errno;
    if (err && typeof errno === 'number' && AS_TEXT.has(errno)) asText();
    else finish(err, result);
  };
  const values = bound(sql, params) as ExecuteValues[];
  try {
    if (timeoutMs > 0) connection.execute({sql, values, timeout: timeoutMs}, done);
    else connection.execute(sql, values, done);
  } catch {
    // mysql2 refuses some values before sending anything (undefined, functions): the text protocol decides.
    asText();
  }
}
