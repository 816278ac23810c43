import mysql2 from 'mysql2';
import {explainServerFailure, parseServerUrl} from './server-failure';

/**
 * Where the tests find a server: `MYSQL_URL`, or `MYSQL_HOST` / `MYSQL_PORT` / `MYSQL_USER` / `MYSQL_PASSWORD`.
 * The defaults match the local MariaDB of the development machines and the `mysql` service of docker-compose.yml.
 */
export interface ServerConfig {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function serverConfig(): ServerConfig {
  const url = process.env.MYSQL_URL;
  if (url) {
    // A bad MYSQL_URL throws one line with the expected form, not the URL constructor's TypeError.
    const {host, port, user, password} = parseServerUrl(url);
    return {host, port, user, password};
  }
  return {
    host: process.env.MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.MYSQL_PORT ?? 3306),
    user: process.env.MYSQL_USER ?? 'root',
    password: process.env.MYSQL_PASSWORD ?? '',
  };
}

/** Settings of a data source on `database`. */
export function dataSourceSettings(
  database: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const {host, port, user, password} = serverConfig();
  return {
    host,
    port,
    user,
    password,
    database,
    createDatabase: true,
    connectionLimit: 4,
    ...overrides,
  };
}

const HOW_TO_START =
  'start one with `docker compose up -d` (MySQL 8.4 on 3306, MariaDB 11 on 3307; LBTS_MYSQL_PORT / ' +
  'LBTS_MARIADB_PORT move them), or a local MariaDB with ' +
  '`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`';

/**
 * Runs admin statements (CREATE/DROP DATABASE) on a one-off connection. When the connection itself fails (no
 * server, refused credentials, a bad MYSQL_URL), the error is one line that says what to do; a failing statement
 * keeps the driver's error.
 */
export async function admin(sql: string): Promise<unknown> {
  const {host, port, user, password} = serverConfig();
  const connection = mysql2.createConnection({host, port, user, password, connectTimeout: 5000});
  try {
    await connection.promise().connect();
  } catch (err) {
    connection.destroy();
    const message = explainServerFailure(err, {
      host,
      port,
      user,
      command: 'npm test',
      howToStart: HOW_TO_START,
    });
    throw new Error(message, {cause: err});
  }
  try {
    return await connection.promise().query(sql);
  } finally {
    connection.destroy();
  }
}

/** A fresh database for one test file; `dropDatabase` removes it. */
export async function createDatabase(name: string): Promise<string> {
  const database = `lbts_${name}_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  return database;
}

export async function dropDatabase(database: string): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS \`${database}\``);
}
