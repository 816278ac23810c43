import assert from 'node:assert/strict';
import {settle, settleOrReturn, settleSpread} from '../../../src/sql-connector/callbacks';

/** The next `uncaughtException`, with mocha's own handlers out of the way meanwhile. */
function nextUncaught(): Promise<unknown> {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  return new Promise((resolve) => {
    process.once('uncaughtException', (err) => {
      for (const listener of saved) process.on('uncaughtException', listener);
      resolve(err);
    });
  });
}

describe('callbacks', () => {
  it('delivers the value as cb(null, value), on a later tick', async () => {
    const calls: unknown[][] = [];
    settle(Promise.resolve(42), (...args) => calls.push(args));
    assert.deepEqual(calls, [], 'never synchronously');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, [[null, 42]]);
  });

  it('delivers a rejection as cb(err)', async () => {
    const err = new Error('boom');
    const got = await new Promise<unknown[]>((resolve) =>
      settle(Promise.reject(err), (...args) => resolve(args)),
    );
    assert.equal(got.length, 1);
    assert.equal(got[0], err);
  });

  it('turns a rejection that is not an Error into one that keeps the reason', async () => {
    for (const reason of [undefined, null, 0, 'text']) {
      const [err] = await new Promise<unknown[]>((resolve) =>
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test
        settle(Promise.reject(reason), (...args) => resolve(args)),
      );
      assert.ok(err instanceof Error, `an Error for ${String(reason)}`);
      assert.equal((err as Error & {reason: unknown}).reason, reason);
    }
  });

  it('lets a callback that throws surface as an uncaught exception, called once', async () => {
    const uncaught = nextUncaught();
    let calls = 0;
    settle(Promise.resolve('ok'), () => {
      calls++;
      throw new Error('thrown by the callback');
    });
    const err = await uncaught;
    assert.equal((err as Error).message, 'thrown by the callback');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 1);
  });

  it('spreads a pair into cb(err, a, b)', async () => {
    const got = await new Promise<unknown[]>((resolve) =>
      settleSpread(Promise.resolve(['data', {isNewInstance: true}] as const), (...args) =>
        resolve(args),
      ),
    );
    assert.deepEqual(got, [null, 'data', {isNewInstance: true}]);
  });

  it('returns the promise when there is no callback, undefined when there is one', async () => {
    const promise = Promise.resolve(1);
    assert.equal(settleOrReturn(promise, undefined), promise);
    assert.equal(
      settleOrReturn(promise, () => undefined),
      undefined,
    );
    assert.equal(await promise, 1);
  });
});
