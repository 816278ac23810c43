import {mysql2} from './mysql/driver';
import {settle, type Callback} from './sql-connector/callbacks';
import type {DataSourceLike} from './sql-connector/juggler-types';
import {MySQL} from './mysql/mysql-connector';
import type {MySqlSettings} from './mysql/settings';

/**
 * Juggler's entry point: creates the connector from `dataSource.settings`, attaches it, and connects unless
 * `settings.lazyConnect` is set. The callback is called once.
 *
 * ```json
 * // datasources.json (LoopBack 3) or a LoopBack 4 datasource config
 * {"name": "db", "connector": "mysql-ts", "url": "mysql://app@localhost/shop"}
 * ```
 */
export function initialize(dataSource: DataSourceLike, callback?: Callback<unknown>): void {
  const settings = (dataSource.settings ?? {}) as MySqlSettings;
  const connector = new MySQL(settings);
  connector.dataSource = dataSource;
  dataSource.connector = connector;
  dataSource.driver = mysql2;
  if (settings.lazyConnect) {
    if (callback) process.nextTick(callback, null, false);
    return;
  }
  // Without a callback nobody would hear a failure; the next call reconnects and reports it.
  settle(connector.connectAsync(), callback ?? (() => undefined));
}
