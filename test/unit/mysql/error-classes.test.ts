import assert from 'node:assert/strict';
import {inspect} from 'node:util';
import {
  ConcurrentModificationError,
  LockConflictError,
  MySqlError,
  PoolTimeoutError,
  QueryTimeoutError,
  SqlConnectorError,
  isMySqlError,
  type MySqlErrorCode,
} from '../../../src';
import {isRetryable} from '../../../src/mysql/driver/execution';
import {lockTimeoutError, toMySqlError} from '../../../src/mysql/errors';

/** An error shaped like the ones mysql2 raises. */
function driverError(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe('typed errors: one class per failure a caller handles differently', () => {
  it('a deadlock or a lock-wait timeout from the server is a LockConflictError (409), retried in autocommit', () => {
    for (const [code, errno] of [
      ['ER_LOCK_DEADLOCK', 1213],
      ['ER_LOCK_WAIT_TIMEOUT', 1205],
    ] as const) {
      const err = toMySqlError(driverError('lock', {code, errno, sqlState: '40001'}), 'UPDATE t');
      assert.ok(err instanceof LockConflictError, `${code}: ${err.name}`);
      assert.ok(err instanceof MySqlError && err instanceof SqlConnectorError);
      assert.equal(err.name, 'LockConflictError');
      assert.equal(err.code, code);
      assert.equal(err.errno, errno);
      assert.equal(err.statusCode, 409);
      assert.equal(err.sql, 'UPDATE t');
      assert.ok(isRetryable(err), `${code} must be retried`);
    }
  });

  it('a named lock not granted in time is a LockConflictError too (503 LOCK_TIMEOUT), never retried by the driver', () => {
    const err = lockTimeoutError(30);
    assert.ok(err instanceof LockConflictError);
    assert.equal(err.code, 'LOCK_TIMEOUT');
    assert.equal(err.statusCode, 503);
    assert.equal(err.errno, undefined);
    assert.match(err.message, /30s/);
    assert.equal(isRetryable(err), false);
  });

  it('a pool that gives no connection in time is a PoolTimeoutError (503 POOL_ACQUIRE_TIMEOUT)', () => {
    const err = new PoolTimeoutError(250);
    assert.ok(err instanceof MySqlError);
    assert.equal(err.name, 'PoolTimeoutError');
    assert.equal(err.code, 'POOL_ACQUIRE_TIMEOUT');
    assert.equal(err.statusCode, 503);
    assert.equal(err.status, 503);
    assert.equal(err.timeoutMs, 250);
    assert.match(err.message, /within 250 ms/);
    assert.equal(isRetryable(err), false);
  });

  it('a statement past its timeout is a QueryTimeoutError (504 QUERY_TIMEOUT)', () => {
    const err = new QueryTimeoutError(1500);
    assert.ok(err instanceof MySqlError);
    assert.equal(err.name, 'QueryTimeoutError');
    assert.equal(err.code, 'QUERY_TIMEOUT');
    assert.equal(err.statusCode, 504);
    assert.equal(err.timeoutMs, 1500);
    assert.match(err.message, /1500 ms/);
    assert.match(new QueryTimeoutError(9, 'COMMIT did not finish within 9 ms').message, /^COMMIT/);
  });

  it('isMySqlError: any MySqlError, or one with the given code; nothing else', () => {
    const dup = toMySqlError(driverError('dup', {code: 'ER_DUP_ENTRY', errno: 1062}));
    assert.ok(isMySqlError(dup));
    assert.ok(isMySqlError(dup, 'ER_DUP_ENTRY'));
    assert.equal(isMySqlError(dup, 'ER_NO_REFERENCED_ROW_2'), false);
    assert.ok(isMySqlError(new QueryTimeoutError(1), 'QUERY_TIMEOUT'));
    // A code the connector gives no status to is still a code (mysql2 names thousands).
    const other: MySqlErrorCode = 'ER_SOMETHING_NEW';
    assert.ok(isMySqlError(toMySqlError(driverError('x', {code: other})), other));
    for (const notOne of [
      new Error('plain'),
      new SqlConnectorError('x', {code: 'ER_DUP_ENTRY', statusCode: 422}),
      {code: 'ER_DUP_ENTRY', name: 'MySqlError'},
      undefined,
      'ER_DUP_ENTRY',
    ]) {
      assert.equal(isMySqlError(notOne), false, inspect(notOne));
      assert.equal(isMySqlError(notOne, 'ER_DUP_ENTRY'), false, inspect(notOne));
    }
  });

  it('an upsertWithWhere whose row kept changing is a ConcurrentModificationError (409)', () => {
    const err = new ConcurrentModificationError('changed 3 times');
    assert.ok(err instanceof SqlConnectorError);
    assert.equal(err.name, 'ConcurrentModificationError');
    assert.equal(err.code, 'CONCURRENT_MODIFICATION');
    assert.equal(err.statusCode, 409);
  });
});
