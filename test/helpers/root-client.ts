/*
 * Root's own connections to a private test server (not through the connector): one statement on a one-off
 * connection, or a connection for several. Shared by the private-server and cluster helpers.
 */
import mysql2 from 'mysql2';
import type {Connection as PromiseConnection} from 'mysql2/promise';

export function rootOptions(port: number, database?: string): mysql2.ConnectionOptions {
  return {host: '127.0.0.1', port, user: 'root', password: '', database, connectTimeout: 2000};
}

/** Runs one statement as root on a fresh connection and returns its rows. */
export async function queryOnce(
  port: number,
  sql: string,
  params?: readonly unknown[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement, read by the tests
): Promise<any> {
  const connection = mysql2.createConnection(rootOptions(port));
  connection.on('error', () => undefined);
  try {
    const [rows] = await connection.promise().query(sql, params as unknown[] | undefined);
    return rows;
  } finally {
    connection.destroy();
  }
}

/** A fresh promise connection as root, for several statements in one session; the caller ends it. */
export async function connectRoot(port: number, database?: string): Promise<PromiseConnection> {
  const connection = mysql2.createConnection(rootOptions(port, database));
  connection.on('error', () => undefined);
  const promise = connection.promise();
  try {
    await promise.connect();
  } catch (err) {
    connection.destroy();
    throw err;
  }
  return promise;
}
