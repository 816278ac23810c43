import type {PoolOptions, SslOptions} from './driver';
import type {Callback} from '../sql-connector/callbacks';
import {SqlConnectorError} from '../sql-connector/errors';
import type {DataSourceLike} from '../sql-connector/juggler-types';
import {DEFAULT_MAX_PREPARED_STATEMENTS} from './prepared';

/**
 * Data source settings of the MySQL connector. The names are the official `loopback-connector-mysql`'s, so an
 * existing `datasources.json` keeps working. Only the names listed here are accepted: a misspelt one
 * (`conectionLimit`) is a type error, and at run time a warning (`LB_MYSQL_UNKNOWN_SETTING`, see
 * {@link findUnknownSettings}). Other mysql2 options go under `mysql2`.
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

/** What the connector needs beyond the pool options. */
export interface ResolvedSettings {
  readonly pool: PoolOptions;
  readonly database: string | undefined;
  readonly createDatabase: boolean;
  readonly lazyConnect: boolean;
  /** The connection charset's SQL name (`utf8mb4`), used for CREATE DATABASE / CREATE TABLE. */
  readonly charset: string;
  readonly collation: string | undefined;
  readonly acquireTimeout: number;
  readonly queryTimeout: number;
  readonly deadlockRetries: number;
  readonly preparedStatements: boolean;
  readonly replicas: readonly PoolOptions[];
  readonly nodes: readonly PoolOptions[];
  readonly replicaSelector: 'RR' | 'RANDOM' | 'ORDER';
  readonly nodeSelector: 'RR' | 'RANDOM' | 'ORDER';
  readonly cluster: 'galera' | 'group-replication';
  readonly groupRefreshInterval: number;
  readonly readYourWritesMs: number;
  readonly maxReplicaLag: number | undefined;
  readonly lagCheckInterval: number;
  readonly restoreNodeTimeout: number;
}

/** How one top-level setting is read. */
interface SettingRule {
  /** Passed to mysql2 as it is. */
  readonly pool?: true;
  /** How a value from the url's query string is converted (default: kept as a string). */
  readonly query?: 'number' | 'boolean' | 'ssl';
}

/**
 * Every top-level setting, the connector's, mysql2's and juggler's: the one list the pool options, the url's query
 * conversions and the unknown-setting warning come from. `satisfies` keeps it and {@link MySqlSettings} the same
 * list of names: a name missing here or there does not compile.
 */
const SETTINGS = {
  url: {},
  host: {},
  hostname: {},
  port: {query: 'number'},
  socketPath: {pool: true},
  user: {},
  username: {},
  password: {},
  database: {},
  db: {},
  connectionLimit: {pool: true, query: 'number'},
  queueLimit: {pool: true, query: 'number'},
  connectTimeout: {pool: true, query: 'number'},
  charset: {},
  collation: {},
  timezone: {pool: true},
  ssl: {query: 'ssl'},
  supportBigNumbers: {pool: true, query: 'boolean'},
  bigNumberStrings: {pool: true, query: 'boolean'},
  dateStrings: {pool: true},
  flags: {},
  createDatabase: {query: 'boolean'},
  lazyConnect: {query: 'boolean'},
  acquireTimeout: {query: 'number'},
  queryTimeout: {query: 'number'},
  deadlockRetries: {query: 'number'},
  preparedStatements: {query: 'boolean'},
  replicas: {},
  nodes: {},
  replicaSelector: {},
  nodeSelector: {},
  cluster: {},
  groupRefreshInterval: {query: 'number'},
  readYourWritesMs: {query: 'number'},
  maxReplicaLag: {query: 'number'},
  lagCheckInterval: {query: 'number'},
  restoreNodeTimeout: {query: 'number'},
  treatTINYINT1AsTinyInt: {},
  treatCHAR1AsString: {},
  treatBIT1AsBit: {},
  debug: {},
  mysql2: {},
  // mysql2's, passed as they are
  decimalNumbers: {pool: true, query: 'boolean'},
  jsonStrings: {pool: true, query: 'boolean'},
  waitForConnections: {pool: true, query: 'boolean'},
  maxIdle: {pool: true, query: 'number'},
  idleTimeout: {pool: true, query: 'number'},
  enableKeepAlive: {pool: true, query: 'boolean'},
  keepAliveInitialDelay: {pool: true, query: 'number'},
  localAddress: {pool: true},
  insecureAuth: {pool: true, query: 'boolean'},
  authPlugins: {pool: true},
  maxPreparedStatements: {pool: true, query: 'number'},
  connectAttributes: {pool: true},
  compress: {pool: true, query: 'boolean'},
  resetOnRelease: {pool: true, query: 'boolean'},
  // juggler's
  name: {},
  connector: {},
  adapter: {},
  catchFailure: {},
  connectionTimeout: {},
  maxOfflineRequests: {},
  inqLimit: {},
  allowExtendedOperators: {},
  maxDepthOfQuery: {},
  maxDepthOfData: {},
  normalizeUndefinedInQuery: {},
  prohibitHiddenPropertiesInQuery: {},
} as const satisfies {readonly [K in keyof MySqlSettings]-?: SettingRule};

type SettingName = keyof typeof SETTINGS;
const RULES: Readonly<Record<SettingName, SettingRule>> = SETTINGS;
const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

function isSettingName(key: string): key is SettingName {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

/** Top-level settings passed to mysql2 as they are. */
const DRIVER_KEYS = SETTING_NAMES.filter((key) => RULES[key].pool === true);

/** Driver options the connector relies on: neither settings nor the `mysql2` key may change them. */
const CONTROLLED_KEYS = new Set([
  'namedPlaceholders',
  'rowsAsArray',
  'nestTables',
  'queryFormat',
  'typeCast',
  'debug',
]);

/**
 * mysql2's ssl option from the `ssl` setting: a copy (mysql2 writes into the object it is given), with the server
 * certificate's name checked against the host (`verifyIdentity`) whenever the certificate is verified: a certificate
 * of the right CA issued for another server is refused, as a certificate of another CA is. `verifyIdentity: false`
 * opts out. A profile name (`'Amazon RDS'`) goes to mysql2 as it is.
 */
export function sslOptions(ssl: unknown): string | SslOptions | undefined {
  if (ssl === true) return {verifyIdentity: true};
  if (typeof ssl === 'string') return ssl === '' ? undefined : ssl;
  if (!ssl || typeof ssl !== 'object') return undefined;
  const options = {...(ssl as SslOptions)};
  if (options.verifyIdentity === undefined && options.rejectUnauthorized !== false) {
    options.verifyIdentity = true;
  }
  return options;
}

/** Reads the URL's parts and query options into settings (strings converted for known numeric/boolean keys). */
export function parseUrl(url: string): MySqlSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('Invalid MySQL url: expected mysql://user:password@host:port/database');
  }
  if (!/^(mysql|mariadb|mysqlx?)(\+\w+)?:$/.test(parsed.protocol)) {
    throw new TypeError(`Invalid MySQL url: unsupported protocol "${parsed.protocol}"`);
  }
  // Query options may name anything; the unknown ones are reported by findUnknownSettings and otherwise ignored.
  const out: Record<string, unknown> = {};
  if (parsed.hostname) out.host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  if (parsed.port) out.port = Number(parsed.port);
  if (parsed.username) out.user = decodeURIComponent(parsed.username);
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) out.database = database;
  for (const [key, raw] of parsed.searchParams) {
    const rule = isSettingName(key) ? RULES[key].query : undefined;
    if (rule === 'number') out[key] = Number(raw);
    else if (rule === 'boolean') out[key] = raw === 'true' || raw === '1';
    else if (rule === 'ssl') out[key] = parseSslParam(raw);
    else out[key] = raw;
  }
  return out;
}

function parseSslParam(raw: string): MySqlSettings['ssl'] {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  if (raw.startsWith('{')) {
    try {
      return JSON.parse(raw) as SslOptions;
    } catch {
      throw new TypeError('Invalid MySQL url: the ssl parameter is not valid JSON');
    }
  }
  return raw;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

function selector(value: unknown, fallback: 'RR' | 'RANDOM' | 'ORDER'): 'RR' | 'RANDOM' | 'ORDER' {
  const v = typeof value === 'string' ? value.toUpperCase() : undefined;
  return v === 'RR' || v === 'RANDOM' || v === 'ORDER' ? v : fallback;
}

/** Pool options of each server of `replicas` / `nodes`: the primary's, with the server's own address and login. */
function nodeList(value: unknown, base: Record<string, unknown>, name: string): PoolOptions[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TypeError(`Invalid ${name}: expected an array of servers`);
  return value.map((entry: unknown) => {
    const node: MySqlSettings =
      typeof entry === 'string' ? parseUrl(entry) : {...(entry as MySqlNodeSettings)};
    if (!node || typeof node !== 'object')
      throw new TypeError(`Invalid ${name}: expected {host, port} or a url`);
    const out: Record<string, unknown> = {...base};
    if (typeof node.host === 'string') out.host = node.host;
    if (node.port !== undefined) out.port = Number(node.port);
    if (typeof node.socketPath === 'string') out.socketPath = node.socketPath;
    if (typeof node.user === 'string') out.user = node.user;
    if (typeof node.password === 'string') out.password = node.password;
    const ssl = sslOptions(node.ssl);
    if (ssl !== undefined) out.ssl = ssl;
    return out;
  });
}

/** The `cluster` setting; `group-replication` needs `nodes`, and has no use for `replicas` or `maxReplicaLag`. */
function clusterKind(s: MySqlSettings): ResolvedSettings['cluster'] {
  const value: unknown = s.cluster;
  if (value === undefined || value === null || value === 'galera') return 'galera';
  const invalid = (message: string) =>
    new SqlConnectorError(message, {code: 'INVALID_SETTING', statusCode: 500});
  if (value !== 'group-replication') {
    throw invalid(
      `Invalid cluster ${JSON.stringify(value)}: expected 'galera' or 'group-replication'`,
    );
  }
  if (!Array.isArray(s.nodes) || s.nodes.length === 0) {
    throw invalid(
      "cluster 'group-replication' needs the members of the group in nodes: [{host, port}, ...]",
    );
  }
  if (Array.isArray(s.replicas) && s.replicas.length > 0) {
    throw invalid(
      "cluster 'group-replication' takes no replicas: the group's ONLINE secondaries take the reads",
    );
  }
  if (s.maxReplicaLag !== undefined && s.maxReplicaLag !== null) {
    throw invalid(
      "maxReplicaLag does not apply to cluster 'group-replication'; for reads that must see a write, use " +
        "readYourWritesMs or {readFrom: 'primary'}",
    );
  }
  return value;
}

function nonNegative(value: unknown, fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** The SQL charset of a collation or charset name: `utf8mb4_unicode_ci` → `utf8mb4`. */
export function charsetOf(name: string): string {
  return (name.split('_')[0] ?? name).toLowerCase();
}

/**
 * Turns data source settings into mysql2 pool options and the connector's own options. Pure: the input is never
 * modified, and only options mysql2 knows reach it (no "Ignoring invalid configuration option" warnings).
 */
export function resolveSettings(input: Readonly<MySqlSettings>): ResolvedSettings {
  const fromUrl = typeof input.url === 'string' && input.url !== '' ? parseUrl(input.url) : {};
  const s: MySqlSettings = {...input, ...fromUrl};
  const pool: Record<string, unknown> = {};
  const host = firstString(fromUrl.host, input.host, input.hostname);
  pool.host = host ?? 'localhost';
  pool.port = s.port === undefined || s.port === '' ? 3306 : Number(s.port);
  const user = firstString(fromUrl.user, input.user, input.username);
  if (user !== undefined) pool.user = user;
  if (typeof s.password === 'string') pool.password = s.password;
  const database = firstString(fromUrl.database, input.database, input.db);
  for (const key of DRIVER_KEYS) if (s[key] !== undefined) pool[key] = s[key];
  pool.connectionLimit ??= 10;
  pool.timezone ??= 'Z';
  pool.supportBigNumbers ??= true;
  pool.maxPreparedStatements ??= DEFAULT_MAX_PREPARED_STATEMENTS;
  const collation = firstString(s.collation);
  const charset = collation ?? firstString(s.charset) ?? 'utf8mb4';
  pool.charset = charset.toUpperCase();
  const ssl = sslOptions(s.ssl);
  if (ssl !== undefined) pool.ssl = ssl;
  // Without FOUND_ROWS, an upsert's affectedRows tells inserted (1), changed (2) and unchanged (0) apart; UPDATE
  // counts of matched rows are read from the OK packet's info instead (see mysql-connector.ts).
  const extra: Record<string, unknown> = {...(s.mysql2 ?? {})};
  const flags = ['-FOUND_ROWS'];
  for (const f of [s.flags, extra.flags]) {
    if (typeof f === 'string')
      flags.push(
        ...f
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      );
    else if (Array.isArray(f)) flags.push(...f.filter((x): x is string => typeof x === 'string'));
  }
  delete extra.flags;
  // LOAD DATA LOCAL INFILE: the client offers to send local files only when the user gave a stream factory for
  // them (see localFileGate in execution.ts); a LOCAL_FILES flag alone does not turn it on.
  if (typeof extra.infileStreamFactory !== 'function') flags.push('-LOCAL_FILES');
  for (const [key, value] of Object.entries(extra)) {
    if (!CONTROLLED_KEYS.has(key) && value !== undefined) pool[key] = value;
  }
  pool.flags = flags;
  if (database !== undefined) pool.database = database;
  return {
    pool: pool,
    database,
    createDatabase: s.createDatabase === true,
    lazyConnect: s.lazyConnect === true,
    charset: charsetOf(charset),
    collation: collation?.toLowerCase(),
    acquireTimeout: nonNegative(s.acquireTimeout, 10000),
    queryTimeout: nonNegative(s.queryTimeout, 0),
    deadlockRetries: nonNegative(s.deadlockRetries, 3),
    preparedStatements: s.preparedStatements === true,
    replicas: nodeList(s.replicas, pool, 'replicas'),
    nodes: nodeList(s.nodes, pool, 'nodes'),
    replicaSelector: selector(s.replicaSelector, 'RR'),
    nodeSelector: selector(s.nodeSelector, 'ORDER'),
    cluster: clusterKind(s),
    groupRefreshInterval: nonNegative(s.groupRefreshInterval, 1000) || 1000,
    readYourWritesMs: nonNegative(s.readYourWritesMs, 0),
    maxReplicaLag:
      s.maxReplicaLag === undefined || s.maxReplicaLag === null
        ? undefined
        : nonNegative(s.maxReplicaLag, 0),
    lagCheckInterval: nonNegative(s.lagCheckInterval, 1000) || 1000,
    restoreNodeTimeout: nonNegative(s.restoreNodeTimeout, 5000) || 5000,
  };
}

/** A top-level setting that neither the connector, mysql2's accepted options nor juggler know: it has no effect. */
export interface UnknownSetting {
  readonly key: string;
  /** The known setting it is most likely a misspelling of, if one is close enough. */
  readonly suggestion: string | undefined;
  /** Whether it came from the query string of `url`. */
  readonly inUrl: boolean;
}

/**
 * The settings that have no effect because nobody knows their name, each with the closest known name (an edit
 * distance of at most 2, case ignored; 1 for names of up to 5 letters). Keys whose value is `undefined` are
 * skipped: they are "not set" whatever their name. Pure; a url that does not parse gives no query keys (resolving
 * the settings reports it).
 */
export function findUnknownSettings(input: Readonly<MySqlSettings>): UnknownSetting[] {
  const found: UnknownSetting[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !isSettingName(key)) {
      found.push({key, suggestion: closestSetting(key), inUrl: false});
    }
  }
  if (typeof input.url === 'string' && input.url !== '') {
    let query: URLSearchParams | undefined;
    try {
      query = new URL(input.url).searchParams;
    } catch {
      query = undefined;
    }
    for (const key of new Set(query?.keys())) {
      if (!isSettingName(key)) found.push({key, suggestion: closestSetting(key), inUrl: true});
    }
  }
  return found;
}

/** The message of the `LB_MYSQL_UNKNOWN_SETTING` warning. */
export function unknownSettingMessage(unknown: UnknownSetting): string {
  const where = unknown.inUrl ? ' (in the query of "url")' : '';
  const hint =
    unknown.suggestion === undefined
      ? 'Other mysql2 options go under "mysql2".'
      : `Did you mean "${unknown.suggestion}"?`;
  return `Setting "${unknown.key}"${where} is unknown to loopback-connector-mysql-ts and is ignored. ${hint}`;
}

/** Names already warned about: the warning comes once per name and process, however many data sources repeat it. */
const warnedSettings = new Set<string>();

/**
 * Warns about each unknown setting (see {@link findUnknownSettings}) with `process.emitWarning`, code
 * `LB_MYSQL_UNKNOWN_SETTING`, once per name per process. The only part of this module with a side effect.
 */
export function warnUnknownSettings(input: Readonly<MySqlSettings>): void {
  for (const unknown of findUnknownSettings(input)) {
    if (warnedSettings.has(unknown.key)) continue;
    warnedSettings.add(unknown.key);
    process.emitWarning(unknownSettingMessage(unknown), {
      type: 'LoopBackSettingsWarning',
      code: 'LB_MYSQL_UNKNOWN_SETTING',
    });
  }
}

/** The known setting closest to `key`, if it is close enough to be a misspelling of it. */
function closestSetting(key: string): string | undefined {
  const lower = key.toLowerCase();
  const limit = lower.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of SETTING_NAMES) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Math.abs(a.length - b.length);
  // Three rows of the dynamic-programming table: two back (for transpositions), one back, and the current one.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
