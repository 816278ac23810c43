import assert from 'node:assert/strict';
import type {PoolConnection} from 'mysql2';
import {connectionWithin} from '../../../src/mysql/driver/execution';
import type {ConnectionSource} from '../../../src/mysql/driver/types';

/** A pool of mysql2's shape: `free` connections waiting, `getConnection` answering through `answer`. */
function fakePool(free: number, answer: (cb: (err: Error | null, c?: unknown) => void) => void) {
  const connection = {release: () => undefined, destroy: () => undefined, on: () => undefined};
  return {
    connection,
    pool: {
      _closed: false,
      _freeConnections: {length: free},
      getConnection: (cb: (err: Error | null, c?: unknown) => void) => answer(cb),
    } as unknown as ConnectionSource,
  };
}

/** Runs `work` with setTimeout counted (and still working). */
function countingTimers<T>(work: () => T): {result: T; timers: number} {
  const original = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    return {result: work(), timers};
  } finally {
    globalThis.setTimeout = original;
  }
}

describe('connectionWithin', function () {
  it('arms no acquire deadline when the pool has a free connection', async function () {
    const {pool, connection} = fakePool(1, (cb) => process.nextTick(cb, null, connection));
    const {result, timers} = countingTimers(
      () =>
        new Promise<PoolConnection>((resolve, reject) =>
          connectionWithin(pool, 5000, (err, c) =>
            err ? reject(err) : resolve(c as PoolConnection),
          ),
        ),
    );
    assert.ok(await result);
    assert.equal(timers, 0);
  });

  it('arms the deadline when no connection is free, and a late connection goes back to the pool', async function () {
    let late: ((err: Error | null, c?: unknown) => void) | undefined;
    let released = 0;
    const {pool} = fakePool(0, (cb) => (late = cb));
    const {result, timers} = countingTimers(
      () => new Promise<unknown>((resolve) => connectionWithin(pool, 1, (err) => resolve(err))),
    );
    assert.equal(timers, 1);
    const err = (await result) as {code?: string; statusCode?: number};
    assert.equal(err.code, 'POOL_ACQUIRE_TIMEOUT');
    assert.equal(err.statusCode, 503);
    late?.(null, {release: () => released++, on: () => undefined});
    assert.equal(released, 1);
  });

  it('a closed pool with free connections still gets its deadline', async function () {
    const {pool} = fakePool(1, () => undefined);
    (pool as unknown as {_closed: boolean})._closed = true;
    const {result, timers} = countingTimers(
      () => new Promise<unknown>((resolve) => connectionWithin(pool, 1, (err) => resolve(err))),
    );
    assert.equal(timers, 1);
    assert.equal(((await result) as {code?: string}).code, 'POOL_ACQUIRE_TIMEOUT');
  });
});
