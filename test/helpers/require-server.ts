/*
 * Run before the integration tests (`npm run test:integration`): without a usable server, say why in one line
 * (no stack trace) and what to do next, then fail with exit code 1. admin() and serverConfig() already word their
 * errors (mysql-config.ts); this file only prints them.
 */
import {admin} from './mysql-config';

admin('SELECT 1').then(
  () => undefined,
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(message.split('\n', 1)[0]);
    process.exitCode = 1;
  },
);
