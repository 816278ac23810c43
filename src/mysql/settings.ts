import type {PoolOptions, SslOptions} from 'mysql2';

/**
 * Data source settings of the MySQL connector. The names are the official `loopback-connector-mysql`'s, so an
 * existing `datasources.json` keeps working.
 *
 * ```ts
 * const ds = new juggler.DataSource({
 *   connector: require('loopback-connector-mysql-ts'),
 *   url: 'mysql://app:secret@db.internal:3306/shop',
 *   connectionLimit: 20,
 * });
 * ```
 */
export interface MySqlSettings {
  /**
   * `mysql://user:password@host:port/database?option=value`. Merged with the other settings: the parts the URL
   * gives win over `host`, `port`, `user`, `password` and `database`, and its query options over the same settings.
   */
  url?: string;
  /** Server host name or address. Default `localhost`. Alias: `hostname`. */
  host?: string;
  hostname?: string;
  /** Server TCP port. Default `3306`. */
  port?: number | string;
  /** Path of a Unix socket; replaces `host` and `port`. */
  socketPath?: string;
  /** User name. Alias: `username`. */
  user?: string;
  username?: string;
  /** Password. Never logged and never part of an error message. */
  password?: string;
  /** The database (schema) to use. Alias: `db`. */
  database?: string;
  db?: string;
  /** Most connections the pool opens. Default `10`. */
  connectionLimit?: number;
  /** Most calls waiting for a connection before new ones fail at once; `0` is unbounded. Default `0`. */
  queueLimit?: number;
  /** Milliseconds to wait for the TCP connection and handshake. Default `10000`. */
  connectTimeout?: number;
  /** Connection character set. Default `utf8mb4`, so 4-byte characters (emoji) round-trip. */
  charset?: string;
  /** Connection collation, e.g. `utf8mb4_unicode_ci`; wins over `charset`. */
  collation?: string;
  /** Time zone of DATETIME values: `Z` (UTC, default), `local`, or an offset such as `+05:30`. */
  timezone?: string;
  /** TLS: an options object (`ca`, `cert`, `key` as PEM text...), a mysql2 profile name, or `true`. */
  ssl?: string | boolean | SslOptions;
  /** Return BIGINT and DECIMAL values that do not fit a JS number as strings. Default `true`. */
  supportBigNumbers?: boolean;
  /** Return every BIGINT and DECIMAL value as a string. Default `false`. */
  bigNumberStrings?: boolean;
  /** Return DATE/DATETIME/TIMESTAMP values as strings instead of Dates. Default `false`. */
  dateStrings?: boolean | Array<'TIMESTAMP' | 'DATETIME' | 'DATE'>;
  /** Create the database at connect time when it does not exist. Default `false`. */
  createDatabase?: boolean;
  /** Do not connect in `initialize`; connect on the first call instead. Default `false`. */
  lazyConnect?: boolean;
  /** Milliseconds a call waits for a free pool connection before it fails with 503. Default `10000`; `0` waits forever. */
  acquireTimeout?: number;
  /** Milliseconds a statement may run before it is stopped (504). Default `0` (no limit); per call: `options.timeout`. */
  queryTimeout?: number;
  /** How often an autocommit statement rolled back by a deadlock or lock-wait timeout runs again. Default `3`. */
  deadlockRetries?: number;
  /**
   * Read replicas of the primary (`host`/`port`/`url`...): reads outside transactions go to them, writes and
   * transactions to the primary. Each entry is `{host, port, user?, password?, ssl?}` or a `mysql://` url; other
   * settings are the primary's.
   */
  replicas?: readonly (string | MySqlNodeSettings)[];
  /** The equal nodes of a multi-primary cluster (Galera), instead of `host`/`port`: statements go to a live node. */
  nodes?: readonly (string | MySqlNodeSettings)[];
  /** How reads pick a replica: `RR` (round robin, default), `RANDOM` or `ORDER` (the first live one). */
  replicaSelector?: 'RR' | 'RANDOM' | 'ORDER';
  /** How statements pick a node of `nodes`: `ORDER` (default: stay on the first live node), `RR` or `RANDOM`. */
  nodeSelector?: 'RR' | 'RANDOM' | 'ORDER';
  /** Milliseconds after a write during which this data source reads from the primary. Default `0`. */
  readYourWritesMs?: number;
  /** Seconds a replica may lag (Seconds_Behind_Master) before it leaves rotation; unset: no check. */
  maxReplicaLag?: number;
  /** Milliseconds between replica lag checks. Default `1000`. */
  lagCheckInterval?: number;
  /** Milliseconds a replica or node that failed stays out of rotation. Default `5000`. */
  restoreNodeTimeout?: number;
  /** Accepted for compatibility; SQL logging is `DEBUG=loopback:connector:mysql`. Never turns on packet dumps. */
  debug?: boolean;
  /** Any other mysql2 pool option (`enableKeepAlive`, `maxIdle`, `idleTimeout`, `authPlugins`, ...). */
  mysql2?: Partial<PoolOptions>;
  /** Other keys are LoopBack's own (`connector`, `name`, ...) and are not passed to mysql2. */
  [key: string]: unknown;
}

/** One server of `replicas` or `nodes`. */
export interface MySqlNodeSettings {
  host?: string;
  port?: number | string;
  socketPath?: string;
  user?: string;
  password?: string;
  ssl?: string | boolean | SslOptions;
}

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
  readonly replicas: readonly PoolOptions[];
  readonly nodes: readonly PoolOptions[];
  readonly replicaSelector: 'RR' | 'RANDOM' | 'ORDER';
  readonly nodeSelector: 'RR' | 'RANDOM' | 'ORDER';
  readonly readYourWritesMs: number;
  readonly maxReplicaLag: number | undefined;
  readonly lagCheckInterval: number;
  readonly restoreNodeTimeout: number;
}

/** Top-level settings passed to mysql2 as they are. */
const DRIVER_KEYS = [
  'socketPath',
  'connectionLimit',
  'queueLimit',
  'connectTimeout',
  'timezone',
  'supportBigNumbers',
  'bigNumberStrings',
  'dateStrings',
  'decimalNumbers',
  'jsonStrings',
  'waitForConnections',
  'maxIdle',
  'idleTimeout',
  'enableKeepAlive',
  'keepAliveInitialDelay',
  'localAddress',
  'insecureAuth',
  'authPlugins',
  'maxPreparedStatements',
  'connectAttributes',
  'compress',
  'resetOnRelease',
] as const;

/** Driver options the connector relies on: neither settings nor the `mysql2` key may change them. */
const CONTROLLED_KEYS = new Set([
  'namedPlaceholders',
  'rowsAsArray',
  'nestTables',
  'queryFormat',
  'typeCast',
  'debug',
]);

const NUMBER_KEYS = new Set([
  'port',
  'connectionLimit',
  'queueLimit',
  'connectTimeout',
  'maxIdle',
  'idleTimeout',
  'keepAliveInitialDelay',
  'maxPreparedStatements',
]);
const BOOLEAN_KEYS = new Set([
  'supportBigNumbers',
  'bigNumberStrings',
  'decimalNumbers',
  'jsonStrings',
  'waitForConnections',
  'enableKeepAlive',
  'insecureAuth',
  'compress',
  'createDatabase',
  'lazyConnect',
  'resetOnRelease',
]);
const CONNECTOR_NUMBER_KEYS = new Set([
  'acquireTimeout',
  'queryTimeout',
  'deadlockRetries',
  'readYourWritesMs',
  'maxReplicaLag',
  'lagCheckInterval',
  'restoreNodeTimeout',
]);

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
  const out: MySqlSettings = {};
  if (parsed.hostname) out.host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  if (parsed.port) out.port = Number(parsed.port);
  if (parsed.username) out.user = decodeURIComponent(parsed.username);
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) out.database = database;
  for (const [key, raw] of parsed.searchParams) {
    if (NUMBER_KEYS.has(key) || CONNECTOR_NUMBER_KEYS.has(key)) out[key] = Number(raw);
    else if (BOOLEAN_KEYS.has(key)) out[key] = raw === 'true' || raw === '1';
    else if (key === 'ssl') out.ssl = parseSslParam(raw);
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
    if (node.ssl === true) out.ssl = {};
    else if (typeof node.ssl === 'string' || (node.ssl && typeof node.ssl === 'object')) {
      out.ssl = typeof node.ssl === 'string' ? node.ssl : {...node.ssl};
    }
    return out;
  });
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
  const collation = firstString(s.collation);
  const charset = collation ?? firstString(s.charset) ?? 'utf8mb4';
  pool.charset = charset.toUpperCase();
  const ssl = s.ssl;
  if (ssl === true) pool.ssl = {};
  else if (typeof ssl === 'string' && ssl !== '') pool.ssl = ssl;
  // mysql2 writes into the ssl object it is given: hand it a copy.
  else if (ssl && typeof ssl === 'object') pool.ssl = {...ssl};
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
    replicas: nodeList(s.replicas, pool, 'replicas'),
    nodes: nodeList(s.nodes, pool, 'nodes'),
    replicaSelector: selector(s.replicaSelector, 'RR'),
    nodeSelector: selector(s.nodeSelector, 'ORDER'),
    readYourWritesMs: nonNegative(s.readYourWritesMs, 0),
    maxReplicaLag:
      s.maxReplicaLag === undefined || s.maxReplicaLag === null
        ? undefined
        : nonNegative(s.maxReplicaLag, 0),
    lagCheckInterval: nonNegative(s.lagCheckInterval, 1000) || 1000,
    restoreNodeTimeout: nonNegative(s.restoreNodeTimeout, 5000) || 5000,
  };
}
