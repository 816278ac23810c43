/*
 * A private, throw-away server on a free loopback port, for fault-injection tests that stop, kill and restart the
 * server, and for `npm run server` (../servers/server.ts). Any kind of ../servers/kinds.ts: the system's MariaDB, or
 * MySQL 9.7 / MariaDB 11.8 in their chroots. It never touches the shared server: `--defaults-file` is always the
 * first argument (so /etc/mysql is never read), the pid file, socket and data directory live in a directory of its
 * own, and every process is handled by its own pid. See ../shared/spec/cluster-notes.md and servers.md.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql2 from 'mysql2';
import {exited, freePort, run} from './processes';
import {
  command,
  ensureInstalled,
  inChroot,
  isRoot,
  privateKind,
  type ServerKind,
  serverPath,
} from '../servers/kinds';

export interface PrivateServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The kind of server (`mysql-9.7`, `mariadb-11.8`, `mariadb-10.11`). */
  readonly kind: ServerKind;
  /** The pid of the running server (of the last start). */
  readonly pid: number;
  /** Whether the server process of the last start still runs. */
  readonly running: boolean;
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

const READY_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;
const KILL_TIMEOUT_MS = 10000;
const INIT_TIMEOUT_MS = 90000;

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
  /** Which server to start: LBTS_SERVER (`mysql-9.7`, `mariadb-11.8`, `mariadb-10.11`), else the system's MariaDB. */
  kind?: ServerKind;
  /** Files written into the server's directory before it starts (certificates...), readable by the server. */
  files?: Readonly<Record<string, string>>;
  /**
   * Extra option-file lines (`ssl-ca=...`), on every start and restart. `dir` is the server's directory as the server
   * sees it (inside its chroot), where `files` are. Root must still be able to log in over plain TCP, which the
   * readiness probe does.
   */
  options?: (dir: string) => readonly string[];
  /**
   * Leaves the server running when this process exits (for `npm run server`): it is then stopped with
   * stopServerByPid(), from any process.
   */
  detached?: boolean;
}

/** The directory a private server of `k` lives in: inside its chroot, or under /tmp for the system's server. */
function makeServerDir(k: ServerKind): string {
  if (inChroot(k)) {
    const base = path.join(k.root, 'var/lib/lbts');
    fs.mkdirSync(base, {recursive: true});
    return fs.mkdtempSync(path.join(base, 'srv-'));
  }
  // As root, the server runs as `mysql`, which must be able to reach the directory: a TMPDIR under /root would not do.
  const base = process.env.PRIVATE_SERVER_TMPDIR ?? (isRoot() ? '/tmp' : os.tmpdir());
  return fs.mkdtempSync(path.join(base, 'lbts-mdb-'));
}

/**
 * Creates a data directory for a server of `options.kind`, initializes it, starts the server on a free loopback port
 * and waits until root (no password) can log in over TCP. A chroot kind's chroot is built first when missing.
 */
export async function startPrivateServer(
  options: PrivateServerOptions = {},
): Promise<PrivateServer> {
  const k = options.kind ?? privateKind();
  await ensureInstalled(k);
  const dir = makeServerDir(k);
  const inner = serverPath(k, dir);
  const datadir = path.join(dir, 'data');
  const cnf = path.join(dir, 'my.cnf');
  const errorLog = path.join(dir, 'error.log');
  const entry = {pid: (): number | undefined => undefined, dir};
  live.add(entry);
  let child: ChildProcess | undefined;

  try {
    // The system's server runs as `mysql` when we are root (it refuses root unless told); a chroot has no such user.
    const asUser = !isRoot() ? os.userInfo().username : inChroot(k) ? 'root' : 'mysql';
    if (isRoot() && !inChroot(k)) {
      fs.chmodSync(dir, 0o755);
      execFileSync('chown', ['mysql:mysql', dir]);
    }
    for (const [name, content] of Object.entries(options.files ?? {})) {
      fs.writeFileSync(path.join(dir, name), content, {mode: 0o644});
    }
    const port = await freePort();
    fs.writeFileSync(
      cnf,
      [
        k.group,
        `user=${asUser}`,
        `datadir=${inner}/data`,
        `socket=${inner}/mysqld.sock`,
        `pid-file=${inner}/mysqld.pid`,
        `log-error=${inner}/error.log`,
        `port=${port}`,
        'bind-address=127.0.0.1',
        'innodb-flush-log-at-trx-commit=1',
        'max-connections=200',
        ...k.baseOptions,
        ...(options.options?.(inner) ?? []),
        '',
      ].join('\n'),
    );
    fs.chmodSync(cnf, 0o644);
    const init = command(k, k.initCommand(`${inner}/data`, `${inner}/my.cnf`, asUser));
    await run(init.file, init.args, INIT_TIMEOUT_MS);
    if (isRoot() && !inChroot(k)) execFileSync('chown', ['-R', 'mysql:mysql', datadir]);

    const logTail = (lines = 20): string => {
      try {
        return fs.readFileSync(errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no error log)';
      }
    };

    const start = async (): Promise<void> => {
      // --defaults-file must be the first argument, so that /etc/mysql (the shared server's config) is never read.
      const launch = command(k, [k.daemon, `--defaults-file=${inner}/my.cnf`]);
      const proc = spawn(launch.file, launch.args, {stdio: 'ignore', detached: !!options.detached});
      if (options.detached) proc.unref();
      proc.on('error', () => undefined);
      child = proc;
      if (proc.pid === undefined) {
        await exited(proc, 1000);
        throw new Error(`could not start ${k.name} (${k.daemon})`);
      }
      const deadline = Date.now() + READY_TIMEOUT_MS;
      let last: unknown;
      for (;;) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(
            `${k.name} (pid ${proc.pid}) on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before accepting connections:\n${logTail()}`,
          );
        }
        try {
          const d = await probe(port);
          // Make sure that it is our server that answers on this port, not another one.
          if (path.resolve(d) !== path.resolve(inner, 'data')) {
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
            `${k.name} (pid ${proc.pid}) on port ${port} did not accept connections within ${READY_TIMEOUT_MS} ms ` +
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
          `${k.name} (pid ${proc.pid}) still runs ${KILL_TIMEOUT_MS} ms after SIGKILL`,
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
        `${k.name} (pid ${proc.pid}) did not shut down within ${STOP_TIMEOUT_MS} ms of SIGTERM; it was SIGKILLed:\n${logTail()}`,
      );
    };

    await start();
    if (options.detached) live.delete(entry);

    const server: PrivateServer = {
      host: '127.0.0.1',
      port,
      dir,
      kind: k,
      get pid() {
        return child?.pid as number;
      },
      get running() {
        return running();
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

/** The command line of a running process, or undefined. */
function commandLine(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Stops a server that startPrivateServer() started (detached or not), given only its pid, and removes its directory.
 * It refuses any process that is not one of ours: its command line must name a `my.cnf` in a private server's
 * directory.
 */
export async function stopServerByPid(pid: number): Promise<string> {
  const argv = commandLine(pid);
  if (!argv) throw new Error(`no process with pid ${pid}`);
  const defaults = argv
    .find((a) => a.startsWith('--defaults-file='))
    ?.slice('--defaults-file='.length);
  const ours = defaults && /\/(lbts-mdb-|srv-)[^/]+\/my\.cnf$/.test(defaults);
  if (!defaults || !ours) {
    throw new Error(`pid ${pid} is not a private test server (${argv.join(' ')}): not stopping it`);
  }
  // A chroot's server sees its own root: /proc/<pid>/root leads back to the host path.
  const root = fs.readlinkSync(`/proc/${pid}/root`);
  const dir = path.join(root, path.dirname(defaults));
  const gone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!commandLine(pid)) return true;
      await sleep(100);
    }
    return !commandLine(pid);
  };
  process.kill(pid, 'SIGTERM');
  if (!(await gone(STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGKILL');
    await gone(KILL_TIMEOUT_MS);
  }
  fs.rmSync(dir, {recursive: true, force: true});
  return dir;
}
