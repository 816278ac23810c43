/*
 * What the connector reads of mysql2's result of a write (its `ResultSetHeader`: the server's OK packet).
 */
import type {ResultSetHeader} from './driver';

/** The id of the row an INSERT created, when the table has an AUTO_INCREMENT id (undefined otherwise). */
export function insertedId(result: unknown): unknown {
  const id = (result as ResultSetHeader).insertId;
  return typeof id === 'number' && id > 0
    ? id
    : typeof id === 'bigint' || typeof id === 'string'
      ? id
      : undefined;
}

/** The ids of the `count` rows of one multi-row INSERT, `step` (auto_increment_increment) apart. */
export function insertedIds(result: unknown, count: number, step: number): unknown[] | undefined {
  const first = (result as ResultSetHeader).insertId;
  if (typeof first !== 'number' || first <= 0) return undefined;
  // One multi-row INSERT of rows that all leave the id out is a "simple insert": InnoDB gives it consecutive
  // values (in every innodb_autoinc_lock_mode), spaced by auto_increment_increment.
  return Array.from({length: count}, (_, i) => first + i * step);
}

/** The rows an UPDATE or DELETE matched. */
export function matchedCount(result: unknown): number {
  const header = result as ResultSetHeader;
  // Connections run without CLIENT_FOUND_ROWS (see settings/resolve.ts), so affectedRows of an UPDATE counts changed rows;
  // LoopBack counts matched rows, which the OK packet's info reports.
  const matched =
    typeof header.info === 'string' ? /Rows matched:\s*(\d+)/.exec(header.info) : null;
  return matched ? Number(matched[1]) : Number(header.affectedRows ?? 0);
}
