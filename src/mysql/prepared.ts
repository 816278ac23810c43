import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import type {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import {isShaped} from '../sql-connector/statement-shapes';

/*
 * Prepared statements (mysql2's `execute`, the binary protocol) for the SELECTs the connector builds from plain
 * comparisons (statement-shapes.ts), with `preparedStatements: true`. The server parses such a statement once per
 * connection instead of on every call, and the client binds values instead of formatting them into the text. Off by
 * default, for every kind of statement, by measurement (README, "Performance"): through juggler on this project's VM,
 * prepared SELECTs, COUNTs, INSERTs, UPDATEs, upserts and DELETEs saved no client CPU on MariaDB 10.11 (0.96-1.07x)
 * and cost 2-40% more on MySQL 9.7, with throughput within 0.91-1.08x on both. Writes therefore stay on the text
 * protocol even with the setting on, and so do raw SQL (`execute()`), migrations, discovery, JSON paths and dialect
 * operators.
 */

/**
 * Statements each connection keeps prepared, least recently used first out (mysql2 closes them on the server). The
 * server's `max_prepared_stmt_count` (16382 by default) is shared by every client; past it, a statement falls back to
 * the text protocol (see driver/prepared.ts).
 */
export const DEFAULT_MAX_PREPARED_STATEMENTS = 128;

/** Column types whose binary values differ from their text: FLOAT comes as a 32-bit float (1.1 as 1.100000023841858). */
const INEXACT = /^(float|real)/i;

/** Whether the rows of these columns read the same through the binary protocol as through the text protocol. */
export function readsAlike(columns: readonly ColumnMapping[]): boolean {
  for (const c of columns) {
    const dataType = (c.definition as {mysql?: {dataType?: unknown}}).mysql?.dataType;
    if (typeof dataType === 'string' && INEXACT.test(dataType)) return false;
  }
  return true;
}

/**
 * Whether the values can be bound as they are: strings, finite numbers, booleans, Buffers and NULL (no BigInts). Not Dates: the text
 * protocol writes them in the connection's time zone for any year, the binary one has its own rules (and throws
 * outside 0-65535); the column values of Dates are strings already (type-mapping.ts), a Date remains only where a
 * nested JSON value is compared with one.
 */
export function bindable(params: readonly unknown[]): boolean {
  for (const p of params) {
    if (p === null || typeof p === 'string' || typeof p === 'boolean') continue;
    if (typeof p === 'number' ? Number.isFinite(p) : Buffer.isBuffer(p)) continue;
    return false;
  }
  return true;
}

/**
 * The connector's SELECTs to run prepared: those whose where is plain comparisons of plain columns (a checked shape,
 * statement-shapes.ts), of models without a FLOAT column. A statement is known by its parameter array.
 */
export class PreparedSelects {
  private readonly marked = new WeakSet<readonly unknown[]>();
  private readonly alike = new WeakMap<ModelMapping, boolean>();

  /** Marks `stmt`, a SELECT of `mapping`'s table, to run prepared when it may; returns it. */
  mark(mapping: ModelMapping, stmt: ParameterizedSQL): ParameterizedSQL {
    let alike = this.alike.get(mapping);
    if (alike === undefined) {
      alike = readsAlike(mapping.columns);
      this.alike.set(mapping, alike);
    }
    if (alike && isShaped(stmt)) this.marked.add(stmt.params);
    return stmt;
  }

  /** Whether the statement of these parameters was marked. */
  has(params: readonly unknown[]): boolean {
    return this.marked.has(params);
  }
}
