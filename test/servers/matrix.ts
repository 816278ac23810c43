/*
 * The integration tests (juggler's shared suites included) on every server of the test matrix beside the default
 * one: each server is started privately on a free loopback port (../helpers/private-server.ts), the suite runs
 * against it through MYSQL_URL, and the server is stopped by its pid, whatever the outcome.
 *
 *   npm run test:matrix                          # MySQL 9.7 and MariaDB 11.8 (LBTS_MATRIX's default)
 *   LBTS_MATRIX=mysql-9.7 npm run test:matrix    # a comma-separated list of kinds (see ./kinds.ts)
 *   LBTS_MATRIX=none npm test                    # only the default server (MYSQL_URL, else 127.0.0.1:3306)
 *
 * Servers in chroots need root and mmdebstrap the first time (the chroot is then cached in /var/cache/lbts).
 */
import {spawn} from 'node:child_process';
import {startPrivateServer} from '../helpers/private-server';
import {kind, KIND_NAMES} from './kinds';

const DEFAULT_MATRIX = 'mysql-9.7,mariadb-11.8';

function kinds(): string[] {
  const text = (process.env.LBTS_MATRIX ?? DEFAULT_MATRIX).trim();
  if (text === '' || text === 'none') return [];
  return text.split(',').map((s) => s.trim());
}

interface Outcome {
  kind: string;
  version: string;
  code: number;
  counts: string;
  seconds: number;
}

/** Runs mocha on the integration tests against `url`; resolves with its exit code and its closing counts. */
function integration(url: string): Promise<{code: number; counts: string}> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['mocha', 'test/integration/**/*.test.ts'], {
      env: {...process.env, MYSQL_URL: url, MYSQL_HOST: '', MYSQL_PORT: ''},
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('close', (code) => {
      const counts = ['passing', 'failing', 'pending']
        .map((word) => new RegExp(`(\\d+) ${word}`).exec(tail)?.[0])
        .filter(Boolean)
        .join(', ');
      resolve({code: code ?? 1, counts});
    });
  });
}

async function main(): Promise<number> {
  const outcomes: Outcome[] = [];
  for (const name of kinds()) {
    const k = kind(name);
    const started = Date.now();
    console.log(`\n== integration tests on ${name} ==`);
    const server = await startPrivateServer({kind: k});
    let result: {code: number; counts: string};
    let version: string;
    try {
      const [row] = await server.query('SELECT VERSION() AS v');
      version = String(row?.v);
      result = await integration(`mysql://root@${server.host}:${server.port}`);
    } finally {
      await server.destroy();
    }
    outcomes.push({
      kind: name,
      version,
      ...result,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }
  if (outcomes.length > 0) {
    console.log('\n== test matrix ==');
    for (const o of outcomes) {
      console.log(
        `${o.code === 0 ? 'ok  ' : 'FAIL'} ${o.kind} (${o.version}): ${o.counts || 'no counts'} in ${o.seconds} s`,
      );
    }
  }
  return outcomes.every((o) => o.code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `test matrix: ${err instanceof Error ? err.message : String(err)}\n` +
        `(kinds: ${KIND_NAMES.join(', ')}; LBTS_MATRIX=none runs the default server only)`,
    );
    process.exit(1);
  },
);
