import type {PoolConnection, Query} from 'mysql2';
import type {Readable} from 'node:stream';
import type {ModelData} from '../../sql-connector/juggler-types';
import {QueryTimeoutError, toMySqlError} from '../errors';
import {connectionWithin, releaseOrDrop} from './execution';
import {promised} from './promised';
import type {ConnectionSource, Done} from './types';

/*
 * Streaming reads: the rows of one SELECT, as model data, while mysql2 still receives them. The socket is paused
 * whenever the consumer falls `highWaterMark` rows behind (mysql2's row stream), so memory stays flat whatever the
 * result's size, and past the juggler limit: no model instances, no array of the whole result.
 */

/**
 * Rows buffered ahead of the consumer before the socket is paused. With 512, 5000-row reads ran at 0.4-0.6 times the
 * rows/s of 4096 on MariaDB 10.11 (each pause costs a round of socket reads); past 4096 nothing more was gained. The
 * rows of 4096 are a few MiB.
 */
export const STREAM_HIGH_WATER_MARK = 4096;

/** Everything one streamed SELECT needs, prepared by the connector (see `MySQL.stream`). */
export interface StreamPlan {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** Converts driver rows (keyed by property) into model data in place, as `find` does. */
  readonly convert: (rows: Record<string, unknown>[]) => ModelData[];
  /** The transaction's (or a pinned) connection: used, never released. None: one from `source`. */
  readonly bound: PoolConnection | undefined;
  readonly source: ConnectionSource;
  /** Where to go when `source` gives no connection (a read replica's primary); none: fail. */
  readonly fallback: ConnectionSource | undefined;
  readonly acquireTimeoutMs: number;
  /** The statement timeout, for the whole stream (0: none). */
  readonly timeoutMs: number;
  /** Stops the statement on its server (`KILL QUERY`). */
  readonly kill: (connection: PoolConnection) => void;
  readonly highWaterMark?: number;
  /** Runs once when the stream has let go of its connection (the connector's in-flight count). */
  readonly onSettled?: () => void;
}

function take(plan: StreamPlan): Promise<PoolConnection> {
  return promised(takeFor, plan);
}

/** A connection from the plan's source, else from its fallback. */
function takeFor(plan: StreamPlan, done: Done<PoolConnection>): void {
  if (!plan.fallback) return connectionWithin(plan.source, plan.acquireTimeoutMs, done);
  const fallback = plan.fallback;
  connectionWithin(plan.source, plan.acquireTimeoutMs, (err, connection) =>
    err ? connectionWithin(fallback, plan.acquireTimeoutMs, done) : done(null, connection),
  );
}

function timeoutError(timeoutMs: number): QueryTimeoutError {
  return new QueryTimeoutError(timeoutMs);
}

/**
 * The rows of the statement `prepare` builds, converted, one at a time. Nothing happens before the first `next()`. The connection goes
 * back to the pool when the rows end, when the statement fails, and when the consumer stops early (`break`, a
 * `throw` in its loop body, `return()`): a statement still sending rows then is stopped on the server and its
 * connection closed, since its remaining rows would otherwise have to be read to the end. On a transaction's
 * connection the remaining rows are read and dropped instead, so the transaction goes on.
 */
export async function* streamRows(
  prepare: () => Promise<StreamPlan>,
): AsyncGenerator<ModelData, void, undefined> {
  // Validation and the statement's text first (their errors come from the first `next()`), nothing held yet.
  const plan = await prepare();
  let connection: PoolConnection | undefined;
  let query: Query | undefined;
  let rows: Readable | undefined;
  // The statement's own end: every row received, or an error from the server.
  let ended = false;
  let failure: Error | undefined;
  let timedOut = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  try {
    connection = plan.bound ?? (await take(plan));
    const sql = plan.sql;
    const values = plan.params as unknown[];
    query =
      plan.timeoutMs > 0
        ? connection.query({sql, values, timeout: plan.timeoutMs})
        : connection.query(sql, values);
    // On the statement itself, not only on the row stream, which stops listening once it is destroyed: an error
    // after an early stop (the KILL, a lost connection) must not become an unhandled 'error' event.
    query.on('error', (err: Error & {code?: string}) => {
      if (err.code === 'PROTOCOL_SEQUENCE_TIMEOUT') timedOut = true;
      failure ??= err;
      notify();
    });
    query.on('end', () => {
      ended = true;
      notify();
    });
    const stream = query.stream({highWaterMark: plan.highWaterMark ?? STREAM_HIGH_WATER_MARK});
    rows = stream;
    stream.on('readable', notify);
    stream.on('end', notify);
    stream.on('error', (err: Error) => {
      failure ??= err;
      notify();
    });
    for (;;) {
      // Everything buffered at once, converted as one batch: per row, only the read and the yield.
      const batch: Record<string, unknown>[] = [];
      for (let row = stream.read() as unknown; row !== null; row = stream.read() as unknown)
        batch.push(row as Record<string, unknown>);
      if (batch.length > 0) {
        const converted = plan.convert(batch);
        // A failure (a timeout while the consumer was behind) ends the rows at once, not after the buffered ones.
        for (let i = 0; i < converted.length && !failure; i++) yield converted[i] as ModelData;
        continue;
      }
      if (failure || stream.readableEnded) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure) {
      if (timedOut) throw timeoutError(plan.timeoutMs);
      throw toMySqlError(failure, plan.sql);
    }
  } finally {
    if (rows && !rows.destroyed) rows.destroy();
    if (connection) {
      const c = connection;
      if (timedOut) {
        // The protocol state is lost: stop the statement on the server and drop the connection (as `send` does).
        plan.kill(c);
        c.destroy();
      } else if (!ended && !failure && query) {
        if (plan.bound) {
          // A transaction's connection stays: read (and drop) the remaining rows; the stream resumed the socket.
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (ended || failure) notify();
          });
        } else {
          plan.kill(c);
          c.destroy();
        }
      } else if (!plan.bound) {
        releaseOrDrop(c);
      }
    }
    plan.onSettled?.();
  }
}
