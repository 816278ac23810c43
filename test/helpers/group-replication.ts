/*
 * A private, throw-away MySQL 9.7 Group Replication group on free loopback ports (single-primary, 3 members by
 * default), for test/cluster/group-replication.test.ts and `npm run bench:replicas`. The recipe, its timings and its
 * pitfalls are in ../shared/spec/mysql-replication-notes.md:
 * - every member runs from the MySQL 9.7 chroot (../servers/kinds.ts), `--defaults-file` first, with its data
 *   directory, config, socket and error log in one temporary directory inside the chroot;
 * - members start with super_read_only=ON and start_on_boot=OFF: a restarted member never accepts a write before it
 *   is back in the group; the users are created once on the bootstrapped primary and reach the joiners through
 *   distributed recovery;
 * - group_replication_member_expel_timeout=0: a killed member leaves the group ~6 s after `kill -9` (about 21 s with
 *   the default of 5);
 * - teardown is SIGKILL of each member's own pid and `rm -rf` (a clean GR shutdown takes ~17 s). Nothing is ever
 *   signalled by name.
 */
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {Connection as PromiseConnection} from 'mysql2/promise';
import {exited, freePort, killOnExit, run, waitFor} from './processes';
import {MYSQL_GTID_OPTIONS} from './mysql-replication';
import {connectRoot, queryOnce} from './root-client';
import {command, ensureInstalled, kind, serverPath, type ServerKind} from '../servers/kinds';

/** The application's login: what a data source of the tests uses (no SUPER, no CONNECTION_ADMIN). */
export const APP_USER = 'app';
export const APP_PASSWORD = 'apppass';
/** The database the application user may create and use. */
export const APP_DATABASE = 'lbts_gr';

export type MemberState = 'ONLINE' | 'RECOVERING' | 'UNREACHABLE' | 'OFFLINE' | 'ERROR';

export interface GroupMember {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The port of its group communication (XCom). */
  readonly xcomPort: number;
  /** `n1`, `n2`, `n3`. */
  readonly name: string;
  /** Its server_uuid (the MEMBER_ID of replication_group_members). */
  readonly uuid: string;
  /** The pid of the running mysqld (of the last start); 0 when it never ran. */
  readonly pid: number;
  readonly running: boolean;
  /** Runs one statement as root on a fresh connection and returns its rows. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement, read by the tests
  query(sql: string, params?: readonly unknown[]): Promise<any>;
  /** A fresh root connection, for several statements in one session; the caller ends it. */
  connect(database?: string): Promise<PromiseConnection>;
  /** Its own MEMBER_STATE as it sees it, or undefined when it does not answer. */
  state(): Promise<MemberState | undefined>;
  /** Resident memory of its mysqld, in MiB (0 when it does not run). */
  rssMiB(): number;
  logTail(lines?: number): string;
}

export interface Group {
  readonly members: readonly GroupMember[];
  readonly kind: ServerKind;
  /** The member that is PRIMARY and ONLINE, as an ONLINE member sees the group; undefined when there is none. */
  primary(): Promise<GroupMember | undefined>;
  /** Waits until `count` members are ONLINE with one PRIMARY among them (as every running member sees it). */
  waitForOnline(count: number, timeoutMs?: number): Promise<GroupMember>;
  /** SIGKILL of member i's own pid; resolves once the process is gone. */
  kill(i: number): Promise<void>;
  /** Starts a killed member again on its data directory, runs START GROUP_REPLICATION and waits until ONLINE. */
  rejoin(i: number): Promise<void>;
  /** `group_replication_set_as_primary()` of member i (a clean switchover). */
  setPrimary(i: number): Promise<void>;
  /** Waits until every ONLINE member has applied what the primary has executed. */
  sync(timeoutMs?: number): Promise<void>;
  /** SIGKILLs every member and removes the temporary directory. */
  destroy(): Promise<void>;
}

export interface GroupOptions {
  /** Members (default 3). */
  members?: number;
  /** group_replication_member_expel_timeout, in seconds (default 0: a dead member leaves the group at once). */
  expelTimeout?: number;
}

const GROUP_NAME = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const READY_TIMEOUT_MS = 60000;
const KILL_TIMEOUT_MS = 10000;
const INIT_TIMEOUT_MS = 120000;
/** START GROUP_REPLICATION of a member killed with -9 blocks 9-16 s (pitfall 11 of the notes). */
const JOIN_TIMEOUT_MS = 45000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Directories of groups still alive: SIGKILLed (by pid) and removed if the test process exits without destroy(). */
const live = killOnExit();

class Member implements GroupMember {
  readonly host = '127.0.0.1' as const;
  uuid = '';
  child: ChildProcess | undefined;
  /** Host paths. */
  readonly cnf: string;
  readonly datadir: string;
  readonly errorLog: string;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly xcomPort: number,
    private readonly k: ServerKind,
    dir: string,
  ) {
    this.cnf = path.join(dir, `${name}.cnf`);
    this.datadir = path.join(dir, name);
    this.errorLog = path.join(dir, `${name}.err`);
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Writes the option file: the notes' trimmed settings plus the group's. */
  writeConfig(serverId: number, seeds: string, expelTimeout: number): void {
    const inner = (p: string) => serverPath(this.k, p);
    fs.writeFileSync(
      this.cnf,
      [
        '[mysqld]',
        'user=root',
        `datadir=${inner(this.datadir)}`,
        `socket=${inner(this.datadir)}.sock`,
        `pid-file=${inner(this.datadir)}.pid`,
        `log-error=${inner(this.errorLog)}`,
        `port=${this.port}`,
        'bind-address=127.0.0.1',
        'mysqlx=OFF',
        'secure-file-priv=',
        `server-id=${serverId}`,
        // GTIDs and the trimmed memory of the async replication topology (~450 MB per member instead of ~570 MB).
        ...MYSQL_GTID_OPTIONS,
        'innodb-buffer-pool-size=64M',
        `report-port=${this.port}`,
        `relay-log=${this.name}-relay-bin`,
        // Never writable outside the group: GR lifts it on the primary only.
        'super-read-only=ON',
        'disabled-storage-engines=MyISAM,BLACKHOLE,FEDERATED,ARCHIVE,MEMORY',
        'plugin-load-add=group_replication.so',
        // loose-: --initialize does not load the plugin (pitfall 2).
        `loose-group-replication-group-name=${GROUP_NAME}`,
        'loose-group-replication-start-on-boot=OFF',
        'loose-group-replication-bootstrap-group=OFF',
        `loose-group-replication-local-address=127.0.0.1:${this.xcomPort}`,
        `loose-group-replication-group-seeds=${seeds}`,
        'loose-group-replication-ip-allowlist=127.0.0.1/8',
        'loose-group-replication-single-primary-mode=ON',
        'loose-group-replication-recovery-get-public-key=ON',
        `loose-group-replication-member-expel-timeout=${expelTimeout}`,
        'loose-group-replication-message-cache-size=134217728',
        '',
      ].join('\n'),
    );
    fs.chmodSync(this.cnf, 0o644);
  }

  async initialize(): Promise<void> {
    fs.mkdirSync(this.datadir);
    const argv = [
      this.k.daemon,
      `--defaults-file=${serverPath(this.k, this.cnf)}`,
      '--initialize-insecure',
    ];
    const c = command(this.k, argv);
    try {
      await run(c.file, c.args, INIT_TIMEOUT_MS);
    } catch (err) {
      throw new Error(
        `initializing ${this.name} failed: ${(err as Error).message}\n${this.logTail()}`,
        {cause: err},
      );
    }
  }

  /** Starts mysqld and waits until root can log in and it is our server that answers. */
  async launch(): Promise<void> {
    if (this.running) throw new Error(`${this.name} already runs (pid ${this.pid})`);
    // --defaults-file must be the first argument, so that no other option file is read.
    const c = command(this.k, [this.k.daemon, `--defaults-file=${serverPath(this.k, this.cnf)}`]);
    const proc = spawn(c.file, c.args, {stdio: 'ignore'});
    proc.on('error', () => undefined);
    this.child = proc;
    if (proc.pid === undefined) {
      await exited(proc, 1000);
      throw new Error(`could not start ${this.k.daemon} for ${this.name}`);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.running) {
        throw new Error(
          `${this.name} (pid ${proc.pid}, port ${this.port}) exited (${proc.exitCode ?? proc.signalCode}):\n${this.logTail()}`,
        );
      }
      try {
        const [{d, u}] = await queryOnce(this.port, 'SELECT @@datadir AS d, @@server_uuid AS u');
        if (path.resolve(String(d)) !== path.resolve(serverPath(this.k, this.datadir))) {
          throw new Error(`port ${this.port} is answered by a server with datadir ${d}`);
        }
        this.uuid = String(u);
        return;
      } catch (err) {
        if ((err as Error).message.startsWith('port ')) {
          await this.kill();
          throw err;
        }
        if (Date.now() > deadline) {
          await this.kill();
          throw new Error(
            `${this.name} (pid ${proc.pid}) did not accept connections within ${READY_TIMEOUT_MS} ms ` +
              `(${(err as Error).message}):\n${this.logTail()}`,
            {cause: err},
          );
        }
      }
      await sleep(100);
    }
  }

  async kill(): Promise<void> {
    const proc = this.child;
    if (!proc || !this.running) return;
    process.kill(proc.pid as number, 'SIGKILL');
    if (!(await exited(proc, KILL_TIMEOUT_MS))) {
      throw new Error(
        `${this.name} (pid ${proc.pid}) still runs ${KILL_TIMEOUT_MS} ms after SIGKILL`,
      );
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any statement, read by the tests
  query(sql: string, params?: readonly unknown[]): Promise<any> {
    return queryOnce(this.port, sql, params);
  }

  connect(database?: string): Promise<PromiseConnection> {
    return connectRoot(this.port, database);
  }

  async state(): Promise<MemberState | undefined> {
    if (!this.running) return undefined;
    try {
      const rows = await this.query(
        'SELECT MEMBER_STATE AS s FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid',
      );
      return rows[0]?.s;
    } catch {
      return undefined;
    }
  }

  rssMiB(): number {
    if (!this.running) return 0;
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Math.round(Number(kb) / 1024) : 0;
    } catch {
      return 0;
    }
  }

  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.errorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no error log)';
    }
  }
}

const RECOVERY_CHANNEL_SQL =
  "CHANGE REPLICATION SOURCE TO SOURCE_USER='grrepl', SOURCE_PASSWORD='grpass' " +
  "FOR CHANNEL 'group_replication_recovery'";

/** Members as an ONLINE member sees the group: `port:STATE:ROLE`, for messages. */
async function describeGroup(members: readonly Member[]): Promise<string> {
  const parts: string[] = [];
  for (const m of members) {
    if (!m.running) {
      parts.push(`${m.name}: not running`);
      continue;
    }
    try {
      const rows = await m.query(
        'SELECT MEMBER_PORT AS p, MEMBER_STATE AS s, MEMBER_ROLE AS r FROM performance_schema.replication_group_members ORDER BY MEMBER_PORT',
      );
      parts.push(
        `${m.name} sees ${rows.map((r: {p: number; s: string; r: string}) => `${r.p}:${r.s}:${r.r}`).join(',')}`,
      );
    } catch (err) {
      parts.push(`${m.name}: ${(err as Error).message}`);
    }
  }
  return parts.join('; ');
}

/**
 * Initializes `members` data directories (in parallel), starts them, bootstraps the group on the first and joins
 * the others one after the other. About 12 s for 3 members on a 2-core machine.
 */
export async function startGroupReplication(options: GroupOptions = {}): Promise<Group> {
  const count = options.members ?? 3;
  const k = kind('mysql-9.7');
  await ensureInstalled(k);
  const base = path.join(k.root, 'var/lib/lbts');
  fs.mkdirSync(base, {recursive: true});
  const dir = fs.mkdtempSync(path.join(base, 'gr-'));
  const members: Member[] = [];
  const entry = {dir, pids: () => members.filter((m) => m.running).map((m) => m.pid)};
  live.add(entry);

  const memberAt = (i: number): Member => {
    const m = members[i];
    if (!m) throw new Error(`no member ${i} (the group has ${members.length})`);
    return m;
  };

  const destroy = async (): Promise<void> => {
    try {
      await Promise.all(members.map((m) => m.kill().catch(() => undefined)));
    } finally {
      live.delete(entry);
      fs.rmSync(dir, {recursive: true, force: true});
    }
  };

  const viewOf = async (m: Member) =>
    (await m.query(
      `SELECT MEMBER_ID AS id, MEMBER_STATE AS state, MEMBER_ROLE AS role,
              (SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID = @@server_uuid) AS self
         FROM performance_schema.replication_group_members`,
    )) as {id: string; state: string; role: string; self: string}[];

  const primary = async (): Promise<Member | undefined> => {
    for (const m of members.filter((x) => x.running)) {
      try {
        const rows = await viewOf(m);
        if (rows[0]?.self !== 'ONLINE') continue;
        const p = rows.find((r) => r.role === 'PRIMARY' && r.state === 'ONLINE');
        if (p) return members.find((x) => x.uuid === p.id);
      } catch {
        // try the next one
      }
    }
    return undefined;
  };

  const waitForOnline = async (n: number, timeoutMs = 30000): Promise<Member> => {
    let found: Member | undefined;
    await waitFor(
      async () => {
        for (const m of members.filter((x) => x.running)) {
          const rows = await viewOf(m);
          const online = rows.filter((r) => r.state === 'ONLINE');
          if (rows[0]?.self !== 'ONLINE' || rows.length !== n || online.length !== n) return false;
          const p = rows.find((r) => r.role === 'PRIMARY');
          found = members.find((x) => x.uuid === p?.id);
          if (!found) return false;
        }
        return true;
      },
      timeoutMs,
      () => `${n} members ONLINE`,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await describeGroup(members)}`);
    });
    return found as Member;
  };

  const join = async (m: Member, bootstrap: boolean): Promise<void> => {
    const connection = await m.connect();
    try {
      if (bootstrap) await connection.query('SET GLOBAL group_replication_bootstrap_group = ON');
      try {
        await connection.query('START GROUP_REPLICATION');
      } finally {
        if (bootstrap) await connection.query('SET GLOBAL group_replication_bootstrap_group = OFF');
      }
    } catch (err) {
      throw new Error(
        `START GROUP_REPLICATION on ${m.name} failed: ${(err as Error).message}\n${m.logTail()}`,
        {cause: err},
      );
    } finally {
      await connection.end().catch(() => undefined);
    }
    let state: MemberState | undefined;
    await waitFor(
      async () => (state = await m.state()) === 'ONLINE',
      JOIN_TIMEOUT_MS,
      () => `${m.name} ONLINE (it is ${state ?? 'not answering'}):\n${m.logTail()}`,
    );
  };

  try {
    for (let i = 0; i < count; i++) {
      members.push(new Member(`n${i + 1}`, await freePort(), await freePort(), k, dir));
    }
    const seeds = members.map((m) => `127.0.0.1:${m.xcomPort}`).join(',');
    members.forEach((m, i) => m.writeConfig(101 + i, seeds, options.expelTimeout ?? 0));
    await Promise.all(members.map((m) => m.initialize()));
    await Promise.all(members.map((m) => m.launch()));
    // Allowed under super_read_only, and binlogs nothing: no errant transaction (pitfall 6).
    for (const m of members) await m.query(RECOVERY_CHANNEL_SQL);
    const first = memberAt(0);
    await join(first, true);
    // The bootstrapped member is the primary and writable: users and database once, the joiners get them.
    await first.query("CREATE USER 'grrepl'@'%' IDENTIFIED WITH caching_sha2_password BY 'grpass'");
    await first.query(
      "GRANT REPLICATION SLAVE, CONNECTION_ADMIN, BACKUP_ADMIN, GROUP_REPLICATION_STREAM ON *.* TO 'grrepl'@'%'",
    );
    await first.query(
      `CREATE USER '${APP_USER}'@'%' IDENTIFIED WITH caching_sha2_password BY '${APP_PASSWORD}'`,
    );
    await first.query(`GRANT ALL ON \`${APP_DATABASE}\`.* TO '${APP_USER}'@'%'`);
    for (const m of members.slice(1)) await join(m, false);
    await waitForOnline(count);

    const group: Group = {
      members,
      kind: k,
      primary,
      waitForOnline,
      kill: (i) => memberAt(i).kill(),
      async rejoin(i) {
        const m = memberAt(i);
        if (m.running) throw new Error(`${m.name} still runs (pid ${m.pid})`);
        await m.launch();
        await join(m, false);
      },
      async setPrimary(i) {
        const target = memberAt(i);
        const via = (await primary()) ?? target;
        await via.query('SELECT group_replication_set_as_primary(?) AS r', [target.uuid]);
      },
      async sync(timeoutMs = 20000) {
        const p = await primary();
        if (!p) throw new Error(`no primary: ${await describeGroup(members)}`);
        const [{g}] = await p.query('SELECT @@GLOBAL.gtid_executed AS g');
        for (const m of members.filter((x) => x.running && x !== p)) {
          if ((await m.state()) !== 'ONLINE') continue;
          const [{w}] = await m.query('SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w', [
            g,
            timeoutMs / 1000,
          ]);
          if (Number(w) !== 0)
            throw new Error(`${m.name} did not apply ${g} within ${timeoutMs} ms`);
        }
      },
      destroy,
    };
    return group;
  } catch (err) {
    await destroy();
    throw err;
  }
}
