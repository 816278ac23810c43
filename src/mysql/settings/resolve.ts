import type {PoolOptions, SslOptions} from '../driver';
import {defaultOf, isSettingName, PASSED_AS_IS, specOf} from './table';
import type {MySqlNodeSettings, MySqlSettings, ResolvedSettings} from './types';
import {invalidSetting, validateSettings} from './validate';

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
    const rule = isSettingName(key) ? specOf(key).spec.query : undefined;
    // Text that is not a number stays text, for validateSettings to name it.
    if (rule === 'number') out[key] = Number.isNaN(Number(raw)) ? raw : Number(raw);
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
  if (value === undefined || value === null || value === defaultOf('cluster')) return 'galera';
  const invalid = invalidSetting;
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

/** An interval: `0` would mean "all the time", so it counts as not set. */
function positive(value: unknown, fallback: number): number {
  return nonNegative(value, fallback) || fallback;
}

/** The SQL charset of a collation or charset name: `utf8mb4_unicode_ci` → `utf8mb4`. */
export function charsetOf(name: string): string {
  return (name.split('_')[0] ?? name).toLowerCase();
}

/**
 * Turns data source settings into mysql2 pool options and the connector's own options. Pure: the input is never
 * modified, and only options mysql2 knows reach it (no "Ignoring invalid configuration option" warnings). The
 * defaults, the settings passed as they are and the url's query conversions come from the settings table
 * (table.ts); a value of the wrong kind is an `INVALID_SETTING` error (see `validateSettings`).
 */
export function resolveSettings(input: Readonly<MySqlSettings>): ResolvedSettings {
  const fromUrl = typeof input.url === 'string' && input.url !== '' ? parseUrl(input.url) : {};
  validateSettings(input, fromUrl);
  const s: MySqlSettings = {...input, ...fromUrl};
  const pool: Record<string, unknown> = {};
  const host = firstString(fromUrl.host, input.host, input.hostname);
  pool.host = host ?? defaultOf('host');
  pool.port = s.port === undefined || s.port === '' ? defaultOf('port') : Number(s.port);
  const user = firstString(fromUrl.user, input.user, input.username);
  if (user !== undefined) pool.user = user;
  if (typeof s.password === 'string') pool.password = s.password;
  const database = firstString(fromUrl.database, input.database, input.db);
  // The settings passed as they are, with the connector's default where it has one (connectionLimit, timezone...).
  for (const key of PASSED_AS_IS) {
    if (s[key] !== undefined) pool[key] = s[key];
    const fallback: unknown = specOf(key).spec.default;
    if (fallback !== undefined) pool[key] ??= fallback;
  }
  const collation = firstString(s.collation);
  const charset = collation ?? firstString(s.charset) ?? defaultOf('charset');
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
  // them (see localFileGate in driver/execution.ts); a LOCAL_FILES flag alone does not turn it on.
  if (typeof extra.infileStreamFactory !== 'function') flags.push('-LOCAL_FILES');
  for (const [key, value] of Object.entries(extra)) {
    if (!CONTROLLED_KEYS.has(key) && value !== undefined) pool[key] = value;
  }
  pool.flags = flags;
  if (database !== undefined) pool.database = database;
  return {
    pool: pool,
    database,
    // `=== true`: only `true` turns them on (the defaults are `false`).
    createDatabase: s.createDatabase === true,
    lazyConnect: s.lazyConnect === true,
    charset: charsetOf(charset),
    collation: collation?.toLowerCase(),
    acquireTimeout: nonNegative(s.acquireTimeout, defaultOf('acquireTimeout')),
    queryTimeout: nonNegative(s.queryTimeout, defaultOf('queryTimeout')),
    deadlockRetries: nonNegative(s.deadlockRetries, defaultOf('deadlockRetries')),
    preparedStatements: s.preparedStatements === true,
    replicas: nodeList(s.replicas, pool, 'replicas'),
    nodes: nodeList(s.nodes, pool, 'nodes'),
    replicaSelector: selector(s.replicaSelector, defaultOf('replicaSelector')),
    nodeSelector: selector(s.nodeSelector, defaultOf('nodeSelector')),
    cluster: clusterKind(s),
    groupRefreshInterval: positive(s.groupRefreshInterval, defaultOf('groupRefreshInterval')),
    readYourWritesMs: nonNegative(s.readYourWritesMs, defaultOf('readYourWritesMs')),
    maxReplicaLag:
      s.maxReplicaLag === undefined || s.maxReplicaLag === null
        ? undefined
        : nonNegative(s.maxReplicaLag, 0),
    lagCheckInterval: positive(s.lagCheckInterval, defaultOf('lagCheckInterval')),
    restoreNodeTimeout: positive(s.restoreNodeTimeout, defaultOf('restoreNodeTimeout')),
  };
}
