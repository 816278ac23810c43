/*
 * The named lock (`GET_LOCK`) that makes `findOrCreate` and `upsertWithWhere` atomic: callers with the same where wait
 * for each other instead of inserting the same row twice.
 */
import {createHash} from 'node:crypto';
import {lockTimeoutError} from './errors';
import type {Options} from '../sql-connector/juggler-types';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import {holdLocksUntilEnd, type PoolConnection} from './driver';

/** How long `findOrCreate` / `upsertWithWhere` wait for another caller holding the same where's lock, in seconds. */
const LOCK_TIMEOUT_SECONDS = 30;

/** What the lock needs from the connector. */
export interface LockHost {
  /** Runs `work` with every statement on one connection (the transaction's, else a pinned pool connection). */
  withConnection<T>(
    options: Options,
    work: (options: Options, connection: PoolConnection, inTransaction: boolean) => Promise<T>,
  ): Promise<T>;
  /** Runs a statement through the connector's `execute` observers and returns its rows. */
  run(stmt: ParameterizedSQL, options: Options): Promise<Record<string, unknown>[]>;
}

/**
 * Runs `work` holding the named lock of `key`, on one connection: released when `work` ends, or inside a transaction
 * when the transaction ends (so that others wait until the new row is visible to them). A 503 `LOCK_TIMEOUT` when
 * another caller holds it for more than 30 s.
 */
export function withNamedLock<T>(
  host: LockHost,
  key: string,
  options: Options,
  work: (options: Options) => Promise<T>,
): Promise<T> {
  // GET_LOCK names are at most 64 characters: hash the key.
  const name = `lb:${createHash('sha1').update(key).digest('hex')}`;
  return host.withConnection(options, async (opts, connection, inTransaction) => {
    const rows = await host.run(
      new ParameterizedSQL('SELECT GET_LOCK(?,?) AS locked', [name, LOCK_TIMEOUT_SECONDS]),
      opts,
    );
    if (Number(rows[0]?.locked) !== 1) {
      throw lockTimeoutError(LOCK_TIMEOUT_SECONDS);
    }
    // Inside a transaction, the lock is held until it ends, so others wait until the new row is visible to them.
    if (inTransaction) {
      holdLocksUntilEnd(connection);
      return work(opts);
    }
    try {
      return await work(opts);
    } finally {
      await host.run(new ParameterizedSQL('DO RELEASE_LOCK(?)', [name]), opts);
    }
  });
}
