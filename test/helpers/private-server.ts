/*
 * A private, throw-away MariaDB server on a free loopback port, for fault-injection tests that stop, kill and
 * restart the server. It never touches the shared server: `--defaults-file` is always the first argument (so
 * /etc/mysql is never read), the pid file, socket and data directory live in a temporary directory, and every
 * process is handled by its own pid. See ../shared/spec/cluster-notes.md for the pitfalls this avoids.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql2 from 'mysql2';
import {exited, freePort, installDataDir} from './processes';

export interface PrivateServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The pid of the running mariadbd (of the last start). */
  readonly pid: number;
  /** The temporary directory: data directory, config, pid file, socket and error log. */
  readonly dir: string;
  /** Clean shutdown (SIGTERM, then waits for the process to exit). */
  stop(): Promise<void>;
  /** SIGKILL of the server's own pid, then waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory (stopping first if it runs) and waits until it is ready. */
  restart(): Promise<void>;
  /** Stops the server (SIGKILL when a clean shutdown does not finish) and removes the temporary directory. */
  destroy(): Promise<void>;
  /** The last lines of the server's error log, for failure messages. */
  logTail(lines?: number): string;
  /** Runs one statement as root on a one-off connection (not through the connector) and returns its rows. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement, read by the tests
  query(sql: string, database?: string): Promise<any>;
}

const MARIADBD = process.env.MARIADBD ?? '/usr/sbin/mariadbd';
const READY_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;
const KILL_TIMEOUT_MS = 10000;

/** Servers still running, SIGKILLed (by pid) and removed if the test process exits without destroying them. */
const live = new Set<{pid: () => number | undefined; dir: string}>();
process.on('exit', () => {
  for (const server of live) {
    const pid = server.pid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      fs.rmSync(server.dir, {recursive: true, force: true});
    } catch {
      // best effort
    }
  }
});

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One connection attempt: the value of @@datadir, or the error. */
function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = mysql2.createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      password: '',
      connectTimeout: 1000,
    });
    connection.on('error', () => undefined);
    connection.query('SELECT @@datadir AS d', (err, rows) => {
      connection.destroy();
      if (err) reject(err);
      else resolve(String((rows as {d: unknown}[])[0]?.d));
    });
  });
}

export interface PrivateServerOptions {
  /**
   * Extra mariadbd command-line arguments (e.g. `['--ssl-ca=/tmp/x/ca.pem']`), given after `--defaults-file` on
   * every start and restart. Root must still be able to log in over plain TCP, which the readiness probe does.
   * Files they name must be readable by the server's user (`mysql` when the tests run as root).
   */
  extraArgs?: readonly string[];
}

/**
 * Creates a temporary data directory, initializes it with mariadb-install-db, starts mariadbd on a free loopback
 * port and waits until root (no password) can log in over TCP.
 */
export async function startPrivateServer(
  options: PrivateServerOptions = {},
): Promise<PrivateServer> {
  const extraArgs = [...(options.extraArgs ?? [])];
  // As root, the server runs as `mysql`, which must be able to reach the directory: a TMPDIR under /root would not do.
  const base = process.env.PRIVATE_SERVER_TMPDIR ?? (isRoot() ? '/tmp' : os.tmpdir());
  const dir = fs.mkdtempSync(path.join(base, 'lbts-mdb-'));
  const datadir = path.join(dir, 'data');
  const cnf = path.join(dir, 'my.cnf');
  const errorLog = path.join(dir, 'error.log');
  const entry = {pid: (): number | undefined => undefined, dir};
  live.add(entry);
  let child: ChildProcess | undefined;

  try {
    // As root, mariadbd runs as `mysql` (it refuses root without user=root, and the datadir must be theirs).
    const asUser = isRoot() ? 'mysql' : os.userInfo().username;
    if (isRoot()) {
      fs.chmodSync(dir, 0o755);
      execFileSync('chown', ['mysql:mysql', dir]);
    }
    const port = await freePort();
    fs.writeFileSync(
      cnf,
      [
        '[mariadbd]',
        `user=${asUser}`,
        `datadir=${datadir}`,
        `socket=${path.join(dir, 'mysqld.sock')}`,
        `pid-file=${path.join(dir, 'mysqld.pid')}`,
        `log-error=${errorLog}`,
        `port=${port}`,
        'bind-address=127.0.0.1',
        'skip-name-resolve',
        'skip-log-bin',
        'innodb-buffer-pool-size=32M',
        'innodb-log-file-size=16M',
        'innodb-flush-log-at-trx-commit=1',
        'max-connections=200',
        '',
      ].join('\n'),
    );
    fs.chmodSync(cnf, 0o644);
    await installDataDir(datadir, asUser);

    const logTail = (lines = 20): string => {
      try {
        return fs.readFileSync(errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no error log)';
      }
    };

    const start = async (): Promise<void> => {
      // --defaults-file must be the first argument, so that /etc/mysql (the shared server's config) is never read.
      const proc = spawn(MARIADBD, [`--defaults-file=${cnf}`, ...extraArgs], {stdio: 'ignore'});
      proc.on('error', () => undefined);
      child = proc;
      if (proc.pid === undefined) {
        await exited(proc, 1000);
        throw new Error(`could not start ${MARIADBD}`);
      }
      const deadline = Date.now() + READY_TIMEOUT_MS;
      let last: unknown;
      for (;;) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(
            `mariadbd (pid ${proc.pid}) on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before accepting connections:\n${logTail()}`,
          );
        }
        try {
          const d = await probe(port);
          // Make sure that it is our server that answers on this port, not another one.
          if (path.resolve(d) !== path.resolve(datadir)) {
            throw new Error(
              `port ${port} is answered by a server with datadir ${d}, not ${datadir}`,
            );
          }
          return;
        } catch (err) {
          if ((err as Error).message.startsWith('port ')) throw err;
          last = err;
        }
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          await exited(proc, KILL_TIMEOUT_MS);
          throw new Error(
            `mariadbd (pid ${proc.pid}) on port ${port} did not accept connections within ${READY_TIMEOUT_MS} ms ` +
              `(last error: ${(last as Error)?.message}):\n${logTail()}`,
          );
        }
        await sleep(100);
      }
    };

    const running = () =>
      child !== undefined && child.exitCode === null && child.signalCode === null;
    entry.pid = () => (running() ? child?.pid : undefined);

    const kill = async (): Promise<void> => {
      const proc = child;
      if (!proc || !running()) return;
      process.kill(proc.pid as number, 'SIGKILL');
      if (!(await exited(proc, KILL_TIMEOUT_MS))) {
        throw new Error(
          `mariadbd (pid ${proc.pid}) still runs ${KILL_TIMEOUT_MS} ms after SIGKILL`,
        );
      }
    };

    const stop = async (): Promise<void> => {
      const proc = child;
      if (!proc || !running()) return;
      process.kill(proc.pid as number, 'SIGTERM');
      if (await exited(proc, STOP_TIMEOUT_MS)) return;
      await kill();
      throw new Error(
        `mariadbd (pid ${proc.pid}) did not shut down within ${STOP_TIMEOUT_MS} ms of SIGTERM; it was SIGKILLed:\n${logTail()}`,
      );
    };

    await start();

    const server: PrivateServer = {
      host: '127.0.0.1',
      port,
      dir,
      get pid() {
        return child?.pid as number;
      },
      stop,
      kill,
      async restart() {
        await stop();
        await start();
      },
      async destroy() {
        try {
          await stop();
        } catch {
          // stop() already SIGKILLed it
        } finally {
          live.delete(entry);
          fs.rmSync(dir, {recursive: true, force: true});
        }
      },
      logTail,
      async query(sql: string, database?: string) {
        const connection = mysql2.createConnection({
          host: '127.0.0.1',
          port,
          user: 'root',
          password: '',
          database,
          connectTimeout: 2000,
        });
        connection.on('error', () => undefined);
        try {
          const [rows] = await connection.promise().query(sql);
          return rows;
        } finally {
          connection.destroy();
        }
      },
    };
    return server;
  } catch (err) {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGKILL');
      await exited(child, KILL_TIMEOUT_MS);
    }
    live.delete(entry);
    fs.rmSync(dir, {recursive: true, force: true});
    throw err;
  }
}
