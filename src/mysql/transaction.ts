import createDebug from 'debug';
import type {Pool, PoolConnection} from 'mysql2';
import {InvalidTransactionError} from '../sql-connector/errors';
import {toMySqlError} from './errors';

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

export function query(connection: PoolConnection | Pool, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(sql, (err, result) =>
      err ? reject(toMySqlError(err, sql)) : resolve(result),
    );
  });
}

/**
 * Starts a transaction on a connection checked out of the pool. The isolation level is set with
 * `SET TRANSACTION`, which applies to the next transaction only, so it never leaks to the connection's next user.
 */
export async function beginTransaction(
  connection: PoolConnection,
  isolationLevel: string | undefined,
): Promise<PoolConnection> {
  const level = (isolationLevel ?? 'READ COMMITTED').toUpperCase();
  if (!(ISOLATION_LEVELS as readonly string[]).includes(level)) {
    connection.release();
    throw new InvalidTransactionError(`Invalid isolation level "${isolationLevel}"`);
  }
  try {
    await query(connection, `SET TRANSACTION ISOLATION LEVEL ${level}`);
    await query(connection, 'START TRANSACTION');
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

/** Ends a transaction with COMMIT or ROLLBACK and always gives the connection back (or destroys it on failure). */
export async function endTransaction(
  connection: unknown,
  statement: 'COMMIT' | 'ROLLBACK',
): Promise<void> {
  const conn = asConnection(connection);
  try {
    await query(conn, statement);
    if (lockHolders.delete(conn)) await query(conn, 'SELECT RELEASE_ALL_LOCKS()');
  } catch (err) {
    debug('%s failed on connection %d: destroying it', statement, conn.threadId);
    lockHolders.delete(conn);
    conn.destroy();
    throw err;
  }
  debug('%s on connection %d', statement, conn.threadId);
  conn.release();
}
