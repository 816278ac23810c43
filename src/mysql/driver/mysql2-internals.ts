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
 * | `handlePacket`, `_command`, `_handleFatalError` | Connection          | a row must fill its packet exactly             |
 * | `next`, `row`, `_fieldCount`, `_localStreamError`; `offset`, `end` | Query, Execute; Packet | (the same)   |
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

/** Whether a fatal error, a protocol error, a close, a destroyed socket or a malformed row broke the connection. */
export function isBroken(connection: PoolConnection): boolean {
  const c = connection as unknown as ConnectionInternals;
  return !!(
    c._fatalError ||
    c._protocolError ||
    c._closing ||
    c.stream?.destroyed ||
    malformed.has(connection)
  );
}

/** Connections that received a row that did not fill its packet: the rest of that answer is still on the wire. */
const malformed = new WeakSet<object>();

interface RowPacket {
  offset: number;
  end: number;
  isEOF(): boolean;
  isError(): boolean;
}
interface CommandInternals {
  next?: unknown;
  row?: unknown;
  _fieldCount?: number;
  _localStreamError?: unknown;
}
interface PacketHandling {
  _command?: CommandInternals | null;
  _fatalError?: unknown;
  handlePacket: (this: PacketHandling, packet?: RowPacket) => void;
  _handleFatalError(err: Error): void;
  stream: {destroy(): void};
}

/**
 * Makes every statement on `connection` fail when one of its rows does not fill its packet exactly: mysql2 3.x reads
 * a row's values without checking them against the packet's length, so a server that sends more values than it
 * announced columns has the extra ones dropped silently, and one that sends fewer has the next packet's bytes read as
 * values. Such a row is a fatal 502 `PROTOCOL_ERROR` for the connection (the rest of the answer is still on the wire),
 * as is a row mysql2's parser throws on: the connection is never used again (see {@link isBroken}).
 *
 * The connection's `handlePacket` is wrapped once: a packet that arrives while its command (a Query or an Execute) is
 * in mysql2's `row` state is a row, and one comparison after mysql2 read it says whether it filled its packet.
 * Nothing is added to mysql2's command objects (an accessor on each one made every property access of mysql2's
 * state machine slow: 20 µs of CPU per findById).
 */
export function checkRowLengths(connection: PoolConnection): void {
  const c = connection as unknown as PacketHandling;
  if (checked.has(connection) || typeof c.handlePacket !== 'function') return;
  checked.add(connection);
  const handle = c.handlePacket;
  c.handlePacket = function checkedHandlePacket(packet) {
    const command = this._command;
    const row =
      packet !== undefined &&
      !this._fatalError &&
      command !== null &&
      command !== undefined &&
      command.next === command.row &&
      command.next !== undefined &&
      !packet.isError() &&
      !packet.isEOF();
    const failedBefore = row ? command._localStreamError : undefined;
    handle.call(this, packet);
    if (!row) return;
    if (command._localStreamError !== failedBefore) {
      // mysql2's parser threw on a value (an unknown charset, a read past the packet): the statement failed with it,
      // and the rest of its answer is still on the wire.
      malformed.add(connection);
    } else if (packet.offset !== packet.end) {
      malformed.add(connection);
      const err = Object.assign(
        new Error(
          `The server sent a row that does not match its ${command._fieldCount} announced columns ` +
            `(${packet.offset > packet.end ? 'fewer values' : 'more values'} than columns)`,
        ),
        {code: 'PROTOCOL_ERROR'},
      );
      this._handleFatalError(err);
      this.stream.destroy();
    }
  };
}

const checked = new WeakSet<object>();

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
