/*
 * The mysql2 internals the driver reads (src/mysql/driver/mysql2-internals.ts), checked on real mysql2 objects: a
 * Pool and a PoolCluster that never connect, and pool connections to an in-process fake server (no database).
 * mysql2 may change any of them in any release: the version is pinned, and a new one fails here first.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import mysql2, {type PoolConnection} from 'mysql2';
import {
  MYSQL2_CHECKED_VERSION,
  checkRowLengths,
  clusterIdOf,
  destroySocket,
  hasFreeConnection,
  isBroken,
  isCheckedOut,
  nodeRemover,
  openConnections,
} from '../../../src/mysql/driver/mysql2-internals';
import {FakeMySqlServer, defaultQueryHandler} from '../../helpers/fake-mysql-server';

function installedVersion(): string {
  const file = path.join(path.dirname(require.resolve('mysql2')), 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as {version: string}).version;
}

function connectionOf(source: {
  getConnection(cb: (err: Error | null, c: PoolConnection) => void): void;
}): Promise<PoolConnection> {
  return new Promise((resolve, reject) =>
    source.getConnection((err, c) => (err ? reject(err) : resolve(c))),
  );
}

/** The fields of a mysql2 object, as the driver reads them. */
function fields(object: unknown): Record<string, unknown> {
  return object as Record<string, unknown>;
}

describe('mysql2 internals (driver/mysql2-internals.ts)', () => {
  let fake: FakeMySqlServer;

  before(async () => {
    fake = await FakeMySqlServer.start();
  });

  after(async () => {
    await fake.close();
  });

  it('are checked against the installed mysql2 version', () => {
    const installed = installedVersion();
    assert.equal(
      installed,
      MYSQL2_CHECKED_VERSION,
      `mysql2 is ${installed}, but its internals were checked against ${MYSQL2_CHECKED_VERSION}: re-check every ` +
        'internal listed in src/mysql/driver/mysql2-internals.ts against the new mysql2, then update the pin ' +
        '(MYSQL2_CHECKED_VERSION)',
    );
  });

  it('Pool: _closed, _freeConnections, _allConnections', async () => {
    const pool = mysql2.createPool({host: fake.host, port: fake.port, user: 'root'});
    try {
      const p = fields(pool);
      assert.equal(p._closed, false);
      assert.equal(typeof (p._freeConnections as {length: unknown}).length, 'number');
      assert.equal(typeof (p._allConnections as {toArray: unknown}).toArray, 'function');
      assert.equal(hasFreeConnection(pool), false);
      assert.deepEqual(openConnections(pool), []);

      const connection = await connectionOf(pool);
      assert.deepEqual(openConnections(pool), [connection]);
      connection.release();
      assert.equal(hasFreeConnection(pool), true);
    } finally {
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    }
    assert.equal(fields(pool)._closed, true);
    assert.equal(hasFreeConnection(pool), false);
  });

  it('PoolConnection: _fatalError, _protocolError, _closing, _pool, _released, stream', async () => {
    const pool = mysql2.createPool({host: fake.host, port: fake.port, user: 'root'});
    try {
      const connection = await connectionOf(pool);
      const c = fields(connection);
      assert.equal(c._fatalError, null);
      assert.equal(c._protocolError, null);
      assert.ok(c._closing === undefined || c._closing === false);
      assert.equal(c._pool, pool);
      assert.equal(c._released, false);
      const stream = c.stream as {destroyed: unknown; destroy: unknown};
      assert.equal(stream.destroyed, false);
      assert.equal(typeof stream.destroy, 'function');
      assert.equal(isBroken(connection), false);
      assert.equal(isCheckedOut(connection), true);

      connection.release();
      assert.equal(c._released, true);
      assert.equal(isCheckedOut(connection), false);

      const other = await connectionOf(pool);
      const closed = new Promise((resolve) => other.once('error', resolve));
      destroySocket(other, new Error('abandoned'));
      await closed;
      assert.equal(
        fields(other).stream && (fields(other).stream as {destroyed: boolean}).destroyed,
        true,
      );
      assert.equal(isBroken(other), true);
      assert.equal(isCheckedOut(other), false);
      other.destroy();
    } finally {
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    }
  });

  it('PoolCluster: _nodes, _getNode, _increaseErrorCount, and _clusterId on its connections', async () => {
    const cluster = mysql2.createPoolCluster({removeNodeErrorCount: 1, restoreNodeTimeout: 60000});
    try {
      cluster.add('NODE0', {host: fake.host, port: fake.port, user: 'root'});
      const k = fields(cluster);
      assert.equal(typeof k._getNode, 'function');
      assert.equal(typeof k._increaseErrorCount, 'function');
      const nodes = k._nodes as Record<string, {pool?: unknown}>;
      assert.equal(typeof nodes, 'object');
      assert.ok(nodes.NODE0?.pool, 'a node holds its pool');
      assert.equal((k._getNode as (id: string) => unknown).call(cluster, 'NODE0'), nodes.NODE0);
      assert.deepEqual(openConnections(cluster), []);

      const connection = await connectionOf(cluster.of('NODE*'));
      assert.equal(clusterIdOf(connection), 'NODE0');
      assert.deepEqual(openConnections(cluster), [connection]);
      connection.release();

      assert.equal(nodeRemover(cluster, 'NODE9'), undefined);
      assert.equal(nodeRemover(cluster, undefined), undefined);
      const takeOut = nodeRemover(cluster, 'NODE0');
      assert.equal(typeof takeOut, 'function');
      // One error (removeNodeErrorCount: 1) takes the node out of rotation: the cluster has no node left.
      takeOut?.();
      await assert.rejects(connectionOf(cluster.of('NODE*')));
    } finally {
      await new Promise<void>((resolve) => cluster.end(() => resolve()));
    }
  });

  it("Connection.handlePacket, Query and Execute's row state: a row's packet is read up to its end, in row()", async () => {
    // Execute (prepared statements) shares Query's row handling; the fake server does not prepare, so that part is
    // read from mysql2's classes.
    /* eslint-disable @typescript-eslint/no-require-imports -- mysql2's command classes are not exported */
    const lib = path.join(path.dirname(require.resolve('mysql2')), 'lib');
    type Command = {prototype: Record<string, unknown>};
    const Query = require(path.join(lib, 'commands', 'query.js')) as Command;
    const Execute = require(path.join(lib, 'commands', 'execute.js')) as Command;
    const Connection = require(path.join(lib, 'base', 'connection.js')) as Command;
    /* eslint-enable @typescript-eslint/no-require-imports */
    assert.equal(Execute.prototype.row, Query.prototype.row);
    assert.match(String(Query.prototype.row), /packet\.isEOF\(\)/);
    assert.match(String(Query.prototype.row), /this\._localStreamError = err/);
    assert.match(String(Query.prototype.row), /return Query\.prototype\.row;/);
    assert.match(
      String(Connection.prototype.handlePacket),
      /this\._command\.execute\(packet, this\)/,
    );
    assert.equal(typeof Connection.prototype._handleFatalError, 'function');

    const pool = mysql2.createPool({host: fake.host, port: fake.port, user: 'root'});
    const run = async (values: string[], rowsFirst: string[][] = []) => {
      fake.onQuery = (sql, respond) => {
        if (!/FROM rows/.test(sql)) return defaultQueryHandler(sql, respond);
        respond.columnCount(2);
        respond.columnDefinition('a');
        respond.columnDefinition('b');
        respond.eof();
        for (const r of rowsFirst) respond.row(r);
        respond.row(values);
        respond.eof();
      };
      const connection = await connectionOf(pool);
      connection.on('error', () => undefined);
      checkRowLengths(connection);
      checkRowLengths(connection); // once per connection, however often asked
      const result = await new Promise<{err: Error | null; rows: unknown}>((resolve) => {
        connection.query('SELECT * FROM rows', (err, rows) => resolve({err, rows}));
      });
      return {...result, broken: isBroken(connection), connection};
    };
    try {
      const good = await run(['1', '2'], [['3', '4']]);
      assert.equal(good.err, null);
      assert.deepEqual(good.rows, [
        {a: '3', b: '4'},
        {a: '1', b: '2'},
      ]);
      assert.equal(good.broken, false);
      // The same connection again: statements after a good one are checked too.
      const again = await new Promise<unknown>((resolve, reject) =>
        good.connection.query('SELECT * FROM rows', (err, rows) =>
          err ? reject(err) : resolve(rows),
        ),
      );
      assert.deepEqual(again, good.rows);
      assert.equal(isBroken(good.connection), false);
      good.connection.release();
      for (const values of [['1', '2', '3'], ['1']]) {
        const bad = await run(values, [['5', '6']]);
        assert.equal((bad.err as {code?: unknown} | null)?.code, 'PROTOCOL_ERROR', String(bad.err));
        assert.match(String(bad.err), /its 2 announced columns/);
        assert.equal(
          bad.broken,
          true,
          `${values.length} values: the connection must not be reused`,
        );
        bad.connection.destroy();
      }
    } finally {
      fake.onQuery = defaultQueryHandler;
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    }
  });

  it('a connection outside a pool has no _pool nor _clusterId', async () => {
    const connection = mysql2.createConnection({host: fake.host, port: fake.port, user: 'root'});
    try {
      await new Promise<void>((resolve, reject) =>
        connection.connect((err) => (err ? reject(err) : resolve())),
      );
      assert.equal(clusterIdOf(connection as unknown as PoolConnection), undefined);
      assert.equal(isCheckedOut(connection as unknown as PoolConnection), false);
    } finally {
      connection.destroy();
    }
  });
});
