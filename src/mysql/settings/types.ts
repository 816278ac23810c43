import type {DriverSettings, PoolOptions, SslOptions} from '../driver';
import type {Callback} from '../../sql-connector/callbacks';
import type {DataSourceLike} from '../../sql-connector/juggler-types';

// The documented types of the settings (what an IDE shows on hover). The names are also in the table of
// table.ts, which says how each one is checked, where it goes and what the README says of it; a compile-time
// check there keeps the two lists of names the same.

/**
 * Data source settings of the MySQL connector. The names are the official `loopback-connector-mysql`'s, so an
 * existing `datasources.json` keeps working. Only the names listed here are accepted: a misspelt one
 * (`conectionLimit`) is a type error, and at run time a warning (`LB_MYSQL_UNKNOWN_SETTING`, see
 * `findUnknownSettings`). Other mysql2 options go under `mysql2`.
 *
 * ```ts
 * import {juggler} from '@loopback/repository';
 * import * as mysqlConnector from 'loopback-connector-mysql-ts';
 *
 * const settings: mysqlConnector.MySqlSettings = {
 *   connector: mysqlConnector,
 *   url: 'mysql://app:secret@db.internal:3306/shop',
 *   connectionLimit: 20,
 * };
 * const ds = new juggler.DataSource(settings);
 * ```
 *
 * Every optional setting also accepts `undefined`, which means "not set" (so `url: process.env.MYSQL_URL` type-checks
 * with `exactOptionalPropertyTypes`).
 */
export type MySqlSettings = MySqlConnectionSettings & MySqlDriverSettings & JugglerSettings;

/** The settings the connector reads itself. */
export type MySqlConnectionSettings = {
  /**
   * `mysql://user:password@host:port/database?option=value`. Merged with the other settings: the parts the URL
   * gives win over `host`, `port`, `user`, `password` and `database`, and its query options over the same settings.
   */
  url?: string | undefined;
  /** Server host name or address. Default `localhost`. Alias: `hostname`. */
  host?: string | undefined;
  /** Alias of `host`. */
  hostname?: string | undefined;
  /** Server TCP port. Default `3306`. */
  port?: number | string | undefined;
  /** Path of a Unix socket; replaces `host` and `port`. */
  socketPath?: string | undefined;
  /** User name. Alias: `username`. */
  user?: string | undefined;
  /** Alias of `user`. */
  username?: string | undefined;
  /** Password. Never logged and never part of an error message. */
  password?: string | undefined;
  /** The database (schema) to use. Alias: `db`. */
  database?: string | undefined;
  /** Alias of `database`. */
  db?: string | undefined;
  /** Most connections the pool opens. Default `10`. */
  connectionLimit?: number | undefined;
  /** Most calls waiting for a connection before new ones fail at once; `0` is unbounded. Default `0`. */
  queueLimit?: number | undefined;
  /** Milliseconds to wait for the TCP connection and handshake. Default `10000`. */
  connectTimeout?: number | undefined;
  /** Connection character set. Default `utf8mb4`, so 4-byte characters (emoji) round-trip. */
  charset?: string | undefined;
  /** Connection collation, e.g. `utf8mb4_unicode_ci`; wins over `charset`. */
  collation?: string | undefined;
  /** Time zone of DATETIME values: `Z` (UTC, default), `local`, or an offset such as `+05:30`. */
  timezone?: string | undefined;
  /** TLS: an options object (`ca`, `cert`, `key` as PEM text...), a mysql2 profile name, or `true`. */
  ssl?: string | boolean | SslOptions | undefined;
  /** Return BIGINT and DECIMAL values that do not fit a JS number as strings. Default `true`. */
  supportBigNumbers?: boolean | undefined;
  /** Return every BIGINT and DECIMAL value as a string. Default `false`. */
  bigNumberStrings?: boolean | undefined;
  /** Return DATE/DATETIME/TIMESTAMP values as strings instead of Dates. Default `false`. */
  dateStrings?: boolean | Array<'TIMESTAMP' | 'DATETIME' | 'DATE'> | undefined;
  /** mysql2 connection flags added to the connector's (`'COMPRESS'`, `'-MULTI_STATEMENTS'`): a list or `'A,B'`. */
  flags?: string | readonly string[] | undefined;
  /** Create the database at connect time when it does not exist. Default `false`. */
  createDatabase?: boolean | undefined;
  /**
   * Do not connect in `initialize`; connect on the first call instead. Default `false`. Juggler reads it too.
   */
  lazyConnect?: boolean | undefined;
  /** Milliseconds a call waits for a free pool connection before it fails with 503. Default `10000`; `0` waits forever. */
  acquireTimeout?: number | undefined;
  /** Milliseconds a statement may run before it is stopped (504). Default `0` (no limit); per call: `options.timeout`. */
  queryTimeout?: number | undefined;
  /** How often an autocommit statement rolled back by a deadlock or lock-wait timeout runs again. Default `3`. */
  deadlockRetries?: number | undefined;
  /**
   * Run the SELECTs the connector builds from plain comparisons (findById, find, count, exists) as prepared
   * statements, each parsed once per connection; `maxPreparedStatements` (default 128) bounds how many a connection
   * keeps. Default `false`: measured through juggler on MariaDB 10.11 and MySQL 9.7, they did not pay for themselves
   * (README, Performance). Not with tables whose FLOAT columns the models do not declare
   * (`mysql: {dataType: 'float'}`): the binary protocol reads FLOAT as a 32-bit float.
   */
  preparedStatements?: boolean | undefined;
  /**
   * Read replicas of the primary (`host`/`port`/`url`...): reads outside transactions go to them, writes and
   * transactions to the primary. Each entry is `{host, port, user?, password?, ssl?}` or a `mysql://` url; other
   * settings are the primary's.
   */
  replicas?: readonly (string | MySqlNodeSettings)[] | undefined;
  /** The equal nodes of a multi-primary cluster (Galera), instead of `host`/`port`: statements go to a live node. */
  nodes?: readonly (string | MySqlNodeSettings)[] | undefined;
  /** How reads pick a replica: `RR` (round robin, default), `RANDOM` or `ORDER` (the first live one). */
  replicaSelector?: 'RR' | 'RANDOM' | 'ORDER' | undefined;
  /** How statements pick a node of `nodes`: `ORDER` (default: stay on the first live node), `RR` or `RANDOM`. */
  nodeSelector?: 'RR' | 'RANDOM' | 'ORDER' | undefined;
  /**
   * What `nodes` are: `galera` (default), the equal nodes of a multi-primary cluster; or `group-replication`, the
   * members of a single-primary MySQL Group Replication group (InnoDB Cluster): writes go to the member that is the
   * primary now, reads to the ONLINE secondaries (`replicaSelector`), and a failover is followed without a restart.
   */
  cluster?: 'galera' | 'group-replication' | undefined;
  /** Group Replication: milliseconds between two looks at the group while it has a primary. Default `1000`. */
  groupRefreshInterval?: number | undefined;
  /** Milliseconds after a write during which this data source reads from the primary. Default `0`. */
  readYourWritesMs?: number | undefined;
  /**
   * Seconds a replica may lag (`Seconds_Behind_Source` on MySQL, `Seconds_Behind_Master` on MariaDB) before it leaves
   * rotation; unset: no check. Reading it takes REPLICATION CLIENT (MySQL) or SLAVE MONITOR (MariaDB).
   */
  maxReplicaLag?: number | undefined;
  /** Milliseconds between replica lag checks. Default `1000`. */
  lagCheckInterval?: number | undefined;
  /** Milliseconds a replica or node that failed stays out of rotation. Default `5000`. */
  restoreNodeTimeout?: number | undefined;
  /** Discovery: `true` (default): TINYINT(1) is a Number; `false`: a Boolean. A call's options win. */
  treatTINYINT1AsTinyInt?: boolean | 'true' | 'false' | undefined;
  /** Discovery: `false` (default): CHAR(1) is a Boolean; `true`: a String. A call's options win. */
  treatCHAR1AsString?: boolean | 'true' | 'false' | undefined;
  /** Discovery: `true` (default): BIT(1) is a Buffer; `false`: a Boolean. A call's options win. */
  treatBIT1AsBit?: boolean | 'true' | 'false' | undefined;
  /**
   * Accepted for compatibility; SQL logging is `DEBUG=loopback:connector:mysql`. Never turns on packet dumps.
   * Juggler logs its settings when it is set.
   */
  debug?: boolean | undefined;
  /** Any other mysql2 pool option (`enableKeepAlive`, `maxIdle`, `idleTimeout`, `authPlugins`, ...). */
  mysql2?: Partial<PoolOptions> | undefined;
};

/** Names of the mysql2 pool options that are also accepted at the top level, besides the documented ones. */
type DriverSettingName =
  | 'decimalNumbers'
  | 'jsonStrings'
  | 'waitForConnections'
  | 'maxIdle'
  | 'idleTimeout'
  | 'enableKeepAlive'
  | 'keepAliveInitialDelay'
  | 'localAddress'
  | 'insecureAuth'
  | 'authPlugins'
  | 'maxPreparedStatements'
  | 'connectAttributes'
  | 'compress'
  | 'resetOnRelease';

/** mysql2 pool options accepted at the top level and passed to mysql2 as they are (see mysql2's documentation). */
export type MySqlDriverSettings = {
  [K in keyof Pick<PoolOptions, DriverSettingName>]?: PoolOptions[K] | undefined;
};

/** This package as juggler's `connector` setting takes it: a module with `initialize`. */
export interface MySqlConnectorModule {
  initialize(dataSource: DataSourceLike, callback?: Callback<unknown>): void;
}

/**
 * The keys juggler (LoopBack 3 and 4) reads from the same settings object. The connector ignores them, but they
 * belong in the data source settings.
 */
export type JugglerSettings = {
  /** The data source name. */
  name?: string | undefined;
  /**
   * The connector: `'mysql-ts'` (juggler resolves `loopback-connector-mysql-ts`), or this package itself
   * (`import * as mysqlConnector from 'loopback-connector-mysql-ts'`).
   */
  connector?: string | MySqlConnectorModule | undefined;
  /** JugglingDB's old name of `connector`. */
  adapter?: string | MySqlConnectorModule | undefined;
  /** Juggler: emit a connection failure in `initialize` as an `error` event caught and logged. */
  catchFailure?: boolean | undefined;
  /** Juggler: milliseconds a call waits for the data source to connect before it fails. Default `5000`. */
  connectionTimeout?: number | undefined;
  /** Juggler: most calls queued while the data source connects. Default `16`. */
  maxOfflineRequests?: number | undefined;
  /** Juggler: most ids in one `inq` of an inclusion before it is split. Default `256`. */
  inqLimit?: number | undefined;
  /** Juggler: allow operators (`$set`...) and extended operators in queries and data. */
  allowExtendedOperators?: boolean | undefined;
  /** Juggler: the deepest a `where` may nest. */
  maxDepthOfQuery?: number | undefined;
  /** Juggler: the deepest model data may nest. */
  maxDepthOfData?: number | undefined;
  /** Juggler: what an `undefined` in a `where` becomes. */
  normalizeUndefinedInQuery?: 'nullify' | 'throw' | 'ignore' | undefined;
  /** Juggler: reject filters on hidden properties. */
  prohibitHiddenPropertiesInQuery?: boolean | undefined;
};

/** One server of `replicas` or `nodes`. */
export type MySqlNodeSettings = {
  host?: string | undefined;
  port?: number | string | undefined;
  socketPath?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  ssl?: string | boolean | SslOptions | undefined;
};

/** The settings resolved: what the driver reads (driver/types.ts), and what the connector reads besides. */
export interface ResolvedSettings extends DriverSettings {
  readonly lazyConnect: boolean;
  readonly preparedStatements: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// The shape of a row of the settings table (table.ts)
// ---------------------------------------------------------------------------------------------------------------

/**
 * What a setting's value may be, checked at run time (`validateSettings`). A `number` may also be given as a string
 * of digits (`"3306"`, as environment variables and JSON files often give it); `servers` is a list of servers, each
 * `{host, port...}` or a `mysql://` url, which is checked as the list is read.
 */
export type ValueKind =
  'string' | 'number' | 'boolean' | 'object' | 'array' | 'function' | 'servers';

/**
 * Where a setting goes:
 * - `'mysql2'`: passed to mysql2's pool as it is, under the same name;
 * - `{mysql2: [...]}`: read by the connector, which turns it into these mysql2 pool options (`'*'`: any of them);
 * - `'connector'`: read by the connector only (`ResolvedSettings`, discovery), never passed to mysql2;
 * - `'juggler'`: juggler's own; the connector accepts it and ignores it.
 */
/** The name of a mysql2 pool option. */
export type PoolOptionName = keyof PoolOptions;

export type Destination =
  'mysql2' | 'connector' | 'juggler' | {readonly mysql2: readonly PoolOptionName[] | '*'};

/** One row of the settings table: how a setting is checked, where it goes and what the README says of it. */
export interface SettingSpec {
  /** Other names of the same setting; the main name wins when both are given. */
  readonly aliases?: readonly string[];
  /** The kinds of value it takes; anything else is an `INVALID_SETTING` error. */
  readonly type: readonly ValueKind[];
  /** The only strings it takes, if it takes a closed set of them. */
  readonly values?: readonly string[];
  /** `values` are compared without regard to case. */
  readonly ignoreCase?: true;
  /** The value is never shown in an error message (it is, or may hold, a password). */
  readonly secret?: true;
  readonly to: Destination;
  /** How a value in the query string of `url` is converted (default: kept as a string). */
  readonly query?: 'number' | 'boolean' | 'ssl';
  /** The value the connector uses when the setting is not given. */
  readonly default?: string | number | boolean;
  /** The README row. */
  readonly readme: {
    /** The Type column, when the kinds do not say it well. */
    readonly type?: string;
    /** The unit of a number, shown after its type: `number (ms)`. */
    readonly unit?: 'ms' | 's';
    /** The Default column after `default`: a note on it, or mysql2's or juggler's default. */
    readonly default?: string;
    /** The Meaning column (markdown). */
    readonly meaning: string;
  };
}

/** A group of settings, in the order the README lists them. */
export type SettingGroup = Readonly<Record<string, SettingSpec>>;
