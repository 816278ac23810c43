import assert from 'node:assert/strict';
import {resolveSettings, SETTINGS, type MySqlSettings} from '../../../src/mysql/settings';
import type {SettingSpec} from '../../../src/mysql/settings';

const ROWS = Object.entries(SETTINGS) as [string, SettingSpec][];

/** A valid value of every setting but `url`, `mysql2`, the aliases and `cluster: 'group-replication'`'s needs. */
const EVERY_SETTING: MySqlSettings = {
  host: 'h',
  port: 3307,
  socketPath: '/s',
  user: 'u',
  password: 'p',
  database: 'd',
  connectionLimit: 2,
  queueLimit: 3,
  connectTimeout: 4,
  acquireTimeout: 5,
  queryTimeout: 6,
  deadlockRetries: 1,
  preparedStatements: true,
  charset: 'utf8mb4',
  collation: 'utf8mb4_bin',
  timezone: 'local',
  ssl: true,
  supportBigNumbers: false,
  bigNumberStrings: true,
  dateStrings: true,
  flags: 'COMPRESS',
  createDatabase: true,
  lazyConnect: true,
  treatTINYINT1AsTinyInt: false,
  treatCHAR1AsString: true,
  treatBIT1AsBit: false,
  debug: true,
  replicas: [{host: 'r'}],
  nodes: [],
  replicaSelector: 'RANDOM',
  nodeSelector: 'RR',
  cluster: 'galera',
  groupRefreshInterval: 7,
  readYourWritesMs: 8,
  maxReplicaLag: 9,
  lagCheckInterval: 10,
  restoreNodeTimeout: 11,
  decimalNumbers: true,
  jsonStrings: true,
  waitForConnections: false,
  maxIdle: 1,
  idleTimeout: 12,
  enableKeepAlive: false,
  keepAliveInitialDelay: 13,
  localAddress: '127.0.0.1',
  insecureAuth: true,
  authPlugins: {},
  maxPreparedStatements: 14,
  connectAttributes: {app: 'x'},
  compress: true,
  resetOnRelease: true,
  name: 'db',
  connector: 'mysql-ts',
  adapter: 'mysql-ts',
  catchFailure: true,
  connectionTimeout: 15,
  maxOfflineRequests: 16,
  inqLimit: 17,
  allowExtendedOperators: true,
  maxDepthOfQuery: 18,
  maxDepthOfData: 19,
  normalizeUndefinedInQuery: 'ignore',
  prohibitHiddenPropertiesInQuery: true,
};

describe('the settings table: where each setting goes', () => {
  const pool = resolveSettings(EVERY_SETTING).pool as Record<string, unknown>;

  it('settings passed as they are reach mysql2 unchanged, under their own name', () => {
    for (const [name, spec] of ROWS) {
      if (spec.to !== 'mysql2') continue;
      assert.equal(pool[name], EVERY_SETTING[name as keyof MySqlSettings], name);
    }
  });

  it('mysql2 gets only the options the table names, and nothing of the connector or juggler', () => {
    const named = new Set<string>();
    for (const [name, spec] of ROWS) {
      if (spec.to === 'mysql2') named.add(name);
      else if (typeof spec.to === 'object' && spec.to.mysql2 !== '*') {
        for (const option of spec.to.mysql2) named.add(option);
      }
    }
    for (const key of Object.keys(pool)) assert.ok(named.has(key), `${key} is not in the table`);
    for (const [name, spec] of ROWS) {
      if (spec.to === 'connector' || spec.to === 'juggler') assert.ok(!(name in pool), name);
    }
  });

  it("the connector's defaults are the table's", () => {
    const r = resolveSettings({});
    const defaults = r.pool as Record<string, unknown>;
    for (const [name, spec] of ROWS) {
      if (spec.to === 'mysql2') assert.equal(defaults[name], spec.default, name);
    }
    assert.equal(r.pool.host, SETTINGS.host.default);
    assert.equal(r.pool.port, SETTINGS.port.default);
    assert.equal(r.charset, SETTINGS.charset.default);
    for (const name of [
      'acquireTimeout',
      'queryTimeout',
      'deadlockRetries',
      'preparedStatements',
      'createDatabase',
      'lazyConnect',
      'replicaSelector',
      'nodeSelector',
      'cluster',
      'groupRefreshInterval',
      'readYourWritesMs',
      'lagCheckInterval',
      'restoreNodeTimeout',
    ] as const) {
      assert.equal(r[name], SETTINGS[name].default, name);
    }
  });

  it('each alias is another name of its setting; the main name wins', () => {
    for (const [name, spec] of ROWS) {
      for (const alias of spec.aliases ?? []) {
        const byAlias = resolveSettings({[alias]: 'a'}).pool as Record<string, unknown>;
        const both = resolveSettings({[alias]: 'a', [name]: 'm'}).pool as Record<string, unknown>;
        assert.equal(byAlias[name], 'a', alias);
        assert.equal(both[name], 'm', alias);
      }
    }
  });
});
