import {Readable} from 'node:stream';
import {inspect} from 'node:util';
import createDebug from 'debug';
import type {PoolConnection} from 'mysql2';
import {SqlConnectorError} from '../../sql-connector/errors';
import {
  isMySqlError,
  LockConflictError,
  MySqlError,
  PoolTimeoutError,
  QueryTimeoutError,
  toMySqlError,
} from '../errors';
import {checkRowLengths, hasFreeConnection, isBroken} from './mysql2-internals';
import {executePrepared} from './prepared';
import {promised} from './promised';
import type {ConnectionSource, Done, Kill, Reroute} from './types';

const debug = createDebug('loopback:connector:mysql');

/*
 * Running one statement on a pool connection: acquiring with a deadline, a per-statement timeout that also stops the
 * statement on the server, and the errors after which the same statement may safely run again.
 */

/**
 * Whether an autocommit statement that failed with `err` may run again:
 * - a deadlock or lock-wait timeout rolled the statement back (in autocommit mode it is its own transaction);
 * - a pooled connection that had already been closed never sent it.
 * A statement interrupted in flight (PROTOCOL_CONNECTION_LOST, ECONNRESET) is not run again, not even a read: the
 * server may have applied a write, and a DBA's `KILL` of a runaway query must reach the caller.
 */
export function isRetryable(err: unknown): boolean {
  // A LockConflictError without an errno is a named lock's timeout, raised above the driver.
  if (err instanceof LockConflictError) return err.errno !== undefined;
  return isMySqlError(err, 'CONNECTION_CLOSED');
}

/** Jittered exponential backoff before retry `attempt + 1`, in ms: 10-20, 20-40, 40-80... */
export function backoffMs(attempt: number): number {
  const base = 10 * 2 ** attempt;
  return base + Math.random() * base;
}

/**
 * Gives a connection back to the pool, or drops it when a fatal error or a timeout broke it (mysql2 would otherwise
 * hand the broken connection to the next caller).
 */
export function releaseOrDrop(connection: PoolConnection): void {
  if (isBroken(connection)) connection.destroy();
  else connection.release();
}

/** The statement running on a connection: how to fail it when the connection reports an error. */
const RUNNING = Symbol('running statement');
type Guarded = PoolConnection & {[RUNNING]?: ((err: Error) => void) | undefined};
const guarded = new WeakSet<PoolConnection>();

/**
 * Gives a connection the connector's own `error` listener, and an inspect view without its credentials, once. mysql2 emits `error` on a pooled connection when
 * its server sends something out of turn (a packet after the answer, an answer the protocol does not allow), and
 * its pool listens with `once` only: a second such event had no listener, and Node threw it, ending the process.
 * Such an error during a statement also fails that statement at once (mysql2 leaves the connection open and may
 * never call back) and destroys the connection.
 */
export function guardConnection(connection: PoolConnection): PoolConnection {
  if (guarded.has(connection)) return connection;
  guarded.add(connection);
  checkRowLengths(connection);
  // A transaction holds its connection, and mysql2 keeps the password and TLS key in its config: logging a
  // transaction (or a connection) must not print them.
  Object.defineProperty(connection, inspect.custom, {
    value: () => `PoolConnection {threadId: ${connection.threadId}}`,
  });
  connection.on('error', (err: Error) => {
    const running = (connection as Guarded)[RUNNING];
    debug('connection %d: %s', connection.threadId, (err as {code?: unknown}).code ?? err.message);
    if (!running) return;
    connection.destroy();
    // mysql2 hands a complete answer to its callback on the next tick: when the stray packet came right after it,
    // that answer wins; otherwise the statement will never hear back, and fails now.
    setImmediate(() => running(err));
  });
  return connection;
}

/**
 * Reports to `onError` an error the connection emits while the caller runs something on it that has no callback of
 * its own (a streamed SELECT: mysql2 tells such a statement nothing when its connection dies). Returns the function
 * that stops reporting.
 */
export function watchConnection(
  connection: PoolConnection,
  onError: (err: Error) => void,
): () => void {
  (connection as Guarded)[RUNNING] = onError;
  return () => {
    if ((connection as Guarded)[RUNNING] === onError) (connection as Guarded)[RUNNING] = undefined;
  };
}

/**
 * A pool connection within `timeoutMs` (0: no deadline), to `done`. mysql2's pool waits for a free connection
 * without a deadline; past it, `done` gets a 503 and the connection, when it comes, goes straight back to the pool.
 */
export function connectionWithin(
  source: ConnectionSource,
  timeoutMs: number,
  done: Done<PoolConnection>,
): void {
  // A pool with a free connection hands it out on the next tick: no deadline to arm (a timer set and cleared on
  // every call cost 4-13 µs of CPU).
  if (hasFreeConnection(source)) {
    source.getConnection((err, connection) =>
      err ? done(toMySqlError(err)) : done(null, guardConnection(connection)),
    );
    return;
  }
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          done(new PoolTimeoutError(timeoutMs));
        }, timeoutMs)
      : undefined;
  source.getConnection((err, connection) => {
    if (timer) clearTimeout(timer);
    if (timedOut) {
      if (!err) guardConnection(connection).release();
      return;
    }
    if (err) done(toMySqlError(err));
    else done(null, guardConnection(connection));
  });
}

/** {@link connectionWithin} as a promise. */
export function acquire(source: ConnectionSource, timeoutMs: number): Promise<PoolConnection> {
  return promised(
    (from: ConnectionSource, done: Done<PoolConnection>) => connectionWithin(from, timeoutMs, done),
    source,
  );
}

/**
 * Sends a statement on a connection, result to `done`. With `timeoutMs`, a statement still running then is stopped
 * on the server (`kill`: `KILL QUERY` on its server) and the connection, whose protocol state is lost, is destroyed.
 */
export function send(
  connection: PoolConnection,
  sql: string,
  params: readonly unknown[],
  timeoutMs: number,
  kill: Kill,
  done: Done<unknown>,
  prepared = false,
): void {
  let settled = false;
  const finish = (err: Error | null, result?: unknown) => {
    if (settled) return;
    settled = true;
    (connection as Guarded)[RUNNING] = undefined;
    if (!err) return done(null, result);
    if ((err as {code?: string}).code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
      kill(connection, timeoutMs);
      connection.destroy();
      return done(new QueryTimeoutError(timeoutMs));
    }
    done(unnamedAsProtocolError(toMySqlError(err, sql)));
  };
  (connection as Guarded)[RUNNING] = finish;
  // A SELECT the connector built, as a prepared statement (prepared.ts).
  if (prepared) return executePrepared(connection, sql, params, timeoutMs, finish);
  const factory = (connection.config as {infileStreamFactory?: unknown} | undefined)
    ?.infileStreamFactory;
  // The positional form is the driver's cheapest; the options object only when a timeout or a local-file factory
  // needs it.
  if (typeof factory === 'function') {
    const infileStreamFactory = localFileGate(sql, params, factory as LocalFileFactory);
    connection.query(
      {
        sql,
        values: params as unknown[],
        infileStreamFactory,
        ...(timeoutMs > 0 ? {timeout: timeoutMs} : {}),
      },
      finish,
    );
  } else if (timeoutMs > 0) {
    connection.query({sql, values: params as unknown[], timeout: timeoutMs}, finish);
  } else {
    connection.query(sql, params as unknown[], finish);
  }
}

/**
 * A statement's error that neither the server (an errno) nor mysql2 (a code) named is mysql2's row parser throwing
 * on the answer (a column with no known charset, a value it cannot decode): 502 `PROTOCOL_ERROR`, the server's
 * fault. mysql2 formats parameters before anything is sent, so the request's own mistakes never arrive here.
 */
function unnamedAsProtocolError(err: Error): Error {
  if (!(err instanceof MySqlError) || err.code !== 'ER_UNKNOWN' || err.errno !== undefined) {
    return err;
  }
  const error = new MySqlError(
    `The server's answer could not be read: ${err.message}`,
    {code: 'PROTOCOL_ERROR', fatal: err.fatal},
    err.sql,
  );
  error.stack = err.stack;
  return error;
}

/** mysql2's `infileStreamFactory`: the stream of a local file the server asked for. */
export type LocalFileFactory = (path: string) => Readable;

const LOAD_LOCAL =
  /^\s*LOAD\s+(?:DATA|XML)\s+(?:LOW_PRIORITY\s+|CONCURRENT\s+)?LOCAL\s+INFILE\s+(\?|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/i;
const ESCAPES: Readonly<Record<string, string>> = {
  0: '\0',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
};

/**
 * The file a `LOAD DATA LOCAL INFILE` (or `LOAD XML`) statement names: its string literal, or its first parameter
 * for `INFILE ?`. Undefined for any other statement.
 */
export function localInfilePath(sql: string, params: readonly unknown[]): string | undefined {
  const literal = LOAD_LOCAL.exec(sql)?.[1];
  if (literal === undefined) return undefined;
  if (literal === '?') return typeof params[0] === 'string' ? params[0] : undefined;
  // The literal as the server reads it: backslash escapes, and its own quote doubled.
  const quote = literal[0] as string;
  const body = literal.slice(1, -1);
  let path = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\' && i + 1 < body.length) {
      const escaped = body[++i] as string;
      path += ESCAPES[escaped] ?? escaped;
    } else if (c === quote && body[i + 1] === quote) {
      path += quote;
      i++;
    } else path += c;
  }
  return path;
}

/**
 * The factory a statement may use: the user's, for the file its own `LOAD DATA LOCAL INFILE` names, and for
 * nothing else. A server that asks for any other file (in answer to a SELECT, or for another path than the one
 * named) gets no byte of it: mysql2 sends an empty file and the statement fails with 502 `LOCAL_INFILE_REFUSED`.
 */
function localFileGate(
  sql: string,
  params: readonly unknown[],
  factory: LocalFileFactory,
): LocalFileFactory {
  const named = localInfilePath(sql, params);
  return (path) => {
    if (named !== undefined && path === named) return factory(path);
    const refused = new Readable({read: () => undefined});
    const reason =
      named === undefined
        ? 'the statement is no LOAD DATA LOCAL INFILE'
        : 'the statement named another file';
    process.nextTick(() =>
      refused.destroy(
        new SqlConnectorError(
          `The server asked for the local file "${path}", which was refused: ${reason}`,
          {code: 'LOCAL_INFILE_REFUSED', statusCode: 502},
        ),
      ),
    );
    return refused;
  };
}

/** One statement on a connection the caller holds (a transaction's, or one pinned for a unit of work). */
export interface BoundStatement {
  readonly connection: PoolConnection;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly timeoutMs: number;
  readonly kill: Kill;
  /** Run as a prepared statement (prepared.ts). */
  readonly prepared: boolean;
}

/** {@link send} as a promise. */
export function queryOn(statement: BoundStatement): Promise<unknown> {
  return promised(sendBound, statement);
}

function sendBound(s: BoundStatement, done: Done<unknown>): void {
  send(s.connection, s.sql, s.params, s.timeoutMs, s.kill, done, s.prepared);
}

/** Where and how one autocommit statement runs. */
export interface PooledStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The pool to take a connection from. */
  readonly source: ConnectionSource;
  /** Where to go when `source` gives no connection (a read replica's primary); none: fail. */
  readonly fallback: ConnectionSource | undefined;
  readonly acquireTimeoutMs: number;
  readonly timeoutMs: number;
  readonly kill: Kill;
  /** Runs after a failed attempt that may run again, before the backoff. */
  readonly onRetry?: (err: MySqlError, attempt: number) => void;
  /** Retries after deadlocks and lock-wait timeouts (and on closed pooled connections). */
  readonly retries: number;
  /**
   * After a failure that left the statement unapplied (no connection, or refused by a read-only server): where it
   * runs once more (a group's new primary), or the error to fail with. Called at most once per statement.
   */
  readonly reroute?: Reroute | undefined;
  /** Run as a prepared statement (prepared.ts). */
  readonly prepared?: boolean | undefined;
}

/** 1290 from a read-only server (a 503, see errors.ts): the statement was refused, so it was not applied. */
function refusedAsReadOnly(err: Error): boolean {
  return err instanceof MySqlError && err.errno === 1290 && err.statusCode === 503;
}

/**
 * Runs one autocommit statement: a connection from the pool (the fallback's when the source has none), the
 * statement, the connection back; again after a retryable failure, up to `retries` times with backoff. Callbacks
 * underneath and a single promise on top: this is the path of every statement outside a transaction.
 */
export function runPooled(statement: PooledStatement): Promise<unknown> {
  return promised(startPooled, statement);
}

/** {@link runPooled} with a callback. */
function startPooled(statement: PooledStatement, done: Done<unknown>): void {
  let rerouted = false;
  /** The statement was not applied: it may run once more where `reroute` says, if the attempt began `since`. */
  const elsewhere = (err: Error, n: number, since: number) => {
    const reroute = statement.reroute;
    if (!reroute || rerouted) return done(err);
    rerouted = true;
    reroute(err, since).then(
      (next) =>
        next instanceof Error
          ? done(next)
          : attempt(n, {...statement, source: next, fallback: undefined}),
      () => done(err),
    );
  };
  const attempt = (n: number, where: PooledStatement) => {
    const since = statement.reroute ? Date.now() : 0;
    take(where, (err, connection) => {
      if (err) return elsewhere(err, n, since);
      const c = connection as PoolConnection;
      send(
        c,
        statement.sql,
        statement.params,
        statement.timeoutMs,
        statement.kill,
        (qerr, result) => {
          releaseOrDrop(c);
          if (!qerr) return done(null, result);
          if (n < statement.retries && isRetryable(qerr)) {
            statement.onRetry?.(qerr as MySqlError, n + 1);
            setTimeout(() => attempt(n + 1, where), backoffMs(n));
            return;
          }
          if (refusedAsReadOnly(qerr)) return elsewhere(qerr, n, since);
          done(qerr);
        },
        statement.prepared,
      );
    });
  };
  attempt(0, statement);
}

/** A connection from the statement's source, else from its fallback. */
function take(statement: PooledStatement, done: Done<PoolConnection>): void {
  const {source, fallback, acquireTimeoutMs} = statement;
  if (!fallback) return connectionWithin(source, acquireTimeoutMs, done);
  connectionWithin(source, acquireTimeoutMs, (err, connection) => {
    if (!err) return done(null, connection);
    debug('no replica answered (%s): reading from the primary', (err as {code?: string}).code);
    connectionWithin(fallback, acquireTimeoutMs, done);
  });
}
