export {ParameterizedSQL, PLACEHOLDER, type SqlFragment} from './parameterized-sql';
export {
  SqlConnector,
  type ColumnReader,
  type StatementIntent,
  type UpsertInfo,
} from './sql-connector';
export {SqlStatementBuilder} from './sql-statement-builder';
export {
  ConcurrentModificationError,
  EntityNotFoundError,
  InvalidFilterError,
  InvalidModelError,
  InvalidTransactionError,
  InvalidValueError,
  SqlConnectorError,
  isSqlConnectorError,
  type SqlConnectorErrorOptions,
} from './errors';
export {
  buildWhere,
  STANDARD_OPERATORS,
  type StandardOperator,
  type WhereContext,
  type WhereDialect,
} from './where';
export type {JsonStep} from './json-path';
export {buildOrderBy} from './order-by';
export {buildProjection, buildFieldList, type FieldList} from './fields';
export {buildModelMapping, type ColumnMapping, type ModelMapping} from './model-mapping';
export type {Callback, Callback2} from './callbacks';
export type * from './juggler-types';
