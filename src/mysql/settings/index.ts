// The settings of the MySQL connector: the documented types (types.ts), the table every setting is described in
// (table.ts), the checks and the unknown-setting warning (validate.ts), and settings → mysql2 options (resolve.ts).
export {charsetOf, parseUrl, resolveSettings, sslOptions} from './resolve';
export {
  SETTING_GROUPS,
  SETTINGS,
  type MainSettingName,
  type SettingGroupName,
  type SettingName,
} from './table';
export type {
  Destination,
  JugglerSettings,
  MySqlConnectionSettings,
  MySqlConnectorModule,
  MySqlDriverSettings,
  MySqlNodeSettings,
  MySqlSettings,
  ResolvedSettings,
  SettingSpec,
  ValueKind,
} from './types';
export {
  findUnknownSettings,
  invalidSetting,
  unknownSettingMessage,
  validateSettings,
  warnUnknownSettings,
  type UnknownSetting,
} from './validate';
