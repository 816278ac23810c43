/*
 * The driver's shared types, imported by every file of the driver and importing none of them: the files depend on
 * each other one way (driver → topology → group-replication / execution → types), never in a cycle.
 */
import type {PoolConnection, PoolOptions} from 'mysql2';

/** A node-style completion callback, as mysql2 calls them. */
export type Done<T> = (err: Error | null, value?: T) => void;

/** Anything that hands out pool connections: a pool, or a namespace of a mysql2 PoolCluster. */
export interface ConnectionSource {
  getConnection(cb: (err: NodeJS.ErrnoException | null, connection: PoolConnection) => void): void;
}

/** Where an autocommit statement that was not applied runs once more, or the error to fail with. */
export type Reroute = (err: Error, since: number) => Promise<ConnectionSource | Error>;

/** Stops the statement running on a connection, on its server (`KILL QUERY`), itself within `timeoutMs`. */
export type Kill = (connection: PoolConnection, timeoutMs?: number) => void;

/** How reads (or a cluster's nodes) are picked: round robin, at random, or the first that answers. */
export type Selector = 'RR' | 'RANDOM' | 'ORDER';

/** What the driver reads of the data source's settings (settings/types.ts `ResolvedSettings` extends it). */
export interface DriverSettings {
  /** The primary's (or only server's) pool options. */
  readonly pool: PoolOptions;
  readonly database: string | undefined;
  readonly createDatabase: boolean;
  /** The connection charset's SQL name (`utf8mb4`) and collation, for CREATE DATABASE. */
  readonly charset: string;
  readonly collation: string | undefined;
  readonly acquireTimeout: number;
  readonly queryTimeout: number;
  readonly deadlockRetries: number;
  readonly replicas: readonly PoolOptions[];
  readonly nodes: readonly PoolOptions[];
  readonly replicaSelector: Selector;
  readonly nodeSelector: Selector;
  readonly cluster: 'galera' | 'group-replication';
  readonly groupRefreshInterval: number;
  readonly readYourWritesMs: number;
  readonly maxReplicaLag: number | undefined;
  readonly lagCheckInterval: number;
  readonly restoreNodeTimeout: number;
}
