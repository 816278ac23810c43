import type {ResultSetHeader} from './driver';
import type {FieldList} from '../sql-connector/fields';
import {EntityNotFoundError} from '../sql-connector/errors';
import type {ModelData, Options} from '../sql-connector/juggler-types';
import type {ColumnMapping, ModelMapping} from '../sql-connector/model-mapping';
import {primary} from '../sql-connector/options';
import type {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {UpsertInfo} from '../sql-connector/sql-connector';
import {duplicateEntryError, isMySqlError} from './errors';
import {buildOtherUniqueKeysCountQuery} from './information-schema';
import type {ServerInfo} from './server';

/*
 * MySQL's upsert (the connector's `upsertRow`): one `INSERT ... ON DUPLICATE KEY UPDATE`. That statement updates the
 * row it collides with on ANY unique key, not only on the id: on a table with another unique key the update is
 * guarded (it changes only the row that has this id), and a collision that changed nothing is checked afterwards.
 */

/** What an upsert statement did, read from its result's affectedRows (connections run without CLIENT_FOUND_ROWS). */
export type UpsertOutcome = 'inserted' | 'updated' | 'unchanged';

/** What the upsert needs from the connector, bound once. */
export interface UpsertHost {
  /** What the server reported (the INSERT row alias depends on it). */
  readonly server: () => ServerInfo;
  /** Runs a statement through the `execute` observers. */
  run(stmt: ParameterizedSQL, options: Options): Promise<unknown>;
  /** Runs SQL text through the `execute` observers, outside any transaction. */
  runSql(sql: string, params: readonly unknown[], options: Options): Promise<unknown>;
  getRows(result: unknown): Record<string, unknown>[];
  existsAsync(model: string, id: unknown, options: Options): Promise<boolean>;
  /** The connector's statement text cache for writes (see `SqlStatementBuilder.cachedWrite`). */
  cachedWrite(
    model: string,
    kind: string,
    fields: FieldList,
    build: () => ParameterizedSQL,
  ): ParameterizedSQL;
  buildInsertRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: readonly (readonly unknown[])[],
  ): ParameterizedSQL;
}

/**
 * The upserts of one connector, with what they know of each table's unique keys (read once per table from the live
 * table, forgotten by {@link clear} when migrations may have changed the keys).
 */
export class MySqlUpsert {
  /** Per table: whether it has a unique index besides PRIMARY (see hasOtherUniqueKeys). */
  private readonly otherUniqueKeys = new Map<string, boolean>();
  private readonly host: UpsertHost;

  constructor(host: UpsertHost) {
    this.host = host;
  }

  /** Forgets what is known of the tables' unique keys (automigrate and autoupdate call this). */
  clear(): void {
    this.otherUniqueKeys.clear();
  }

  /**
   * Upserts the row of `fields` (with its `id`) and resolves to whether it inserted. When the statement changed
   * nothing on a table with another unique key and no row has the id, the insert hit that other key and the guarded
   * update left the other row alone: that is a duplicate-key error, not an update.
   */
  async upsertRow(
    mapping: ModelMapping,
    id: unknown,
    fields: FieldList,
    options: Options,
  ): Promise<boolean> {
    const result = await this.host.run(this.buildUpsert(mapping, fields), options);
    const outcome = upsertOutcome(result);
    if (
      outcome === 'unchanged' &&
      this.hasOtherUniqueKeys(mapping) &&
      !(await this.host.existsAsync(mapping.model, id, primary(options)))
    ) {
      throw duplicateEntryError(mapping.model);
    }
    return outcome === 'inserted';
  }

  /** `INSERT ... ON DUPLICATE KEY UPDATE ...` of one row, its text cached per column list and clause form. */
  buildUpsert(mapping: ModelMapping, fields: FieldList): ParameterizedSQL {
    const guarded = this.hasOtherUniqueKeys(mapping);
    const rowAlias = this.host.server().insertRowAlias;
    // The guard and the server (UNKNOWN_SERVER until connected) decide the clause's form: both are in the cache key.
    const form = `${guarded ? 'guarded' : 'plain'}-${rowAlias ? 'alias' : 'values'}`;
    return this.host.cachedWrite(mapping.model, `upsert\0${form}`, fields, () =>
      this.host
        .buildInsertRows(mapping, fields.columns, [fields.values])
        .append(upsertClause(mapping, fields.columns, guarded, rowAlias)),
    );
  }

  /** Whether the table may have a unique key besides the primary key, so that an upsert can collide with another row. */
  hasOtherUniqueKeys(mapping: ModelMapping): boolean {
    // Unknown until read from the live table (see loadOtherUniqueKeys): assume there may be one.
    return this.otherUniqueKeys.get(mapping.tableEscaped) ?? true;
  }

  /**
   * Juggler's upsert (`upsert`, the base's), after reading the table's unique keys. A patch that leaves out a NOT NULL
   * column without a default fails as an INSERT (ER_NO_DEFAULT_FOR_FIELD) before the server looks for the existing
   * row: that row is patched with an UPDATE instead (`patch`); with no such row, the insert's error stands.
   */
  async upsert(
    mapping: ModelMapping,
    id: unknown,
    mode: 'patch' | 'replace',
    upsert: () => Promise<[ModelData, UpsertInfo]>,
    patch: () => Promise<ModelData>,
  ): Promise<[ModelData, UpsertInfo]> {
    // Known after the first upsert of the table: no await (a turn of the microtask queue) on every call.
    if (!this.otherUniqueKeys.has(mapping.tableEscaped)) await this.loadOtherUniqueKeys(mapping);
    try {
      return await upsert();
    } catch (err) {
      if (mode !== 'patch' || !isMySqlError(err, 'ER_NO_DEFAULT_FOR_FIELD')) throw err;
      if (id === undefined || id === null) throw err;
      try {
        return [await patch(), {isNewInstance: false}];
      } catch (patchErr) {
        throw patchErr instanceof EntityNotFoundError ? err : patchErr;
      }
    }
  }

  /** Reads once per table whether it has a unique index besides PRIMARY (cleared by migrations). */
  async loadOtherUniqueKeys(mapping: ModelMapping): Promise<void> {
    if (this.otherUniqueKeys.has(mapping.tableEscaped)) return;
    const count = buildOtherUniqueKeysCountQuery(mapping);
    const rows = this.host.getRows(await this.host.runSql(count.sql, count.params, {}));
    this.otherUniqueKeys.set(mapping.tableEscaped, Number(rows[0]?.n ?? 1) > 0);
  }
}

/**
 * `[AS _lb_new] ON DUPLICATE KEY UPDATE ...`. With `guarded`, only the row that has this id is updated: when the
 * insert collides on another unique key, the IF leaves that row unchanged, and the caller gets a duplicate-key
 * error instead of a report about the wrong row. Without another unique key the only possible collision is on the
 * id: a plain assignment is enough. `rowAlias`: the server takes `AS _lb_new` (MySQL 8.0.19+), else `VALUES(c)`.
 */
export function upsertClause(
  mapping: ModelMapping,
  columns: readonly ColumnMapping[],
  guarded: boolean,
  rowAlias: boolean,
): string {
  const alias = rowAlias ? '_lb_new' : undefined;
  const incoming = (c: ColumnMapping) => (alias ? `${alias}.${c.escaped}` : `VALUES(${c.escaped})`);
  const sameId = mapping.ids
    .map((c) => `${mapping.tableEscaped}.${c.escaped}<=>${incoming(c)}`)
    .join(' AND ');
  const assignments = columns
    .filter((c) => !c.definition.id)
    .map((c) =>
      guarded
        ? `${c.escaped}=IF(${sameId},${incoming(c)},${mapping.tableEscaped}.${c.escaped})`
        : `${c.escaped}=${incoming(c)}`,
    );
  if (assignments.length === 0) {
    const id = mapping.ids[0] as ColumnMapping;
    assignments.push(`${id.escaped}=${mapping.tableEscaped}.${id.escaped}`);
  }
  return `${alias ? `AS ${alias} ` : ''}ON DUPLICATE KEY UPDATE ${assignments.join(',')}`;
}

/** An upsert's affectedRows: 1 for an insert, 2 for an update that changed the row, 0 when nothing changed. */
export function upsertOutcome(result: unknown): UpsertOutcome {
  const affected = Number((result as ResultSetHeader).affectedRows ?? 0);
  return affected === 1 ? 'inserted' : affected === 0 ? 'unchanged' : 'updated';
}
