import assert from 'node:assert/strict';
import type {PoolConnection} from 'mysql2';
import {executePrepared} from '../../../src/mysql/driver/prepared';
import {bindable, readsAlike} from '../../../src/mysql/prepared';
import type {ColumnMapping} from '../../../src/sql-connector/model-mapping';

type Cb = (err: Error | null, result?: unknown) => void;

/** A connection whose `execute` answers `executeAnswer`, and that records what ran. */
function fakeConnection(executeAnswer: (cb: Cb) => void) {
  const calls: {kind: 'execute' | 'query'; sql: string; values: unknown}[] = [];
  const record =
    (kind: 'execute' | 'query') => (sqlOrOptions: unknown, values: unknown, cb?: Cb) => {
      const options =
        typeof sqlOrOptions === 'object'
          ? (sqlOrOptions as {sql: string; values: unknown})
          : undefined;
      const done = (typeof values === 'function' ? values : cb) as Cb;
      calls.push({
        kind,
        sql: options?.sql ?? (sqlOrOptions as string),
        values: options?.values ?? values,
      });
      if (kind === 'execute') executeAnswer(done);
      else done(null, 'text result');
    };
  return {
    calls,
    connection: {execute: record('execute'), query: record('query')} as unknown as PoolConnection,
  };
}

function run(connection: PoolConnection, sql: string, params: unknown[], timeoutMs = 0) {
  return new Promise<{err: Error | null; result?: unknown}>((resolve) =>
    executePrepared(connection, sql, params, timeoutMs, (err, result) => resolve({err, result})),
  );
}

function serverError(errno: number): Error {
  return Object.assign(new Error(`error ${errno}`), {errno});
}

describe('prepared statements', function () {
  it('run with execute; LIMIT and OFFSET values bound as strings', async function () {
    const {calls, connection} = fakeConnection((cb) => cb(null, 'binary result'));
    const sql = 'SELECT `a` FROM `t` WHERE `a`=? ORDER BY `a` LIMIT ? OFFSET ?';
    const out = await run(connection, sql, [3, 10, 20]);
    assert.equal(out.result, 'binary result');
    assert.deepEqual(calls, [{kind: 'execute', sql, values: [3, '10', '20']}]);
  });

  it('only the values of the final LIMIT are strings', async function () {
    const {calls, connection} = fakeConnection((cb) => cb(null, []));
    await run(connection, 'SELECT `a` FROM `t` WHERE `a`=? ORDER BY `a` LIMIT ?', [3, 1]);
    await run(connection, 'SELECT `a` FROM `t` LIMIT 18446744073709551615 OFFSET ?', [5]);
    await run(connection, 'SELECT COUNT(*) AS cnt FROM `t` WHERE `a`=?', [3]);
    assert.deepEqual(
      calls.map((c) => c.values),
      [[3, '1'], ['5'], [3]],
    );
  });

  for (const errno of [1461, 1295, 1210])
    it(`error ${errno} (not executed): runs once more as text, with the original values`, async function () {
      const {calls, connection} = fakeConnection((cb) => cb(serverError(errno)));
      const sql = 'SELECT `a` FROM `t` WHERE `a`=? LIMIT ?';
      const out = await run(connection, sql, [3, 1], 500);
      assert.equal(out.err, null);
      assert.equal(out.result, 'text result');
      assert.deepEqual(
        calls.map((c) => [c.kind, c.values]),
        [
          ['execute', [3, '1']],
          ['query', [3, 1]],
        ],
      );
    });

  it('other errors are the statement’s', async function () {
    const {calls, connection} = fakeConnection((cb) => cb(serverError(1146)));
    const out = await run(connection, 'SELECT 1 FROM `nope` WHERE `a`=?', [1]);
    assert.equal((out.err as {errno?: number}).errno, 1146);
    assert.equal(calls.length, 1);
  });

  it('bindable: strings, finite numbers, booleans, Buffers and NULL only', function () {
    assert.equal(bindable(['a', 1, 2.5, true, null, Buffer.from('x')]), true);
    for (const bad of [
      [new Date()],
      [[1, 2]],
      [{a: 1}],
      [undefined],
      [10n],
      [Number.NaN],
      [Infinity],
    ])
      assert.equal(bindable(bad), false, typeof bad[0]);
  });

  it('readsAlike: not with a declared FLOAT or REAL column', function () {
    const column = (dataType?: string) =>
      ({definition: {type: Number, mysql: {dataType}}}) as unknown as ColumnMapping;
    assert.equal(readsAlike([column(), column('double'), column('decimal')]), true);
    assert.equal(readsAlike([column('int'), column('FLOAT')]), false);
    assert.equal(readsAlike([column('real')]), false);
  });
});
