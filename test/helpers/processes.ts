/*
 * Process, port and data-directory helpers shared by the private-server and cluster test helpers.
 */
import {type ChildProcess, execFile} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const handedOut = new Set<number>();

/** Whether `port` can be bound on 127.0.0.1 right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port free on 127.0.0.1, below the usual ephemeral range (32768+), so that no outgoing connection grabs it
 * between now and the server's bind; never the same one twice in this process.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 15000 + Math.floor(Math.random() * 15000);
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found on 127.0.0.1');
}

export function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, {timeout: timeoutMs, killSignal: 'SIGKILL'}, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(
        new Error(
          `${file} ${args.join(' ')} failed (${err.killed ? `killed after ${timeoutMs} ms` : err.message}):\n${stdout}\n${stderr}`,
        ),
      );
    });
  });
}

/** Resolves once `child` has exited, or after `timeoutMs` with false. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

const INSTALL_DB = process.env.MARIADB_INSTALL_DB ?? 'mariadb-install-db';
const INSTALL_TIMEOUT_MS = 60000;

/** Initializes a small data directory owned by `user`, whose root logs in over TCP without a password. */
export async function installDataDir(datadir: string, user: string): Promise<void> {
  await run(
    INSTALL_DB,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--user=${user}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
    ],
    INSTALL_TIMEOUT_MS,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every 100 ms until it returns true; throws with `what()` after `timeoutMs`, or at once with what
 * `abort()` returns when it returns something (a process that exited, say).
 */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: () => string,
  abort?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const aborted = abort?.();
    if (aborted) throw new Error(aborted);
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms: ${what()}` +
          (last ? ` (last error: ${(last as Error).message})` : ''),
      );
    }
    await sleep(100);
  }
}

/** A directory of private servers, and the pids to SIGKILL if the test process exits before it is destroyed. */
export interface LiveDir {
  dir: string;
  pids: () => number[];
}

/**
 * Directories of private servers still alive: on exit, their pids (and, with `alsoKill`, whatever else it finds for
 * the directory) are SIGKILLed and the directories removed. Add an entry when a topology starts, delete it when it
 * is destroyed.
 */
export function killOnExit(alsoKill: (dir: string) => number[] = () => []): Set<LiveDir> {
  const live = new Set<LiveDir>();
  process.on('exit', () => {
    for (const entry of live) {
      for (const pid of [...entry.pids(), ...alsoKill(entry.dir)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        fs.rmSync(entry.dir, {recursive: true, force: true});
      } catch {
        // best effort
      }
    }
  });
  return live;
}
