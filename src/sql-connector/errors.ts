/** Options for {@link SqlConnectorError}. */
export interface SqlConnectorErrorOptions {
  /** A stable, machine-readable code, e.g. `INVALID_FILTER`. */
  code: string;
  /** The HTTP status LoopBack should answer with (400, 404, 422, 500, ...). */
  statusCode: number;
  cause?: unknown;
}

/**
 * The base of every error this package raises. It has a stable `code` and a numeric `statusCode`, which
 * LoopBack 3 and LoopBack 4 read to choose the HTTP status.
 */
export class SqlConnectorError extends Error {
  override name = 'SqlConnectorError';
  readonly code: string;
  readonly statusCode: number;
  /** The same as `statusCode`: LoopBack 3's error handler reads `status`. */
  readonly status: number;

  constructor(message: string, options: SqlConnectorErrorOptions) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause});
    this.code = options.code;
    this.statusCode = options.statusCode;
    this.status = options.statusCode;
    Error.captureStackTrace(this, new.target);
  }
}

/** A `where`, `order`, `fields`, `limit` or data value the connector cannot turn into safe SQL (400). */
export class InvalidFilterError extends SqlConnectorError {
  override name = 'InvalidFilterError';
  constructor(message: string) {
    super(message, {code: 'INVALID_FILTER', statusCode: 400});
  }
}

/** A value that cannot be stored in its property's column (400). */
export class InvalidValueError extends SqlConnectorError {
  override name = 'InvalidValueError';
  constructor(message: string) {
    super(message, {code: 'INVALID_VALUE', statusCode: 400});
  }
}

/** No row matched the id of a `replaceById` / `updateAttributes` call (404). */
export class EntityNotFoundError extends SqlConnectorError {
  override name = 'EntityNotFoundError';
  constructor(model: string, id: unknown) {
    super(`Could not update attributes. ${model} with id ${JSON.stringify(id)} does not exist`, {
      code: 'ENTITY_NOT_FOUND',
      statusCode: 404,
    });
  }
}

/** A transaction that belongs to another connector, has ended, or is not a transaction (400). */
export class InvalidTransactionError extends SqlConnectorError {
  override name = 'InvalidTransactionError';
  constructor(message: string) {
    super(message, {code: 'INVALID_TRANSACTION', statusCode: 400});
  }
}

/** A model or property definition the connector cannot map to SQL (500: a programming error, not a request error). */
export class InvalidModelError extends SqlConnectorError {
  override name = 'InvalidModelError';
  constructor(message: string) {
    super(message, {code: 'INVALID_MODEL', statusCode: 500});
  }
}

/** An upsertWithWhere whose matching row kept changing while it was being updated (409): run it again. */
export class ConcurrentModificationError extends SqlConnectorError {
  override name = 'ConcurrentModificationError';
  constructor(message: string) {
    super(message, {code: 'CONCURRENT_MODIFICATION', statusCode: 409});
  }
}

/** True for any error raised by this package. */
export function isSqlConnectorError(err: unknown): err is SqlConnectorError {
  return err instanceof SqlConnectorError;
}
