/*
 * The database servers the tests run against, and how to get each one on this machine without Docker:
 *
 * - `mariadb-10.11`: the system's own MariaDB (Debian 12), its binaries in /usr;
 * - `mariadb-11.8`: MariaDB from Debian trixie, in a chroot built by mmdebstrap;
 * - `mysql-9.7`: MySQL 9.7 LTS from Debian sid, in a chroot built by mmdebstrap.
 *
 * A chroot is built once into LBTS_CACHE (default /var/cache/lbts) and reused by every later run; building one takes
 * 10-20 s and needs the `mmdebstrap` package and Debian's package registry. See ../../../shared/spec/servers.md.
 * The servers themselves are started by ./private-server.ts, and from the shell by ./server.ts.
 */
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type Flavour = 'mariadb' | 'mysql';

export interface ServerKind {
  /** `mariadb-10.11`, `mariadb-11.8`, `mysql-9.7`. */
  readonly name: KindName;
  readonly flavour: Flavour;
  /** `/` for the system's server, else the chroot's directory. */
  readonly root: string;
  /** The server binary, as seen inside `root`. */
  readonly daemon: string;
  /** The option-file group the server reads (`[mariadbd]`, `[mysqld]`). */
  readonly group: string;
  /** Option-file lines every start needs on this kind (beside port, datadir, socket, logs). */
  readonly baseOptions: readonly string[];
  /** The command that initializes an empty data directory for `user` (paths as seen inside `root`). */
  initCommand(datadir: string, defaultsFile: string, user: string): string[];
}

export const KIND_NAMES = ['mariadb-10.11', 'mariadb-11.8', 'mysql-9.7'] as const;
export type KindName = (typeof KIND_NAMES)[number];

/** Where built chroots are kept between runs. */
export const CACHE_DIR = process.env.LBTS_CACHE ?? '/var/cache/lbts';

const DEBIAN_MIRROR = process.env.LBTS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

interface ChrootRecipe {
  suite: string;
  packages: string[];
}

const RECIPES: Partial<Record<KindName, ChrootRecipe>> = {
  'mariadb-11.8': {suite: 'trixie', packages: ['mariadb-server-core', 'mariadb-client-core']},
  'mysql-9.7': {suite: 'sid', packages: ['mysql-server-core', 'mysql-client-core']},
};

/** MariaDB's install-db: root logs in over TCP with no password, no test database. */
const mariadbInit = (datadir: string, defaultsFile: string, user: string): string[] => [
  'mariadb-install-db',
  `--defaults-file=${defaultsFile}`,
  `--datadir=${datadir}`,
  `--user=${user}`,
  '--auth-root-authentication-method=normal',
  '--skip-test-db',
  '--skip-name-resolve',
];

const MARIADB_OPTIONS = [
  'skip-name-resolve',
  'skip-log-bin',
  'innodb-buffer-pool-size=32M',
  'innodb-log-file-size=16M',
];

export function kind(name: string): ServerKind {
  switch (name) {
    case 'mariadb-10.11':
      return {
        name,
        flavour: 'mariadb',
        root: '/',
        daemon: process.env.MARIADBD ?? '/usr/sbin/mariadbd',
        group: '[mariadbd]',
        baseOptions: MARIADB_OPTIONS,
        initCommand: mariadbInit,
      };
    case 'mariadb-11.8':
      return {
        name,
        flavour: 'mariadb',
        root: path.join(CACHE_DIR, name),
        daemon: '/usr/sbin/mariadbd',
        group: '[mariadbd]',
        baseOptions: MARIADB_OPTIONS,
        initCommand: mariadbInit,
      };
    case 'mysql-9.7':
      return {
        name,
        flavour: 'mysql',
        root: path.join(CACHE_DIR, name),
        daemon: '/usr/sbin/mysqld',
        group: '[mysqld]',
        baseOptions: [
          // The X plugin would open port 33060; a missing secure-file-priv directory aborts the start.
          'mysqlx=OFF',
          'secure-file-priv=',
          // No skip-name-resolve: root@localhost must match TCP logins from 127.0.0.1.
          'disable-log-bin',
          'innodb-buffer-pool-size=64M',
        ],
        initCommand: (datadir, defaultsFile, user) => [
          '/usr/sbin/mysqld',
          `--defaults-file=${defaultsFile}`,
          '--initialize-insecure',
          `--datadir=${datadir}`,
          `--user=${user}`,
        ],
      };
    default:
      throw new Error(`unknown server kind '${name}': one of ${KIND_NAMES.join(', ')}`);
  }
}

/** The kind that private servers of the fault and cluster tests start: LBTS_SERVER, else the system's MariaDB. */
export function privateKind(): ServerKind {
  return kind(process.env.LBTS_SERVER ?? 'mariadb-10.11');
}

/** Whether the kind runs in a chroot (every path the server sees is then relative to `root`). */
export const inChroot = (k: ServerKind): boolean => k.root !== '/';

/** A host path inside the kind's root, as the server sees it. */
export function serverPath(k: ServerKind, hostPath: string): string {
  if (!inChroot(k)) return hostPath;
  const relative = path.relative(k.root, hostPath);
  if (relative.startsWith('..')) throw new Error(`${hostPath} is outside the chroot ${k.root}`);
  return `/${relative}`;
}

/** The command line that runs `argv` (paths as the server sees them) for this kind. */
export function command(k: ServerKind, argv: readonly string[]): {file: string; args: string[]} {
  // `chroot` exec()s the program, so the pid of the child is the server's own pid.
  if (inChroot(k)) return {file: 'chroot', args: [k.root, ...argv]};
  return {file: argv[0] as string, args: argv.slice(1)};
}

function exec(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20},
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
        reject(
          new Error(`${file} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${tail}`),
        );
      },
    );
  });
}

const BUILD_TIMEOUT_MS = 10 * 60_000;

/**
 * Makes sure the kind's server binary is there: for a chroot kind, builds the chroot once (into a temporary
 * directory renamed into place, so that an interrupted build never leaves a half chroot behind).
 */
export async function ensureInstalled(k: ServerKind): Promise<void> {
  const daemon = path.join(k.root, k.daemon);
  if (fs.existsSync(daemon)) return;
  const recipe = RECIPES[k.name];
  if (!recipe) {
    throw new Error(
      `${k.daemon} is missing: install MariaDB (apt-get install mariadb-server) to run the ${k.name} tests`,
    );
  }
  if (!isRoot()) {
    throw new Error(
      `${k.name} runs in a chroot at ${k.root}, which only root can build and enter; ` +
        'run the tests as root, or point MYSQL_URL at a server of your own',
    );
  }
  try {
    await exec('mmdebstrap', ['--version'], 10_000);
  } catch {
    throw new Error(
      `building the ${k.name} chroot needs mmdebstrap: apt-get install -y mmdebstrap (then run again)`,
    );
  }
  fs.mkdirSync(CACHE_DIR, {recursive: true});
  const building = `${k.root}.building-${process.pid}`;
  fs.rmSync(building, {recursive: true, force: true});
  try {
    await exec(
      'mmdebstrap',
      [
        '--variant=apt',
        // Debian's suites in the registry are snapshots whose Release files may have expired.
        '--aptopt=Acquire::Check-Valid-Until "false"',
        `--include=${recipe.packages.join(',')}`,
        recipe.suite,
        building,
        DEBIAN_MIRROR,
      ],
      BUILD_TIMEOUT_MS,
    );
    // mariadb-install-db looks the host name up; the chroot has no /etc/hosts of its own.
    fs.copyFileSync('/etc/hosts', path.join(building, 'etc/hosts'));
    fs.mkdirSync(path.join(building, 'run/mysqld'), {recursive: true});
    try {
      fs.renameSync(building, k.root);
    } catch (err) {
      // Another process finished first: keep its chroot.
      if (!fs.existsSync(daemon)) throw err;
    }
  } finally {
    fs.rmSync(building, {recursive: true, force: true});
  }
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;
