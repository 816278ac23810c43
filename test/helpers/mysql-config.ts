import mysql2 from 'mysql2';

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
    const u = new URL(url);
    return {
      host: u.hostname || '127.0.0.1',
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
    };
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
  'Start one with `docker compose up -d` (MySQL 8.4 on 3306), or locally with ' +
  '`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, or point MYSQL_URL at a server.';

/** Runs admin statements (CREATE/DROP DATABASE) on a one-off connection; fails with how to start a server. */
export async function admin(sql: string): Promise<unknown> {
  const {host, port, user, password} = serverConfig();
  const connection = mysql2.createConnection({host, port, user, password, connectTimeout: 5000});
  try {
    return await connection.promise().query(sql);
  } catch (err) {
    const code = (err as {code?: string}).code;
    if (
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'ETIMEDOUT' ||
      code === 'EHOSTUNREACH'
    ) {
      throw new Error(`No MySQL/MariaDB server at ${host}:${port} (${code}). ${HOW_TO_START}`, {
        cause: err,
      });
    }
    throw err;
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
