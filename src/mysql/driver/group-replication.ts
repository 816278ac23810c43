import createDebug from 'debug';
import mysql2, {
  type Connection,
  type ConnectionOptions,
  type PoolCluster,
  type PoolConnection,
  type PoolOptions,
} from 'mysql2';
import {SqlConnectorError} from '../../sql-connector/errors';
import {MySqlError, toMySqlError} from '../errors';
import {
  GROUP_MEMBERS_SQL,
  memberProbe,
  NOT_LOOKED,
  readGroupView,
  type GroupView,
  type MemberProbe,
} from './group-members';
import {clusterIdOf, destroySocket, isCheckedOut} from './mysql2-internals';
import {promised} from './promised';
import type {ConnectionSource, Selector} from './types';

const debug = createDebug('loopback:connector:mysql:group-replication');

/*
 * MySQL Group Replication in single-primary mode (the core of InnoDB Cluster): which member takes writes and which
 * take reads, as the group itself says in performance_schema.replication_group_members, asked of every configured
 * member on a timer and at once after a failure.
 *
 * - Writes, DDL and transactions go to the member that is PRIMARY and ONLINE; reads to the ONLINE secondaries (the
 *   connector falls back to the primary when there is none). RECOVERING, UNREACHABLE, OFFLINE and ERROR members,
 *   and members this process cannot reach, get nothing.
 * - A view is trusted only from a member that is itself ONLINE (a member outside the group sees only itself), and
 *   only when a majority of the group is reachable: a minority still answers, but would take writes that hang and
 *   serve reads that go stale. Without a majority nothing is sent at all (as MySQL Router does by default), and the
 *   writes that were already waiting on the minority's primary are abandoned with a 503.
 * - While there is no primary (an election, or the primary died and the group has not noticed yet: ~5 s with XCom),
 *   writes fail at once with a 503 and the group is looked at every FAST_REFRESH_MS until a primary is there.
 */

/** How often the group is looked at while it has no primary (a failover under way), in ms. */
const FAST_REFRESH_MS = 200;
/** The longest one member may take to answer a look at the group, in ms (its connectTimeout when shorter). */
const PROBE_TIMEOUT_MS = 2000;

/** How one member is reached. */
export interface GroupReplicationOptions {
  /** Pool options of each member, in the order of the `nodes` setting. */
  readonly members: readonly PoolOptions[];
  /** How reads pick an ONLINE secondary. */
  readonly selector: Selector;
  /** Milliseconds between two looks at the group while it has a primary. */
  readonly refreshInterval: number;
}

/** Driver codes of a member that is down or cut off: it gets no traffic until a look at the group says otherwise. */
const MEMBER_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'CONNECTION_CLOSED',
]);

/** Codes of this module's own 503s. */
const OWN = new Set<string>(['NO_PRIMARY', 'NO_QUORUM', 'NO_MEMBER', 'NO_SECONDARY']);

/** Whether a failed statement tells something about the group: a member that is down, or a write refused as read-only. */
function worthALook(err: unknown): boolean {
  if (!(err instanceof MySqlError)) return false;
  return MEMBER_DOWN.has(err.code) || (err.errno === 1290 && err.statusCode === 503);
}

/**
 * The members of one group behind one data source: a pool per member (in a mysql2 PoolCluster, so that KILL QUERY
 * finds the member of a connection), a monitor connection per member, and the view that routes statements.
 */
export class GroupReplication {
  /** The pools, one per member: `MEMBER0`, `MEMBER1`... */
  readonly cluster: PoolCluster;
  /** Writes: the primary, or a 503 at once while there is none. */
  readonly writer: ConnectionSource;
  /** Reads: an ONLINE secondary (the next one when a member fails), or a 503 `NO_SECONDARY` when none answers. */
  readonly reader: ConnectionSource;
  /** Any member that takes statements, the primary first: where the server is checked at connect time. */
  readonly anyMember: ConnectionSource;
  private readonly ids: readonly string[];
  private readonly names: readonly string[];
  private readonly members: readonly PoolOptions[];
  private readonly monitorOptions: readonly ConnectionOptions[];
  private readonly monitors: (Connection | undefined)[];
  private readonly probeTimeout: number;
  private view: GroupView = NOT_LOOKED;
  /** When the current primary became the view's primary (0: none). */
  private primarySince = 0;
  /** Members whose connections failed, and when: they get nothing until a look that started later. */
  private readonly suspects = new Map<number, number>();
  /** Connections handed out by the writer: abandoned when the group loses its majority. */
  private readonly writes = new Set<PoolConnection>();
  private looking: {started: number; done: Promise<GroupView>} | undefined;
  private queued: Promise<GroupView> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private turn = 0;

  constructor(private readonly options: GroupReplicationOptions) {
    this.members = options.members;
    this.ids = options.members.map((_, i) => `MEMBER${i}`);
    this.names = options.members.map((m) =>
      m.socketPath ? m.socketPath : `${m.host ?? 'localhost'}:${m.port ?? 3306}`,
    );
    this.cluster = mysql2.createPoolCluster({
      // Routing is this class's: the cluster only holds the pools and never takes one out of rotation itself.
      canRetry: false,
      removeNodeErrorCount: Infinity,
      defaultSelector: 'ORDER',
    });
    options.members.forEach((m, i) => this.cluster.add(this.ids[i] as string, m));
    const connectTimeout = Math.min(
      ...options.members.map((m) => Number(m.connectTimeout ?? 10000) || 10000),
    );
    this.probeTimeout = Math.min(PROBE_TIMEOUT_MS, connectTimeout);
    this.monitorOptions = options.members.map((m) => {
      const {database: _database, ...rest} = m;
      return {...rest, connectTimeout: this.probeTimeout};
    });
    this.monitors = options.members.map(() => undefined);
    this.writer = {getConnection: (cb) => this.writeConnection(cb)};
    this.reader = {getConnection: (cb) => this.readConnection(cb)};
    this.anyMember = {
      getConnection: (cb) =>
        this.writeConnection((err, connection) =>
          err ? this.readConnection(cb) : cb(null, connection),
        ),
    };
  }

  /** The view statements are routed by (for tests and the debug log). */
  get current(): GroupView {
    return this.view;
  }

  /**
   * The first look at the group. Fails when no member can be asked: with the first member's error, or with a
   * clear 500 when the user may not read replication_group_members or the servers have no Group Replication.
   */
  async start(): Promise<void> {
    const probes = await Promise.all(this.members.map((_, i) => this.probe(i)));
    const view = this.install(readGroupView(probes, this.names), Date.now());
    this.schedule();
    if (probes.some((p) => 'uuid' in p)) {
      if (view.primary === undefined && view.secondaries.length === 0) throw this.unavailable();
      return;
    }
    const errors = probes.map((p) => ('error' in p ? p.error : undefined));
    const denied = errors.find((e) => (e as {errno?: unknown})?.errno === 1142);
    if (denied) {
      const user = this.members[0]?.user ?? 'the user';
      throw new SqlConnectorError(
        `cluster 'group-replication': ${user} may not read performance_schema.replication_group_members, where ` +
          `the connector finds the primary. Grant it: GRANT SELECT ON performance_schema.replication_group_members ` +
          `TO '${user}'@'%'`,
        {code: 'GROUP_MEMBERS_DENIED', statusCode: 500, cause: denied},
      );
    }
    const missing = errors.find((e) => (e as {errno?: unknown})?.errno === 1146);
    if (missing) {
      throw new SqlConnectorError(
        `cluster 'group-replication': ${this.names.join(', ')} have no performance_schema.replication_group_members; ` +
          `they are not MySQL servers with Group Replication (for Galera, leave out cluster or set it to 'galera')`,
        {code: 'NOT_GROUP_REPLICATION', statusCode: 500, cause: missing},
      );
    }
    throw errors[0] ?? this.unavailable();
  }

  /** The pool options of the current primary (CREATE DATABASE at connect time); a 503 while there is none. */
  primaryOptions(): PoolOptions {
    const i = this.view.primary;
    const options = i === undefined ? undefined : this.members[i];
    if (!options) throw this.unavailable();
    return options;
  }

  /**
   * After an autocommit statement failed without being applied (no connection, or refused as read-only), begun at
   * `since` (ms): the writer when a new primary has been found since, so it runs there once more; otherwise the
   * error to fail with (a 503 naming the group's problem while it has no primary).
   */
  async reroute(err: Error, since: number): Promise<ConnectionSource | Error> {
    const own = OWN.has((err as {code?: string}).code ?? '');
    const view = own ? this.view : await this.look(Date.now());
    if (view.primary !== undefined && this.primarySince > since) {
      debug('a new primary (%s): running the statement there once more', this.names[view.primary]);
      return this.writer;
    }
    return view.primary === undefined ? this.unavailable() : err;
  }

  /** A statement failed: a member that is down or read-only means the group has changed; look at it now. */
  observe(err: unknown): void {
    if (!this.stopped && worthALook(err)) void this.look(Date.now());
  }

  /** Stops looking at the group and closes the monitor connections (the pools are ended with the cluster). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.monitors.forEach((_, i) => this.dropMonitor(i));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Routing
  // ---------------------------------------------------------------------------------------------------------------

  private writeConnection(
    cb: (err: NodeJS.ErrnoException | null, connection: PoolConnection) => void,
  ): void {
    const i = this.view.primary;
    if (i === undefined || this.suspects.has(i)) {
      const err = this.unavailable();
      return process.nextTick(() => cb(err, undefined as unknown as PoolConnection));
    }
    this.cluster.of(this.ids[i] as string).getConnection((err, connection) => {
      if (err) return cb(this.memberFailed(i, err), connection);
      this.writes.add(connection);
      if (this.writes.size > 256) this.forgetReleased();
      cb(null, connection);
    });
  }

  private readConnection(
    cb: (err: NodeJS.ErrnoException | null, connection: PoolConnection) => void,
  ): void {
    const candidates = this.view.secondaries.filter((i) => !this.suspects.has(i));
    const n = candidates.length;
    const first =
      n === 0
        ? 0
        : this.options.selector === 'RR'
          ? this.turn++ % n
          : this.options.selector === 'RANDOM'
            ? Math.floor(Math.random() * n)
            : 0;
    const order = [...candidates.slice(first), ...candidates.slice(0, first)];
    let last: Error | undefined;
    const next = (k: number): void => {
      const i = order[k];
      if (i === undefined) {
        const err = new SqlConnectorError(
          `No ONLINE secondary of the group answers${last ? ` (${last.message})` : ''}`,
          {code: 'NO_SECONDARY', statusCode: 503},
        );
        return cb(err, undefined as unknown as PoolConnection);
      }
      this.cluster.of(this.ids[i] as string).getConnection((err, connection) => {
        if (!err) return cb(null, connection);
        last = this.memberFailed(i, err);
        next(k + 1);
      });
    };
    next(0);
  }

  /** A member gave no connection: when it looks down, it gets nothing until the group has been looked at again. */
  private memberFailed(i: number, err: unknown): Error {
    const error = toMySqlError(err);
    if (MEMBER_DOWN.has((error as {code?: string}).code ?? '')) {
      debug(
        '%s is down (%s): looking at the group',
        this.names[i],
        (error as {code?: string}).code,
      );
      this.suspects.set(i, Date.now());
      void this.look(Date.now());
    }
    return error;
  }

  /** The 503 of the view's problem (or of a primary that just failed to give a connection). */
  private unavailable(): SqlConnectorError {
    const view = this.view;
    const i = view.primary;
    if (i !== undefined) {
      return new SqlConnectorError(
        `The primary ${this.names[i]} does not answer; looking at the group again`,
        {code: 'NO_PRIMARY', statusCode: 503},
      );
    }
    const problem = view.problem ?? NOT_LOOKED.problem;
    return new SqlConnectorError(`${problem?.message}. Retry later`, {
      code: problem?.code ?? 'NO_MEMBER',
      statusCode: 503,
    });
  }

  private forgetReleased(): void {
    for (const c of this.writes) if (!isCheckedOut(c)) this.writes.delete(c);
  }

  /**
   * The group lost its majority: the writes waiting on its primary would wait for as long as that lasts. Their
   * connections are closed, and each statement fails with a 503 whose outcome is unknown (the group may still
   * commit it once a majority is back). Transactions holding a connection fail on their next statement.
   */
  private abandonWrites(reason: string): void {
    let count = 0;
    for (const c of this.writes) {
      this.writes.delete(c);
      if (!isCheckedOut(c)) continue;
      const member = clusterIdOf(c);
      const err = new SqlConnectorError(
        `${reason}. The statement on ${this.names[this.ids.indexOf(member ?? '')] ?? 'the primary'} was ` +
          'abandoned: whether it was applied is unknown',
        {code: 'NO_QUORUM', statusCode: 503},
      );
      destroySocket(c, err);
      count++;
    }
    if (count > 0) debug('no majority: abandoned %d connections of writes', count);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Looking at the group
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * A look at the group that starts at `since` or later: the look under way when it started later, else the next
   * one (queued behind the one under way). Never rejects.
   */
  private look(since = 0): Promise<GroupView> {
    // After stop(), nothing opens a monitor connection again (a late failure of a pool connection would).
    if (this.stopped) return Promise.resolve(this.view);
    const running = this.looking;
    if (running) {
      if (running.started > since || since === 0) return running.done;
      this.queued ??= running.done.then(() => {
        this.queued = undefined;
        return this.look();
      });
      return this.queued;
    }
    const started = Date.now();
    const done = Promise.all(this.members.map((_, i) => this.probe(i)))
      .then((probes) => this.install(readGroupView(probes, this.names), started))
      .catch((err: unknown) => {
        debug('looking at the group failed: %s', (err as Error).message);
        return this.view;
      })
      .finally(() => {
        if (this.looking?.done === done) this.looking = undefined;
        this.schedule();
      });
    this.looking = {started, done};
    return done;
  }

  private install(view: GroupView, started: number): GroupView {
    const previous = this.view;
    this.view = view;
    if (view.primary !== previous.primary)
      this.primarySince = view.primary === undefined ? 0 : Date.now();
    for (const [i, at] of this.suspects) if (at < started) this.suspects.delete(i);
    if (
      view.primary !== previous.primary ||
      view.problem?.code !== previous.problem?.code ||
      view.secondaries.join() !== previous.secondaries.join()
    ) {
      debug(
        'the group: %s%s',
        view.members.join(', '),
        view.problem ? ` (${view.problem.message})` : '',
      );
    }
    if (view.problem?.code === 'NO_QUORUM') this.abandonWrites(view.problem.message);
    return view;
  }

  /** The next look: soon while there is no primary, else after refreshInterval. */
  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const ms =
      this.view.primary === undefined
        ? Math.min(FAST_REFRESH_MS, this.options.refreshInterval)
        : this.options.refreshInterval;
    this.timer = setTimeout(() => void this.look(), ms);
    this.timer.unref();
  }

  /** Asks member i for the group, on its monitor connection (opened when missing), within probeTimeout. */
  private probe(i: number): Promise<MemberProbe> {
    return promised((member: number, done: (err: null, probe: MemberProbe) => void) => {
      let connection = this.monitors[member];
      if (!connection) {
        connection = mysql2.createConnection(this.monitorOptions[member] as ConnectionOptions);
        const opened = connection;
        opened.on('error', () => this.dropMonitor(member, opened));
        this.monitors[member] = opened;
      }
      const monitor = connection;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.dropMonitor(member, monitor);
        done(null, {error: toMySqlError(err, GROUP_MEMBERS_SQL)});
      };
      const timer = setTimeout(
        () =>
          fail(
            new SqlConnectorError(
              `${this.names[member]} did not answer within ${this.probeTimeout} ms`,
              {code: 'ETIMEDOUT', statusCode: 503},
            ),
          ),
        this.probeTimeout,
      );
      monitor.query(GROUP_MEMBERS_SQL, (err, result) => {
        if (err) return fail(err);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(null, memberProbe(result as Record<string, unknown>[]));
      });
    }, i);
  }

  private dropMonitor(i: number, connection?: Connection): void {
    const current = this.monitors[i];
    if (!current || (connection && connection !== current)) return;
    this.monitors[i] = undefined;
    current.destroy();
  }
}
