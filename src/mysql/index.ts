export {MySQL} from './mysql-connector';
export {
  isMySqlError,
  LockConflictError,
  MySqlError,
  PoolTimeoutError,
  QueryTimeoutError,
  toMySqlError,
  type MySqlErrorCode,
} from './errors';
export {streamFind, STREAM_HIGH_WATER_MARK, type StreamableRepository} from './stream';
export {
  resolveSettings,
  type JugglerSettings,
  type MySqlConnectionSettings,
  type MySqlConnectorModule,
  type MySqlDriverSettings,
  type MySqlNodeSettings,
  type MySqlSettings,
  type ResolvedSettings,
} from './settings';
export type {ServerInfo} from './server';
export {ISOLATION_LEVELS, type IsolationLevel} from './driver';
