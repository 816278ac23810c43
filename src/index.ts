/**
 * loopback-connector-mysql-ts: the MySQL and MariaDB connector for LoopBack 3 and LoopBack 4.
 *
 * @packageDocumentation
 */
export {initialize} from './initialize';
export {
  MySQL,
  MySqlError,
  LockConflictError,
  PoolTimeoutError,
  QueryTimeoutError,
  isMySqlError,
  type MySqlErrorCode,
  ISOLATION_LEVELS,
  type IsolationLevel,
  type JugglerSettings,
  type MySqlConnectionSettings,
  type MySqlConnectorModule,
  type MySqlDriverSettings,
  type MySqlNodeSettings,
  type MySqlSettings,
  type ServerInfo,
  type StreamableRepository,
  streamFind,
} from './mysql';
export {
  EntityNotFoundError,
  InvalidFilterError,
  InvalidModelError,
  InvalidTransactionError,
  InvalidValueError,
  ConcurrentModificationError,
  ParameterizedSQL,
  SqlConnector,
  SqlConnectorError,
  isSqlConnectorError,
} from './sql-connector';
export type {
  Callback,
  ColumnMapping,
  Filter,
  ModelData,
  ModelMapping,
  Options,
  Where,
} from './sql-connector';
