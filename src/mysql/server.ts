/**
 * Everything that differs between MySQL and MariaDB (and between their versions) is decided here, from what the
 * server reported at connect time. The rest of the dialect asks {@link ServerInfo} instead of checking versions.
 */

/** What the server reported, and what follows from it. */
export interface ServerInfo {
  readonly flavor: 'mysql' | 'mariadb';
  /** `8.4.3`, `10.11.19`. */
  readonly version: string;
  /** `@@auto_increment_increment`: the step between ids of one multi-row INSERT. */
  readonly autoIncrementIncrement: number;
  /** `@@max_allowed_packet` in bytes: bounds one INSERT of `createAll`. */
  readonly maxAllowedPacket: number;
  /** `INSERT ... AS new ON DUPLICATE KEY UPDATE c = new.c` (MySQL 8.0.19+); otherwise `VALUES(c)`. */
  readonly insertRowAlias: boolean;
  /** A native JSON type (MySQL); MariaDB's JSON is LONGTEXT with a JSON_VALID check. */
  readonly nativeJson: boolean;
  /** information_schema COLUMN_DEFAULT is SQL text (`'x'` quoted, `NULL` text) on MariaDB, the raw value on MySQL. */
  readonly quotedDefaults: boolean;
  /** Descending index keys are kept (MySQL 8, MariaDB 10.8+), rather than parsed and ignored. */
  readonly descendingIndexes: boolean;
  /** How a replica reports its state: SHOW REPLICA STATUS (MySQL 8.0.22+, MariaDB 10.5.1+) or the older SLAVE form. */
  readonly replicaStatusSql: string;
  /**
   * The column of that statement's row with the replica's lag in seconds (NULL when it does not replicate):
   * `Seconds_Behind_Source` in MySQL's SHOW REPLICA STATUS; MariaDB keeps `Seconds_Behind_Master` in either form, as
   * does MySQL's older SHOW SLAVE STATUS.
   */
  readonly replicaLagColumn: 'Seconds_Behind_Source' | 'Seconds_Behind_Master';
  /**
   * The latest TIMESTAMP value, in ms since the epoch (UTC): `2038-01-19 03:14:07.999`, or `2106-02-07 06:28:15.999`
   * on MariaDB 11.5+ (64-bit builds; a 32-bit build rejects the later values itself, with its own 422).
   */
  readonly maxTimestamp: number;
}

/** `2038-01-19 03:14:07.999` UTC: the last TIMESTAMP of MySQL and of MariaDB before 11.5, at millisecond precision. */
export const MAX_TIMESTAMP_2038 = 2147483647999;
/** `2106-02-07 06:28:15.999` UTC: the last TIMESTAMP of MariaDB 11.5+ on 64-bit. */
export const MAX_TIMESTAMP_2106 = 4294967295999;

/** The statement whose single row {@link describeServer} reads. */
export const SERVER_INFO_SQL =
  'SELECT VERSION() AS version, @@version_comment AS comment, ' +
  '@@auto_increment_increment AS autoIncrementIncrement, @@max_allowed_packet AS maxAllowedPacket';

/** The schema-reporting differences of a flavour and version (used by autoupdate's comparison). */
export function schemaReporting(
  flavor: ServerInfo['flavor'],
  version: string,
): Pick<ServerInfo, 'quotedDefaults' | 'descendingIndexes'> {
  const parts = version.split('.').map(Number);
  const mariadb = flavor === 'mariadb';
  return {
    quotedDefaults: mariadb,
    descendingIndexes: mariadb ? atLeast(parts, [10, 8, 0]) : atLeast(parts, [8, 0, 0]),
  };
}

function atLeast(version: readonly number[], wanted: readonly number[]): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const have = version[i] ?? 0;
    const want = wanted[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}

/** Reads the server's flavour and capabilities from the row of {@link SERVER_INFO_SQL}. */
export function describeServer(row: Record<string, unknown>): ServerInfo {
  const raw = typeof row.version === 'string' ? row.version : '';
  const comment = typeof row.comment === 'string' ? row.comment : '';
  const flavor = /mariadb/i.test(raw) || /mariadb/i.test(comment) ? 'mariadb' : 'mysql';
  // MariaDB 10 behind a MySQL-5.5-compatible prefix reports "5.5.5-10.11.6-MariaDB".
  const match = /(\d+)\.(\d+)\.(\d+)(?!.*\d+\.\d+\.\d+.*MariaDB)/.exec(
    raw.replace(/^5\.5\.5-/, ''),
  );
  const parts = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const version = parts.join('.');
  const mariadb = flavor === 'mariadb';
  return {
    flavor,
    version,
    autoIncrementIncrement: Number(row.autoIncrementIncrement ?? 1) || 1,
    maxAllowedPacket: Number(row.maxAllowedPacket ?? 4194304) || 4194304,
    insertRowAlias: !mariadb && atLeast(parts, [8, 0, 19]),
    nativeJson: !mariadb && atLeast(parts, [5, 7, 8]),
    ...schemaReporting(flavor, version),
    replicaStatusSql: (mariadb ? atLeast(parts, [10, 5, 1]) : atLeast(parts, [8, 0, 22]))
      ? 'SHOW REPLICA STATUS'
      : 'SHOW SLAVE STATUS',
    replicaLagColumn:
      !mariadb && atLeast(parts, [8, 0, 22]) ? 'Seconds_Behind_Source' : 'Seconds_Behind_Master',
    maxTimestamp: mariadb && atLeast(parts, [11, 5, 0]) ? MAX_TIMESTAMP_2106 : MAX_TIMESTAMP_2038,
  };
}

/**
 * What the dialect assumes before it has connected (SQL built for a unit test, or the first statement of a lazy
 * data source): only forms that both MySQL and MariaDB accept.
 */
export const UNKNOWN_SERVER: ServerInfo = {
  flavor: 'mysql',
  version: '0.0.0',
  autoIncrementIncrement: 1,
  maxAllowedPacket: 4194304,
  insertRowAlias: false,
  nativeJson: false,
  quotedDefaults: false,
  descendingIndexes: false,
  replicaStatusSql: 'SHOW REPLICA STATUS',
  replicaLagColumn: 'Seconds_Behind_Source',
  maxTimestamp: MAX_TIMESTAMP_2038,
};
