import type {ExecuteValues, PoolConnection} from 'mysql2';
import type {ColumnMapping} from '../sql-connector/model-mapping';

/*
 * Prepared statements (mysql2's `execute`, the binary protocol) for the SELECTs the connector builds from plain
 * comparisons (statement-shapes.ts), with `preparedStatements: true` (off by default: through juggler on this
 * project's VM they saved no client CPU on MariaDB 10.11 and cost some on MySQL 9.7, see the README). The server
 * parses such a statement once per connection instead of on every call, and the client binds values instead of
 * formatting them into the text. Writes stay on the text protocol (in the issue's prototype a prepared UPDATE cost
 * 8% more client CPU, and an UPDATE's count of matched rows comes from the text protocol's OK packet), and so do raw
 * SQL (`execute()`), migrations, discovery, JSON paths and dialect operators.
 */

/**
 * Statements each connection keeps prepared, least recently used first out (mysql2 closes them on the server). The
 * server's `max_prepared_stmt_count` (16382 by default) is shared by every client; past it, a statement falls back to
 * the text protocol (see {@link executePrepared}).
 */
export const DEFAULT_MAX_PREPARED_STATEMENTS = 128;

/**
 * Errors of a statement that was never executed, after which it runs as text: 1461 (`max_prepared_stmt_count`
 * reached), 1295 (this statement cannot be prepared), 1210 (the server refused the binary values).
 */
const AS_TEXT = new Set([1461, 1295, 1210]);

/** The tail of a SELECT whose pagination values are parameters (see `MySQL.applyPagination`). */
const PAGE_TAIL = / LIMIT (?:\?|\d+)(?: OFFSET \?)?$/;

/** Column types whose binary values differ from their text: FLOAT comes as a 32-bit float (1.1 as 1.100000023841858). */
const INEXACT = /^(float|real)/i;

/** Whether the rows of these columns read the same through the binary protocol as through the text protocol. */
export function readsAlike(columns: readonly ColumnMapping[]): boolean {
  for (const c of columns) {
    const dataType = (c.definition as {mysql?: {dataType?: unknown}}).mysql?.dataType;
    if (typeof dataType === 'string' && INEXACT.test(dataType)) return false;
  }
  return true;
}

/**
 * Whether the values can be bound as they are: strings, finite numbers, booleans, Buffers and NULL (no BigInts). Not Dates: the text
 * protocol writes them in the connection's time zone for any year, the binary one has its own rules (and throws
 * outside 0-65535); the column values of Dates are strings already (type-mapping.ts), a Date remains only where a
 * nested JSON value is compared with one.
 */
export function bindable(params: readonly unknown[]): boolean {
  for (const p of params) {
    if (p === null || typeof p === 'string' || typeof p === 'boolean') continue;
    if (typeof p === 'number' ? Number.isFinite(p) : Buffer.isBuffer(p)) continue;
    return false;
  }
  return true;
}

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
