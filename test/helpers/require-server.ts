/*
 * Run before the integration tests: without a reachable server, say so in one line (no stack trace) and fail.
 */
import {admin, serverConfig} from './mysql-config';

admin('SELECT 1').then(
  () => undefined,
  (err: unknown) => {
    const {host, port} = serverConfig();
    const e = err as {code?: string; message?: string; cause?: {code?: string}};
    const reason = e.cause?.code ?? e.code ?? e.message ?? String(err);
    console.error(
      `No MySQL/MariaDB server for the integration tests at ${host}:${port} (${reason}). ` +
        'Start one with `docker compose up -d`, or set MYSQL_URL.',
    );
    process.exit(1);
  },
);
