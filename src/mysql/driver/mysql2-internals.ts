/*
 * Every read (and the one call) of a mysql2 field that is not part of its typed API, in one module. They are what
 * mysql2 3.x keeps on its Pool, PoolCluster and Connection objects, and may change in any release:
 * test/unit/mysql/mysql2-internals.test.ts pins the mysql2 version and checks each one on real mysql2 objects.
 *
 * | internal                                   | object              | used for                                       |
 * |--------------------------------------------|---------------------|------------------------------------------------|
 * | `_fatalError`, `_protocolError`, `_closing`, `stream.destroyed` | Connection | a broken connection is dropped, not released |
 * | `_pool`, `_released`                       | PoolConnection      | whether a connection is checked out            |
 * | `stream.destroy(err)`                      | Connection          | abandoning a write (its statement fails)       |
 * | `_clusterId`                               | PoolConnection      | the cluster node a connection belongs to       |
 * | `_closed`, `_freeConnections`              | Pool                | a free connection is handed out at once        |
 * | `_allConnections`                          | Pool                | the connections to destroy when `end` stalls   |
 * | `_nodes`, `_getNode`, `_increaseErrorCount` | PoolCluster        | its pools; taking a node out of rotation       |
 */
import type {Pool, PoolCluster, PoolConnection} from 'mysql2';

/** The mysql2 version these internals were checked against (see the test). */
export const MYSQL2_CHECKED_VERSION = '3.24.6';

interface ConnectionInternals {
  _fatalError?: unknown;
  _protocolError?: unknown;
  _closing?: boolean;
  _pool?: unknown;
  _released?: boolean;
  _clusterId?: string;
  stream?: {destroyed?: boolean; destroy(err?: Error): void};
}

interface PoolInternals {
  _closed?: boolean;
  _freeConnections?: {length: number};
  _allConnections?: {toArray?: () => PoolConnection[]};
}

interface ClusterInternals {
  _nodes?: Record<string, {pool?: Pool}>;
  _getNode?: (id: string) => unknown;
  _increaseErrorCount?: (node: unknown) => void;
}

/** Whether a fatal error, a protocol error, a close or a destroyed socket broke the connection. */
export function isBroken(connection: PoolConnection): boolean {
  const c = connection as unknown as ConnectionInternals;
  return !!(c._fatalError || c._protocolError || c._closing || c.stream?.destroyed);
}

/** Whether a pooled connection is checked out (not in the pool's free list, not closed). */
export function isCheckedOut(connection: PoolConnection): boolean {
  const c = connection as unknown as ConnectionInternals;
  return c._pool !== null && c._pool !== undefined && c._released !== true && !c.stream?.destroyed;
}

/** Destroys a connection's socket with `err`: its running statement fails with it. */
export function destroySocket(connection: PoolConnection, err: Error): void {
  (connection as unknown as ConnectionInternals).stream?.destroy(err);
}

/** The id of the PoolCluster node a pooled connection came from (`MEMBER0`, `NODE1`...), if any. */
export function clusterIdOf(connection: PoolConnection): string | undefined {
  return (connection as unknown as ConnectionInternals)._clusterId;
}

/**
 * Whether `source` is a mysql2 pool with a free connection, which `getConnection` then gives at once (a cluster
 * namespace, or anything else, answers no).
 */
export function hasFreeConnection(source: object): boolean {
  const pool = source as PoolInternals;
  return pool._closed === false && (pool._freeConnections?.length ?? 0) > 0;
}

/** The connections a mysql2 pool (or each pool of a cluster) still holds. */
export function openConnections(client: Pool | PoolCluster): PoolConnection[] {
  const cluster = client as unknown as ClusterInternals;
  if (cluster._nodes) {
    return Object.values(cluster._nodes).flatMap((node) =>
      node.pool ? openConnections(node.pool) : [],
    );
  }
  return (client as unknown as PoolInternals)._allConnections?.toArray?.() ?? [];
}

/**
 * mysql2's own way to take a cluster node out of rotation for restoreNodeTimeout (what a refused connection does),
 * for the node of `id`: undefined when this mysql2 cannot, or knows no such node.
 */
export function nodeRemover(
  cluster: PoolCluster,
  id: string | undefined,
): (() => void) | undefined {
  const internal = cluster as unknown as ClusterInternals;
  const increase = internal._increaseErrorCount;
  const node = id !== undefined && increase ? internal._getNode?.call(cluster, id) : undefined;
  if (!node || !increase) return undefined;
  return () => increase.call(cluster, node);
}
