import assert from 'node:assert/strict';

/** The error a promise rejects with; fails the test when it resolves. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers read driver and juggler error fields
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}
