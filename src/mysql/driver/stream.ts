import type {PoolConnection, Query} from 'mysql2';
import type {ModelData} from '../../sql-connector/juggler-types';
import {QueryTimeoutError, toMySqlError} from '../errors';
import {connectionWithin, releaseOrDrop, watchConnection} from './execution';
import {promised} from './promised';
import type {ConnectionSource, Done} from './types';

/*
 * Streaming reads: the rows of one SELECT, as model data, while mysql2 still receives them. The socket is paused
 * whenever the consumer falls `highWaterMark` rows behind, so memory stays flat whatever the result's size, and past
 * the juggler limit: no model instances, no array of the whole result.
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

const DONE: IteratorReturnResult<void> = Object.freeze({done: true, value: undefined});

/**
 * The rows of the statement `prepare` builds, converted, one at a time. Nothing happens before the first `next()`.
 * The connection goes back to the pool when the rows end, when the statement fails, and when the consumer stops early
 * (`break`, a `throw` in its loop body, `return()`): a statement still sending rows then is stopped on the server and
 * its connection closed, since its remaining rows would otherwise have to be read to the end. On a transaction's
 * connection the remaining rows are read and dropped instead, so the transaction goes on.
 */
export function streamRows(
  prepare: () => Promise<StreamPlan>,
): AsyncGenerator<ModelData, void, undefined> {
  return new RowStream(prepare);
}

/**
 * {@link streamRows}' iterator. mysql2's rows arrive as `result` events, are converted a batch at a time (all that
 * arrived while the consumer took the previous batch) and handed out one per `next()`: per row, one event, one
 * array slot and the resolved promise of `next()`, where an async generator over mysql2's object-mode Readable cost
 * twice the client CPU of a plain query's rows. Calls to `next()`, `return()` and `throw()` run one after another, as
 * a generator's do.
 */
class RowStream implements AsyncGenerator<ModelData, void, undefined> {
  private plan: StreamPlan | undefined;
  private connection: PoolConnection | undefined;
  private query: Query | undefined;
  /** Converted rows being handed out, from `index` on. */
  private rows: ModelData[] = [];
  private index = 0;
  /** Rows received since the last batch was converted. */
  private incoming: Record<string, unknown>[] = [];
  private paused = false;
  /** The statement's own end: every row received. */
  private ended = false;
  private failure: Error | undefined;
  private timedOut = false;
  /** Rows still arriving after an early stop on a transaction's connection are dropped. */
  private draining = false;
  private unwatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  /** The call still running, which the next one waits for. */
  private busy: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly prepare: () => Promise<StreamPlan>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ModelData, void>> {
    if (this.busy === undefined && this.index < this.rows.length && this.failure === undefined) {
      return Promise.resolve({done: false, value: this.rows[this.index++] as ModelData});
    }
    return this.serial(() => this.step());
  }

  return(): Promise<IteratorResult<ModelData, void>> {
    return this.serial(() => this.close().then(() => DONE));
  }

  throw(err: unknown): Promise<IteratorResult<ModelData, void>> {
    return this.serial(() =>
      this.close().then(() => {
        throw err;
      }),
    );
  }

  private serial<T>(call: () => Promise<T>): Promise<T> {
    const result = this.busy === undefined ? call() : this.busy.then(call, call);
    this.busy = result;
    const idle = () => {
      if (this.busy === result) this.busy = undefined;
    };
    result.then(idle, idle);
    return result;
  }

  private notify = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  private async step(): Promise<IteratorResult<ModelData, void>> {
    try {
      for (;;) {
        if (this.closing) return DONE;
        if (this.failure) throw this.error(this.failure);
        if (this.index < this.rows.length) {
          return {done: false, value: this.rows[this.index++] as ModelData};
        }
        const plan = this.plan;
        if (!plan) {
          await this.start();
        } else if (this.incoming.length > 0) {
          const batch = this.incoming;
          this.incoming = [];
          this.rows = plan.convert(batch);
          this.index = 0;
          if (this.paused) {
            this.paused = false;
            this.connection?.resume();
          }
        } else if (this.ended) {
          await this.close();
          return DONE;
        } else {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Validation and the statement's text first (their errors come from the first `next()`), then the statement. */
  private async start(): Promise<void> {
    const plan = await this.prepare();
    this.plan = plan;
    const connection = plan.bound ?? (await take(plan));
    this.connection = connection;
    this.unwatch = watchConnection(connection, (err) => this.fail(err));
    const {sql, timeoutMs} = plan;
    const values = plan.params as unknown[];
    const query =
      timeoutMs > 0
        ? connection.query({sql, values, timeout: timeoutMs})
        : connection.query(sql, values);
    this.query = query;
    const highWaterMark = plan.highWaterMark ?? STREAM_HIGH_WATER_MARK;
    query.on('result', (row: Record<string, unknown>) => {
      if (this.draining) return;
      this.incoming.push(row);
      if (!this.paused && this.incoming.length + this.rows.length - this.index >= highWaterMark) {
        this.paused = true;
        connection.pause();
      }
      if (this.wake) this.notify();
    });
    // On the statement itself: an error after an early stop (the KILL, a lost connection) must not become an
    // unhandled 'error' event.
    query.on('error', (err: Error) => this.fail(err));
    query.on('end', () => {
      this.ended = true;
      this.notify();
    });
  }

  private fail(err: Error): void {
    if ((err as {code?: unknown}).code === 'PROTOCOL_SEQUENCE_TIMEOUT') this.timedOut = true;
    this.failure ??= err;
    this.notify();
  }

  private error(failure: Error): Error {
    if (this.timedOut) return new QueryTimeoutError(this.plan?.timeoutMs ?? 0);
    return toMySqlError(failure, this.plan?.sql);
  }

  private close(): Promise<void> {
    this.closing ??= this.letGo();
    return this.closing;
  }

  /** The connection back (or closed), once. */
  private async letGo(): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    this.rows = [];
    this.incoming = [];
    const c = this.connection;
    if (c) {
      // Stopped early: the statement is still sending rows.
      const early = !this.timedOut && !this.ended && !this.failure && this.query !== undefined;
      if (early && plan.bound) {
        // A transaction's connection stays: read (and drop) the remaining rows, still watching the connection.
        this.draining = true;
        if (this.paused) {
          this.paused = false;
          c.resume();
        }
        while (!this.ended && !this.failure) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      }
      this.unwatch?.();
      if (this.timedOut || (early && !plan.bound)) {
        // The protocol state is lost (a timeout), or the rest of the rows would have to be read: stop the statement
        // on the server and drop the connection (as `send` does), a transaction's too after a timeout.
        plan.kill(c);
        c.destroy();
      } else if (!plan.bound) {
        releaseOrDrop(c);
      }
    }
    plan.onSettled?.();
  }
}
