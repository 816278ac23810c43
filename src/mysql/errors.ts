import {SqlConnectorError} from '../sql-connector/errors';

/** The HTTP status of errors by their code (the server's, mysql2's and the connector's own); anything else is 500. */
const STATUS_BY_CODE = {
  ER_DUP_ENTRY: 422,
  ER_DUP_KEY: 422,
  ER_DUP_UNIQUE: 422,
  ER_NO_REFERENCED_ROW: 422,
  ER_NO_REFERENCED_ROW_2: 422,
  ER_ROW_IS_REFERENCED: 422,
  ER_ROW_IS_REFERENCED_2: 422,
  ER_BAD_NULL_ERROR: 422,
  ER_CHECK_CONSTRAINT_VIOLATED: 422,
  ER_CONSTRAINT_FAILED: 422,
  ER_DATA_TOO_LONG: 422,
  ER_TRUNCATED_WRONG_VALUE: 422,
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 422,
  ER_WARN_DATA_OUT_OF_RANGE: 422,
  // 1265, "Data truncated for column": an ENUM/SET value that is not a member, in strict mode (mysql2's name has no
  // ER_ prefix).
  WARN_DATA_TRUNCATED: 422,
  // 1441: a fractional second rounded past the column's last value (MySQL rounds '9999-12-31 23:59:59.999' up in a
  // DATE or DATETIME(0) column).
  ER_DATETIME_FUNCTION_OVERFLOW: 422,
  ER_NO_DEFAULT_FOR_FIELD: 422,
  ER_DB_CREATE_EXISTS: 422,
  ER_TABLE_EXISTS_ERROR: 422,
  // A request's filter the server rejects: a regexp it cannot compile, full-text search on a column without a
  // FULLTEXT index.
  ER_REGEXP_ERROR: 400,
  ER_FT_MATCHING_KEY_NOT_FOUND: 400,
  // 1525, "Incorrect DATETIME value": MySQL (9.7) comparing a temporal column with a literal that is no value of its
  // type, such as a year-10000 Date. A bad value of the request; the connector rejects such Dates in a where itself.
  ER_WRONG_VALUE: 400,
  ER_DB_DROP_EXISTS: 404,
  ER_BAD_DB_ERROR: 404,
  ER_BAD_TABLE_ERROR: 404,
  ER_NO_SUCH_TABLE: 404,
  ER_LOCK_DEADLOCK: 409,
  ER_LOCK_WAIT_TIMEOUT: 409,
  ER_ACCESS_DENIED_ERROR: 503,
  ER_DBACCESS_DENIED_ERROR: 503,
  ER_CON_COUNT_ERROR: 503,
  ER_SERVER_SHUTDOWN: 503,
  ECONNREFUSED: 503,
  // mysql2 replaces Node's TLS codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE...) with these: the server cannot be trusted
  // or does not offer TLS, a connection failure like the others.
  HANDSHAKE_SSL_ERROR: 503,
  HANDSHAKE_NO_SSL_SUPPORT: 503,
  ECONNRESET: 503,
  // A write to a connection the server (or the network) already closed, and the other ways a socket goes away.
  EPIPE: 503,
  ECONNABORTED: 503,
  ENETUNREACH: 503,
  ENETDOWN: 503,
  EHOSTDOWN: 503,
  ENOTFOUND: 503,
  EAI_AGAIN: 503,
  ETIMEDOUT: 503,
  EHOSTUNREACH: 503,
  PROTOCOL_CONNECTION_LOST: 503,
  PROTOCOL_SEQUENCE_TIMEOUT: 504,
  // The server answered what the protocol does not allow (a packet out of turn, a malformed one), or asked for a
  // local file the statement did not name: a bad gateway, not a failure of the request.
  PROTOCOL_ERROR: 502,
  PROTOCOL_UNEXPECTED_PACKET: 502,
  HANDSHAKE_UNKNOWN_ERROR: 502,
  LOCAL_INFILE_REFUSED: 502,
  POOL_CLOSED: 503,
  POOL_ENQUEUELIMIT: 503,
  POOL_NOCONNECTIONS: 503,
  // A pool cluster whose nodes are all out of rotation.
  POOL_NONEONLINE: 503,
  POOL_NOEXIST: 503,
  CONNECTION_CLOSED: 503,
  ER_QUERY_INTERRUPTED: 504,
  ER_STATEMENT_TIMEOUT: 504,
  // The connector's own: no pool connection within acquireTimeout, a statement past queryTimeout, a named lock
  // (findOrCreate, upsertWithWhere) not granted in time.
  POOL_ACQUIRE_TIMEOUT: 503,
  QUERY_TIMEOUT: 504,
  LOCK_TIMEOUT: 503,
} as const satisfies Record<string, number>;

/**
 * The code of a {@link MySqlError}: one the connector gives a status to (the server's `ER_DUP_ENTRY`, mysql2's
 * `PROTOCOL_CONNECTION_LOST`, the connector's own `QUERY_TIMEOUT`...), or any other the server or mysql2 reports
 * (mysql2 names several thousand).
 */
export type MySqlErrorCode = keyof typeof STATUS_BY_CODE | 'ER_UNKNOWN' | (string & {});

const statusOf = (code: string): number | undefined =>
  (STATUS_BY_CODE as Readonly<Record<string, number>>)[code];

interface DriverError {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  fatal?: unknown;
}

/**
 * An error from the MySQL server or the driver. It keeps the driver's `code` (`ER_DUP_ENTRY`), `errno`, `sqlState`
 * and `sqlMessage`, so existing `err.code` checks and LoopBack 4's error mapping keep working, and adds a numeric
 * `statusCode`. The statement is kept in `sql`; its parameters are never part of the error.
 */
export class MySqlError extends SqlConnectorError {
  override name = 'MySqlError';
  declare readonly code: MySqlErrorCode;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly sqlMessage: string | undefined;
  /** True when the driver closed the connection because of this error. */
  readonly fatal: boolean;
  readonly sql: string | undefined;

  constructor(message: string, driver: DriverError, sql?: string) {
    const code = driverCode(driver);
    // MySQL 8 names each regexp failure (ER_REGEXP_SYNTAX, ER_REGEXP_MISMATCHED_PAREN, ...). SQLSTATE class 23 is an
    // integrity constraint violation, whatever the server calls it.
    const status =
      statusOf(code) ??
      (code.startsWith('ER_REGEXP_')
        ? 400
        : refusedAsReadOnly(code, driver) || galeraNodeNotReady(code, driver)
          ? 503
          : String(driver.sqlState).startsWith('23')
            ? 422
            : 500);
    super(message, {code, statusCode: status});
    this.errno = typeof driver.errno === 'number' ? driver.errno : undefined;
    this.sqlState = typeof driver.sqlState === 'string' ? driver.sqlState : undefined;
    this.sqlMessage = typeof driver.sqlMessage === 'string' ? driver.sqlMessage : undefined;
    this.fatal = driver.fatal === true;
    this.sql = sql;
  }
}

/**
 * The driver's code, corrected where mysql2's errno table (MySQL's names) names a MariaDB error wrongly: MariaDB's 4025
 * is a failed CHECK constraint (SQLSTATE 23000), which MySQL's table calls ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE.
 */
function driverCode(driver: DriverError): string {
  if (driver.errno === 4025 && driver.sqlState === '23000') return 'ER_CONSTRAINT_FAILED';
  return typeof driver.code === 'string' ? driver.code : 'ER_UNKNOWN';
}

/**
 * 1290 (ER_OPTION_PREVENTS_STATEMENT) for `--read-only` or `--super-read-only`: the server is a replica, or a primary
 * being demoted by a failover. Writes are never sent to a replica, so the server that took the write is not, or no
 * longer, the primary: a 503 to retry, like a primary that is down. The same errno for another option
 * (`--secure-file-priv`, `--skip-grant-tables`) is a 500.
 */
function refusedAsReadOnly(code: string, driver: DriverError): boolean {
  const text = typeof driver.sqlMessage === 'string' ? driver.sqlMessage : driver.message;
  return (
    code === 'ER_OPTION_PREVENTS_STATEMENT' && typeof text === 'string' && /read-only/.test(text)
  );
}

/**
 * 1047 from a Galera node that is not part of the Primary Component or has not finished joining (its state transfer
 * is under way): `WSREP has not yet prepared node for application use`. The node refuses every statement until it is
 * Synced, so nothing was applied: a 503 to retry, like a server that is down. MySQL's own 1047 (an unknown command of
 * the protocol) stays a 500. https://mariadb.com/kb/en/wsrep_ready/
 */
function galeraNodeNotReady(code: string, driver: DriverError): boolean {
  const text = typeof driver.sqlMessage === 'string' ? driver.sqlMessage : driver.message;
  return code === 'ER_UNKNOWN_COM_ERROR' && typeof text === 'string' && /^WSREP\b/.test(text);
}

/**
 * The single translation point from driver errors to {@link MySqlError}. Errors this package raised itself pass
 * through unchanged. The password never reaches the message: mysql2 does not put it there, and we strip any URL
 * credentials defensively.
 */
export function toMySqlError(err: unknown, sql?: string): Error {
  if (err instanceof SqlConnectorError) return err;
  const driver = withCode(err !== null && typeof err === 'object' ? err : {message: String(err)});
  const text = typeof driver.message === 'string' ? driver.message : String(err);
  const message = text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
  // No `cause`: mysql2 puts the statement with its values written in on its error (`err.sql`), and a cause is
  // printed by util.inspect and most loggers. The driver's fields and stack are copied instead.
  const error = LOCK_CONFLICTS.has(driver.errno)
    ? new LockConflictError(message, driver, sql)
    : new MySqlError(message, driver, sql);
  if (err instanceof Error && err.stack) {
    error.stack = `${error.name}: ${message}\n${err.stack.split('\n').slice(1).join('\n')}`;
  }
  return error;
}

/** mysql2 raises some pool and connection errors without a code: give them one, so callers can branch on it. */
const CODE_BY_MESSAGE: readonly (readonly [RegExp, string])[] = [
  [/^Queue limit reached/, 'POOL_ENQUEUELIMIT'],
  [/^Pool is closed/, 'POOL_CLOSED'],
  [/^No connections available/, 'POOL_NOCONNECTIONS'],
  [/connection is in closed state/, 'CONNECTION_CLOSED'],
  // mysql2's answer to a server that asks for a local file when no stream factory is configured.
  [/server wants to read .* file/, 'LOCAL_INFILE_REFUSED'],
];

function withCode(driver: DriverError): DriverError {
  if (typeof driver.code === 'string' || typeof driver.message !== 'string') return driver;
  const message = driver.message;
  const found = CODE_BY_MESSAGE.find(([pattern]) => pattern.test(message));
  if (found) return {...pickFields(driver), code: found[1]};
  // mysql2 names every network and protocol failure; a fatal error without a code is its parser throwing on what
  // the server sent (a malformed packet): the connection is gone, and the server is to blame.
  return driver.fatal === true ? {...pickFields(driver), code: 'PROTOCOL_ERROR'} : driver;
}

function pickFields(driver: DriverError): DriverError {
  const {message, errno, sqlState, sqlMessage, fatal} = driver;
  return {message, errno, sqlState, sqlMessage, fatal};
}

/** A duplicate-key error raised by the connector itself (an upsert that hit another unique key). */
export function duplicateEntryError(model: string): MySqlError {
  return new MySqlError(
    `Duplicate entry: the ${model} row conflicts with another row on a unique key`,
    {code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000'},
  );
}

/**
 * A value its column cannot hold, found before any statement is sent (a Date outside a DATETIME's range): the
 * error the server gives such a value, ER_TRUNCATED_WRONG_VALUE (422), with a message naming the property and the
 * range.
 */
export function valueOutOfRangeError(message: string): MySqlError {
  return new MySqlError(message, {
    code: 'ER_TRUNCATED_WRONG_VALUE',
    errno: 1292,
    sqlState: '22007',
  });
}

/** Error numbers of a statement InnoDB rolled back for lock contention: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. */
const LOCK_CONFLICTS: ReadonlySet<unknown> = new Set([1213, 1205]);

/**
 * No pool connection came free within `acquireTimeout` (503 `POOL_ACQUIRE_TIMEOUT`): every connection was busy, or
 * the server did not answer a new connection in time. Nothing was sent.
 */
export class PoolTimeoutError extends MySqlError {
  override name = 'PoolTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(
      `No connection available within ${timeoutMs} ms (connectionLimit reached): raise connectionLimit or acquireTimeout`,
      {code: 'POOL_ACQUIRE_TIMEOUT'},
    );
  }
}

/**
 * A statement still running after `queryTimeout` (or the call's `options.timeout`): stopped on the server with
 * `KILL QUERY`, its connection destroyed (504 `QUERY_TIMEOUT`). A write may or may not have been applied.
 */
export class QueryTimeoutError extends MySqlError {
  override name = 'QueryTimeoutError';
  constructor(
    readonly timeoutMs: number,
    message = `The statement did not finish within ${timeoutMs} ms and was stopped`,
  ) {
    super(message, {code: 'QUERY_TIMEOUT'});
  }
}

/**
 * Lock contention: a deadlock (1213, `ER_LOCK_DEADLOCK`) or a lock wait past `innodb_lock_wait_timeout` (1205,
 * `ER_LOCK_WAIT_TIMEOUT`), both 409, after which InnoDB rolled the statement (autocommit, retried by the connector
 * up to `deadlockRetries` times) or the whole transaction back; or a findOrCreate / upsertWithWhere that waited for
 * its named lock too long (503 `LOCK_TIMEOUT`). Running the work again may succeed.
 */
export class LockConflictError extends MySqlError {
  override name = 'LockConflictError';
}

/** The error of a named lock not granted within `seconds` (see named-lock.ts). */
export function lockTimeoutError(seconds: number): LockConflictError {
  return new LockConflictError(
    `Timed out after ${seconds}s waiting for a concurrent findOrCreate or upsertWithWhere`,
    {code: 'LOCK_TIMEOUT'},
  );
}

/**
 * Whether `err` is a {@link MySqlError} (of any subclass), with `code` when given.
 *
 * ```ts
 * if (isMySqlError(err, 'ER_DUP_ENTRY')) return conflict(err.sqlMessage);
 * ```
 */
export function isMySqlError(err: unknown, code?: MySqlErrorCode): err is MySqlError {
  return err instanceof MySqlError && (code === undefined || err.code === code);
}
