import createDebug from 'debug';
import type {Pool, PoolConnection} from 'mysql2';
import {InvalidTransactionError} from '../../sql-connector/errors';
import {QueryTimeoutError, toMySqlError} from '../errors';
import {promised} from './promised';
import type {Done} from './types';

const debug = createDebug('loopback:connector:mysql:transaction');

/** The isolation levels juggler's `Transaction` accepts. */
export const ISOLATION_LEVELS = [
  'READ UNCOMMITTED',
  'READ COMMITTED',
  'REPEATABLE READ',
  'SERIALIZABLE',
] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** Connections holding named locks (`GET_LOCK`) that must be released when their transaction ends. */
const lockHolders = new WeakSet<PoolConnection>();

/** Marks a transaction's connection as holding named locks, released at commit or rollback. */
export function holdLocksUntilEnd(connection: PoolConnection): void {
  lockHolders.add(connection);
}

/**
 * One statement on a connection. With `timeoutMs`, a statement that has not finished by then fails with 504
 * (`QUERY_TIMEOUT`) and the connection, whose protocol state is lost, is destroyed: a stalled network must not hold
 * a BEGIN or a COMMIT (and its pool connection) forever.
 */
export function query(
  connection: PoolConnection | Pool,
  sql: string,
  timeoutMs = 0,
): Promise<unknown> {
  return promised((on: PoolConnection | Pool, settle: Done<unknown>) => {
    const done = (err: Error | null, result?: unknown) => {
      if (!err) return settle(null, result);
      if ((err as {code?: unknown}).code !== 'PROTOCOL_SEQUENCE_TIMEOUT') {
        return settle(toMySqlError(err, sql));
      }
      (on as PoolConnection).destroy?.();
      settle(new QueryTimeoutError(timeoutMs, `${sql} did not finish within ${timeoutMs} ms`));
    };
    if (timeoutMs > 0) on.query({sql, timeout: timeoutMs}, done);
    else on.query(sql, done);
  }, connection);
}

/**
 * Starts a transaction on a connection checked out of the pool. The isolation level is set with
 * `SET TRANSACTION`, which applies to the next transaction only, so it never leaks to the connection's next user.
 * With `timeoutMs` (the data source's queryTimeout), both statements together must finish within it.
 */
export async function beginTransaction(
  connection: PoolConnection,
  isolationLevel: string | undefined,
  timeoutMs = 0,
): Promise<PoolConnection> {
  const level = (isolationLevel ?? 'READ COMMITTED').toUpperCase();
  if (!(ISOLATION_LEVELS as readonly string[]).includes(level)) {
    connection.release();
    throw new InvalidTransactionError(`Invalid isolation level "${isolationLevel}"`);
  }
  try {
    const deadline = Date.now() + timeoutMs;
    await query(connection, `SET TRANSACTION ISOLATION LEVEL ${level}`, timeoutMs);
    await query(
      connection,
      'START TRANSACTION',
      timeoutMs > 0 ? Math.max(1, deadline - Date.now()) : 0,
    );
  } catch (err) {
    connection.destroy();
    throw err;
  }
  debug('began a %s transaction on connection %d', level, connection.threadId);
  return connection;
}

function asConnection(connection: unknown): PoolConnection {
  if (!connection || typeof (connection as PoolConnection).query !== 'function') {
    throw new InvalidTransactionError(
      'The transaction has no connection: it was already committed or rolled back',
    );
  }
  return connection as PoolConnection;
}

/**
 * Ends a transaction with COMMIT or ROLLBACK and always gives the connection back (or destroys it on failure).
 * With `timeoutMs`, a COMMIT that gets no answer by then fails with 504: its outcome is unknown to the caller (the
 * server may have committed), and the destroyed connection rolls back whatever was not committed.
 */
export async function endTransaction(
  connection: unknown,
  statement: 'COMMIT' | 'ROLLBACK',
  timeoutMs = 0,
): Promise<void> {
  const conn = asConnection(connection);
  try {
    await query(conn, statement, timeoutMs);
    if (lockHolders.delete(conn)) await query(conn, 'SELECT RELEASE_ALL_LOCKS()', timeoutMs);
  } catch (err) {
    debug('%s failed on connection %d: destroying it', statement, conn.threadId);
    lockHolders.delete(conn);
    conn.destroy();
    throw err;
  }
  debug('%s on connection %d', statement, conn.threadId);
  conn.release();
}
