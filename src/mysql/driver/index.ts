/*
 * The driver: everything that talks to mysql2 (the only folder that imports it, see eslint.config.mjs). The rest of
 * the connector reaches mysql2 through these exports.
 *
 * - driver.ts: `Driver`, the connections of one data source: connect, statements, streams, transactions;
 * - topology.ts: the pools (one server, replicas, Galera nodes), group-replication.ts and group-members.ts a group;
 * - execution.ts: one statement on a pool connection (deadlines, timeouts, retries); prepared.ts, stream.ts;
 * - transaction.ts, tls.ts; promised.ts: the one callback-to-promise bridge; mysql2-internals.ts: mysql2's private
 *   fields, pinned by a test to the mysql2 version.
 */
import mysql2 from 'mysql2';

/** The mysql2 module, as juggler exposes it (`dataSource.driver`). */
export {mysql2};
export {escape, escapeId} from 'mysql2';
export type {
  Pool,
  PoolCluster,
  PoolConnection,
  PoolOptions,
  ResultSetHeader,
  SslOptions,
} from 'mysql2';
export {Driver, type DriverEvents} from './driver';
export {holdLocksUntilEnd, ISOLATION_LEVELS, type IsolationLevel} from './transaction';
export {STREAM_HIGH_WATER_MARK, streamRows, type StreamPlan} from './stream';
export type {DriverSettings} from './types';
