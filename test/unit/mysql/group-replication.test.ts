import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import mysql2, {type PoolConnection} from 'mysql2';
import {SqlConnectorError} from '../../../src';
import {toMySqlError} from '../../../src/mysql/errors';
import {runPooled, type PooledStatement} from '../../../src/mysql/driver/execution';
import {
  readGroupView,
  type GroupMemberRow,
  type MemberProbe,
} from '../../../src/mysql/driver/group-members';
import {GroupReplication} from '../../../src/mysql/driver/group-replication';
import {resolveSettings} from '../../../src/mysql/settings';
import type {ConnectionSource} from '../../../src/mysql/driver/types';

const NAMES = ['db1:3306', 'db2:3306', 'db3:3306'];
const UUID = ['uuid-1', 'uuid-2', 'uuid-3'];

function row(i: number, state: string, role: string): GroupMemberRow {
  return {id: UUID[i] as string, host: `db${i + 1}`, port: 3306, state, role};
}

/** Member i answers with the group as it sees it. */
function sees(i: number, rows: GroupMemberRow[]): MemberProbe {
  return {uuid: UUID[i] as string, rows};
}

function down(code = 'ECONNREFUSED'): MemberProbe {
  return {error: Object.assign(new Error(`connect ${code}`), {code})};
}

const HEALTHY = [
  row(0, 'ONLINE', 'PRIMARY'),
  row(1, 'ONLINE', 'SECONDARY'),
  row(2, 'ONLINE', 'SECONDARY'),
];

describe('readGroupView', () => {
  it('a healthy group: writes to the primary, reads to both secondaries', () => {
    const view = readGroupView([sees(0, HEALTHY), sees(1, HEALTHY), sees(2, HEALTHY)], NAMES);
    assert.equal(view.primary, 0);
    assert.deepEqual(view.secondaries, [1, 2]);
    assert.equal(view.quorum, true);
    assert.equal(view.problem, undefined);
    assert.deepEqual(view.members, [
      'db1:3306 ONLINE PRIMARY',
      'db2:3306 ONLINE SECONDARY',
      'db3:3306 ONLINE SECONDARY',
    ]);
  });

  it('members are matched by server_uuid, not by the order or the host names of the rows', () => {
    const rows = [
      row(2, 'ONLINE', 'PRIMARY'),
      row(0, 'ONLINE', 'SECONDARY'),
      row(1, 'ONLINE', 'SECONDARY'),
    ];
    const view = readGroupView([sees(0, rows), sees(1, rows), sees(2, rows)], NAMES);
    assert.equal(view.primary, 2);
    assert.deepEqual(view.secondaries, [0, 1]);
  });

  it('the primary is dead but the group has not noticed yet: no primary, reads on the survivors', () => {
    const view = readGroupView([down(), sees(1, HEALTHY), sees(2, HEALTHY)], NAMES);
    assert.equal(view.primary, undefined);
    assert.deepEqual(view.secondaries, [1, 2]);
    assert.equal(view.problem?.code, 'NO_PRIMARY');
    assert.match(view.problem?.message ?? '', /The primary db1:3306 does not answer/);
    assert.equal(view.members[0], 'db1:3306 ECONNREFUSED');
  });

  it('the old primary is UNREACHABLE: an election is under way, the majority keeps reading', () => {
    const rows = [
      row(0, 'UNREACHABLE', 'PRIMARY'),
      row(1, 'ONLINE', 'SECONDARY'),
      row(2, 'ONLINE', 'SECONDARY'),
    ];
    const view = readGroupView([down(), sees(1, rows), sees(2, rows)], NAMES);
    assert.equal(view.primary, undefined);
    assert.deepEqual(view.secondaries, [1, 2]);
    assert.equal(view.quorum, true);
    assert.equal(view.problem?.code, 'NO_PRIMARY');
    assert.match(view.problem?.message ?? '', /election/);
  });

  it('after the failover: the new primary takes writes, the other secondary reads', () => {
    const rows = [row(1, 'ONLINE', 'SECONDARY'), row(2, 'ONLINE', 'PRIMARY')];
    const view = readGroupView([down(), sees(1, rows), sees(2, rows)], NAMES);
    assert.equal(view.primary, 2);
    assert.deepEqual(view.secondaries, [1]);
    assert.equal(view.problem, undefined);
  });

  it('RECOVERING members and a restarted member outside the group get nothing', () => {
    const rows = [
      row(0, 'ONLINE', 'PRIMARY'),
      row(1, 'RECOVERING', 'SECONDARY'),
      row(2, 'ONLINE', 'SECONDARY'),
    ];
    const restarted = [{...row(1, 'OFFLINE', ''), host: 'db2'}];
    const view = readGroupView([sees(0, rows), sees(1, restarted), sees(2, rows)], NAMES);
    assert.equal(view.primary, 0);
    assert.deepEqual(view.secondaries, [2]);
    assert.equal(view.members[1], 'db2:3306 RECOVERING SECONDARY');
    // The member's own view (only itself, OFFLINE) is never trusted.
    const alone = readGroupView([down(), sees(1, restarted), down()], NAMES);
    assert.equal(alone.problem?.code, 'NO_MEMBER');
    assert.match(alone.problem?.message ?? '', /db2:3306 not in the group \(OFFLINE\)/);
  });

  it('a member that reaches only a minority: no quorum, nothing gets traffic', () => {
    const rows = [
      row(0, 'ONLINE', 'PRIMARY'),
      row(1, 'UNREACHABLE', 'SECONDARY'),
      row(2, 'UNREACHABLE', 'SECONDARY'),
    ];
    const view = readGroupView([sees(0, rows), down(), down()], NAMES);
    assert.equal(view.primary, undefined);
    assert.deepEqual(view.secondaries, []);
    assert.equal(view.quorum, false);
    assert.equal(view.problem?.code, 'NO_QUORUM');
    assert.match(
      view.problem?.message ?? '',
      /lost its majority: 1 of its 3 members are reachable as db1:3306 sees it/,
    );
  });

  it('a partition: the majority side wins over the member cut off from it', () => {
    const minority = [
      row(0, 'ONLINE', 'PRIMARY'),
      row(1, 'UNREACHABLE', 'SECONDARY'),
      row(2, 'UNREACHABLE', 'SECONDARY'),
    ];
    const majority = [
      row(0, 'UNREACHABLE', 'PRIMARY'),
      row(1, 'ONLINE', 'PRIMARY'),
      row(2, 'ONLINE', 'SECONDARY'),
    ];
    const view = readGroupView([sees(0, minority), sees(1, majority), sees(2, majority)], NAMES);
    assert.equal(view.primary, 1);
    assert.deepEqual(view.secondaries, [2]);
  });

  it("no member answers: NO_MEMBER, with each one's error", () => {
    const view = readGroupView([down(), down('ETIMEDOUT'), down()], NAMES);
    assert.equal(view.problem?.code, 'NO_MEMBER');
    assert.match(
      view.problem?.message ?? '',
      /db1:3306 ECONNREFUSED, db2:3306 ETIMEDOUT, db3:3306 ECONNREFUSED/,
    );
  });

  it('a primary that is not among the configured nodes takes no writes', () => {
    const rows = [
      row(1, 'ONLINE', 'SECONDARY'),
      {id: 'uuid-9', host: 'db9', port: 3306, state: 'ONLINE', role: 'PRIMARY'},
    ];
    const view = readGroupView([down(), sees(1, rows), down()], NAMES);
    assert.equal(view.primary, undefined);
    assert.deepEqual(view.secondaries, [1]);
    assert.match(
      view.problem?.message ?? '',
      /db9:3306 \(uuid-9\) is not one of the configured nodes/,
    );
  });
});

describe('GroupReplication', () => {
  it('before the first look, writes and reads fail at once with a 503', async () => {
    const group = new GroupReplication({
      members: [{host: '127.0.0.1', port: 1}],
      selector: 'RR',
      refreshInterval: 1000,
    });
    try {
      for (const source of [group.writer, group.reader]) {
        const err = await new Promise<Error | null>((resolve) =>
          source.getConnection((e) => resolve(e)),
        );
        assert.ok(err instanceof SqlConnectorError);
        assert.equal(err.statusCode, 503);
      }
    } finally {
      group.stop();
      await new Promise((resolve) => group.cluster.end(resolve));
    }
  });

  it('start() fails with the connection error when no member answers', async () => {
    const group = new GroupReplication({
      members: [{host: '127.0.0.1', port: 1, connectTimeout: 1000}],
      selector: 'RR',
      refreshInterval: 1000,
    });
    try {
      await assert.rejects(group.start(), (err: Error & {code?: string; statusCode?: number}) => {
        assert.equal(err.code, 'ECONNREFUSED');
        assert.equal(err.statusCode, 503);
        return true;
      });
    } finally {
      group.stop();
      await new Promise((resolve) => group.cluster.end(resolve));
    }
  });
});

describe('GroupReplication after stop()', () => {
  it('a late failure looks at nothing: no monitor connection is opened again', async () => {
    const group = new GroupReplication({
      members: [{host: '127.0.0.1', port: 1}],
      selector: 'RR',
      refreshInterval: 1000,
    });
    const driver = mysql2 as unknown as {createConnection: (...args: unknown[]) => unknown};
    const original = driver.createConnection;
    let opened = 0;
    driver.createConnection = (...args: unknown[]) => {
      opened++;
      return original(...args);
    };
    try {
      group.stop();
      const refused = Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'});
      const outcome = await group.reroute(refused, 0);
      group.observe(toMySqlError(refused));
      assert.ok(outcome instanceof SqlConnectorError);
      assert.equal(outcome.statusCode, 503);
      assert.equal(opened, 0);
    } finally {
      driver.createConnection = original;
      await new Promise((resolve) => group.cluster.end(resolve));
    }
  });
});

describe('settings: cluster group-replication', () => {
  const nodes = [{host: 'db1'}, {host: 'db2'}, {host: 'db3'}];

  it('nodes are Galera nodes unless cluster says group-replication', () => {
    assert.equal(resolveSettings({nodes}).cluster, 'galera');
    assert.equal(resolveSettings({nodes, cluster: 'galera'}).cluster, 'galera');
    const r = resolveSettings({nodes, cluster: 'group-replication'});
    assert.equal(r.cluster, 'group-replication');
    assert.equal(r.nodes.length, 3);
    assert.equal(r.groupRefreshInterval, 1000);
    assert.equal(
      resolveSettings({nodes, cluster: 'group-replication', groupRefreshInterval: 250})
        .groupRefreshInterval,
      250,
    );
    assert.equal(
      resolveSettings({
        url: 'mysql://db1/shop?cluster=group-replication&groupRefreshInterval=500',
        nodes,
      }).groupRefreshInterval,
      500,
    );
  });

  const invalid = (settings: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => resolveSettings(settings),
      (err: Error & {code?: string; statusCode?: number}) => {
        assert.ok(err instanceof SqlConnectorError);
        assert.equal(err.code, 'INVALID_SETTING');
        assert.equal(err.statusCode, 500);
        assert.match(err.message, message);
        return true;
      },
    );

  it('rejects what cannot work, with a clear error', () => {
    invalid(
      {nodes, cluster: 'innodb'},
      /Invalid cluster "innodb": expected 'galera' or 'group-replication'/,
    );
    invalid({cluster: 'group-replication'}, /needs the members of the group in nodes/);
    invalid({nodes: [], cluster: 'group-replication'}, /needs the members of the group in nodes/);
    invalid({nodes, cluster: 'group-replication', replicas: [{host: 'r1'}]}, /takes no replicas/);
    invalid(
      {nodes, cluster: 'group-replication', maxReplicaLag: 5},
      /maxReplicaLag does not apply/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// runPooled's reroute: a statement that was not applied runs once more where the topology says
// ---------------------------------------------------------------------------------------------------------------

type Answer = Error | unknown[];

/** A pool connection that answers each statement with the next of `answers`, and counts what it ran. */
function fakeConnection(answers: Answer[], ran: string[], name: string): PoolConnection {
  return Object.assign(new EventEmitter(), {
    query(sql: string, _params: unknown, cb: (err: Error | null, rows?: unknown) => void) {
      ran.push(`${name}: ${sql}`);
      const answer = answers.shift() ?? [];
      setImmediate(() => (answer instanceof Error ? cb(answer) : cb(null, answer)));
    },
    release() {},
    destroy() {},
  }) as unknown as PoolConnection;
}

function source(connection: PoolConnection | Error): ConnectionSource {
  return {
    getConnection: (cb) =>
      setImmediate(() =>
        connection instanceof Error
          ? cb(connection, undefined as unknown as PoolConnection)
          : cb(null, connection),
      ),
  };
}

const readOnly = () =>
  Object.assign(new Error('The MySQL server is running with the --super-read-only option'), {
    code: 'ER_OPTION_PREVENTS_STATEMENT',
    errno: 1290,
    sqlState: 'HY000',
    sqlMessage:
      'The MySQL server is running with the --super-read-only option so it cannot execute this statement',
  });

function statement(first: ConnectionSource, reroute: PooledStatement['reroute']): PooledStatement {
  return {
    sql: 'INSERT INTO t VALUES (1)',
    params: [],
    source: first,
    fallback: undefined,
    acquireTimeoutMs: 1000,
    timeoutMs: 0,
    kill: () => undefined,
    retries: 3,
    reroute,
  };
}

describe('runPooled: reroute', () => {
  it('a statement refused as read-only (1290) runs once more on the source reroute gives', async () => {
    const ran: string[] = [];
    const old = source(fakeConnection([readOnly()], ran, 'old'));
    const fresh = source(fakeConnection([[{ok: 1}]], ran, 'new'));
    const calls: {code: unknown; since: number}[] = [];
    const before = Date.now();
    const result = await runPooled(
      statement(old, (err, since) => {
        calls.push({code: (err as {code?: unknown}).code, since});
        return Promise.resolve(fresh);
      }),
    );
    assert.deepEqual(result, [{ok: 1}]);
    assert.deepEqual(ran, ['old: INSERT INTO t VALUES (1)', 'new: INSERT INTO t VALUES (1)']);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.code, 'ER_OPTION_PREVENTS_STATEMENT');
    assert.ok((calls[0]?.since ?? 0) >= before);
  });

  it('a statement that got no connection runs once more on the source reroute gives', async () => {
    const ran: string[] = [];
    const refused = Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'});
    const fresh = source(fakeConnection([[{ok: 1}]], ran, 'new'));
    assert.deepEqual(await runPooled(statement(source(refused), () => Promise.resolve(fresh))), [
      {ok: 1},
    ]);
    assert.deepEqual(ran, ['new: INSERT INTO t VALUES (1)']);
  });

  it("is asked at most once: a second failure is the caller's", async () => {
    const ran: string[] = [];
    let asked = 0;
    const reroute = () => {
      asked++;
      return Promise.resolve(source(fakeConnection([readOnly()], ran, `again${asked}`)));
    };
    await assert.rejects(
      runPooled(statement(source(fakeConnection([readOnly()], ran, 'old')), reroute)),
      (err: Error & {errno?: number; statusCode?: number}) =>
        err.errno === 1290 && err.statusCode === 503,
    );
    assert.equal(asked, 1);
    assert.equal(ran.length, 2);
  });

  it('fails with the error reroute gives when there is nowhere to go', async () => {
    const noPrimary = new SqlConnectorError('no primary', {code: 'NO_PRIMARY', statusCode: 503});
    await assert.rejects(
      runPooled(
        statement(source(fakeConnection([readOnly()], [], 'old')), () =>
          Promise.resolve(noPrimary),
        ),
      ),
      (err) => err === noPrimary,
    );
  });

  it('never repeats a statement whose connection broke while it ran (its outcome is unknown)', async () => {
    const ran: string[] = [];
    let asked = 0;
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    await assert.rejects(
      runPooled(
        statement(source(fakeConnection([lost], ran, 'old')), () => {
          asked++;
          return Promise.resolve(source(fakeConnection([[{ok: 1}]], ran, 'new')));
        }),
      ),
      (err: Error & {code?: string; statusCode?: number}) =>
        err.code === 'PROTOCOL_CONNECTION_LOST' && err.statusCode === 503,
    );
    assert.equal(asked, 0);
    assert.deepEqual(ran, ['old: INSERT INTO t VALUES (1)']);
  });

  it('without reroute, a failure is final', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'});
    await assert.rejects(runPooled(statement(source(refused), undefined)), /ECONNREFUSED/);
  });
});
