import type {PoolConnection} from 'mysql2';
import {SqlConnectorError} from '../sql-connector/errors';
import {MySqlError, toMySqlError} from './errors';
import type {ConnectionSource} from './topology';

/*
 * Running one statement on a pool connection: acquiring with a deadline, a per-statement timeout that also stops the
 * statement on the server, and the errors after which the same statement may safely run again.
 */

/** Error numbers of a statement rolled back by InnoDB because of lock contention (ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT). */
const LOCK_CONFLICTS = new Set([1213, 1205]);

/**
 * Whether an autocommit statement that failed with `err` may run again:
 * - a deadlock or lock-wait timeout rolled the statement back (in autocommit mode it is its own transaction);
 * - a pooled connection that had already been closed never sent it.
 * A statement interrupted in flight (PROTOCOL_CONNECTION_LOST, ECONNRESET) is not run again, not even a read: the
 * server may have applied a write, and a DBA's `KILL` of a runaway query must reach the caller.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof MySqlError)) return false;
  if (err.errno !== undefined && LOCK_CONFLICTS.has(err.errno)) return true;
  return err.code === 'CONNECTION_CLOSED';
}

/** Jittered exponential backoff: 10-20 ms, 20-40 ms, 40-80 ms... */
export function backoff(attempt: number): Promise<void> {
  const base = 10 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, base + Math.random() * base));
}

/**
 * A pool connection within `timeoutMs`. mysql2's pool waits for a free connection without a deadline; past it, the
 * call fails with a 503 and the connection, when it comes, goes straight back to the pool.
 */
export function acquire(pool: ConnectionSource, timeoutMs: number): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            reject(
              new SqlConnectorError(
                `No connection available within ${timeoutMs} ms (connectionLimit reached): raise connectionLimit or acquireTimeout`,
                {code: 'POOL_ACQUIRE_TIMEOUT', statusCode: 503},
              ),
            );
          }, timeoutMs)
        : undefined;
    pool.getConnection((err, connection) => {
      if (timer) clearTimeout(timer);
      if (timedOut) {
        if (!err) connection.release();
        return;
      }
      if (err) reject(toMySqlError(err));
      else resolve(connection);
    });
  });
}

/**
 * Runs a statement on a connection. With `timeoutMs`, a statement still running then is stopped on the server
 * (`kill`: `KILL QUERY` on its server) and the connection, whose protocol state is lost, is destroyed.
 */
export function queryOn(
  connection: PoolConnection,
  sql: string,
  params: readonly unknown[],
  timeoutMs: number,
  kill: (connection: PoolConnection) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(
      {sql, values: params as unknown[], timeout: timeoutMs > 0 ? timeoutMs : undefined},
      (err, result) => {
        if (!err) return resolve(result);
        if ((err as {code?: string}).code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
          kill(connection);
          connection.destroy();
          return reject(
            new SqlConnectorError(
              `The statement did not finish within ${timeoutMs} ms and was stopped`,
              {
                code: 'QUERY_TIMEOUT',
                statusCode: 504,
              },
            ),
          );
        }
        reject(toMySqlError(err, sql));
      },
    );
  });
}
