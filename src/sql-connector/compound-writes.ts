import {
  EntityNotFoundError,
  InvalidFilterError,
  InvalidModelError,
  ConcurrentModificationError,
} from './errors';
import {applyGeneratedIds, planInsertBatches, type StatementLimits} from './insert-batches';
import type {Filter, ModelData, Options, Where} from './juggler-types';
import type {ColumnMapping, ModelMapping} from './model-mapping';
import {primary} from './options';
import type {ParameterizedSQL} from './parameterized-sql';
import type {SqlStatementBuilder} from './sql-statement-builder';
import {idOf, idWhere, stableStringify, withId} from './statements';
import {equalityValues} from './where';

/*
 * The juggler calls that take more than one statement: `createAll` (batches of INSERTs), `updateAttributes` /
 * `replaceById` (an UPDATE, or a check that the row exists), and `findOrCreate` / `upsertWithWhere` (find by a where,
 * then write, atomically under a lock named after the table and the where: the dialect's `withLock`).
 */

/** How many times `upsertWithWhere` looks for the row again when another writer changed it under its feet. */
const MAX_UPSERT_ATTEMPTS = 3;

/** What the compound writes need from the connector, bound once per connector (its methods stay overridable). */
export interface WriteHost {
  /** The connector's public methods. */
  readonly connector: Pick<
    SqlStatementBuilder,
    'getModelMapping' | 'buildSelect' | 'buildInsert' | 'buildUpdate'
  > & {
    allAsync(model: string, filter: Filter, options: Options): Promise<ModelData[]>;
    createAsync(model: string, data: ModelData, options: Options): Promise<unknown>;
    existsAsync(model: string, id: unknown, options: Options): Promise<boolean>;
  };
  readonly toWriteValue: (column: ColumnMapping, value: unknown) => unknown;
  /** The connector's statement limits, `maxStatementParams()` and `maxStatementBytes()`. */
  readonly limits: () => StatementLimits;
  /** Runs a statement (through the `execute` observers) and resolves to the driver's result. */
  run(stmt: ParameterizedSQL, options: Options): Promise<unknown>;
  getAffectedCount(result: unknown): number;
  getInsertedIds(result: unknown, count: number): unknown[] | undefined;
  buildInsertRows(
    mapping: ModelMapping,
    columns: readonly ColumnMapping[],
    rows: readonly (readonly unknown[])[],
  ): ParameterizedSQL;
  /** Resolves juggler's `include` on rows. */
  include(
    mapping: ModelMapping,
    rows: ModelData[],
    include: unknown,
    options: Options,
  ): Promise<void>;
  withLock<T>(key: string, options: Options, work: (options: Options) => Promise<T>): Promise<T>;
}

/** `createAll`: multi-row INSERTs under the statement limits (insert-batches.ts); the rows with their ids, in order. */
export async function createAll(
  host: WriteHost,
  model: string,
  data: ModelData[],
  options: Options,
): Promise<ModelData[]> {
  if (!Array.isArray(data))
    throw new InvalidFilterError('createAll() takes an array of model data');
  const mapping = host.connector.getModelMapping(model);
  const out = data.map((d) => ({...d}));
  if (out.length === 0) return out;
  for (const batch of planInsertBatches(mapping, out, host.toWriteValue, host.limits)) {
    const stmt = host.buildInsertRows(mapping, batch.columns, batch.rows);
    const result = await host.run(stmt, options);
    if (!batch.generatesIds) continue;
    const ids = host.getInsertedIds(result, batch.rows.length);
    if (ids) applyGeneratedIds(out, batch, (mapping.ids[0] as ColumnMapping).property, ids);
  }
  return out;
}

/** `updateAttributes` (patch) and `replaceById` (replace): a 404 error when no row has the id. */
export async function updateById(
  host: WriteHost,
  model: string,
  id: unknown,
  data: ModelData,
  options: Options,
  mode: 'patch' | 'replace',
): Promise<ModelData> {
  const where = idWhere(host.connector.getModelMapping(model), id);
  const stmt = host.connector.buildUpdate(model, where, data ?? {}, mode);
  const count = stmt
    ? host.getAffectedCount(await host.run(stmt, options))
    : (await host.connector.existsAsync(model, id, primary(options)))
      ? 1
      : 0;
  if (count === 0) throw new EntityNotFoundError(model, id);
  return data;
}

/** The lock of the calls that find by a where, then write: the same where of one table gives the same lock. */
function lockKey(mapping: ModelMapping, where: Where | undefined): string {
  return `${mapping.tableEscaped}:${stableStringify(where ?? {})}`;
}

/** `findOrCreate`, atomic: concurrent calls with the same filter create one row; the others find it. */
export async function findOrCreate(
  host: WriteHost,
  model: string,
  filter: Filter,
  data: ModelData,
  options: Options,
): Promise<[ModelData, boolean]> {
  const f = {...(filter ?? {}), limit: 1};
  // Validate the filter before taking a lock, so a bad one fails with 400 at once.
  host.connector.buildSelect(model, f);
  const mapping = host.connector.getModelMapping(model);
  return host.withLock(lockKey(mapping, f.where), options, async (opts) => {
    const found = await host.connector.allAsync(model, f, opts);
    if (found.length > 0) return [found[0] as ModelData, false];
    const created = withId(mapping, data, await host.connector.createAsync(model, data, opts));
    if (f.include) await host.include(mapping, [created], f.include, opts);
    return [created, true];
  });
}

/**
 * `upsertWithWhere`, atomic under the lock of `findOrCreate`: patches the first row by id that matches `where` with
 * `data`, or inserts `data` when no row matches, with the values the where pins by equality for the properties `data`
 * leaves out (`{email: 'a'}` inserts `email: 'a'`), so the new row matches the where: concurrent calls with the same
 * where insert one row and the others update it. The result is `data` over the row's other stored values (those that
 * are not NULL, as `updateAttributes` leaves unset properties unset), with the row's id.
 */
export async function upsertWithWhere(
  host: WriteHost,
  model: string,
  where: Where,
  data: ModelData,
  options: Options,
): Promise<[ModelData, {isNewInstance: boolean}]> {
  const mapping = host.connector.getModelMapping(model);
  if (mapping.ids.length === 0) throw new InvalidModelError(`Model ${model} has no id property`);
  const filter: Filter = {where: where ?? {}, limit: 1};
  const insert: ModelData = {...data};
  for (const [property, value] of Object.entries(equalityValues(mapping, filter.where)))
    if (insert[property] === undefined) insert[property] = value;
  // Validate the where and the data before taking a lock, so bad ones fail at once.
  host.connector.buildSelect(model, filter);
  host.connector.buildInsert(model, insert);
  return host.withLock(lockKey(mapping, filter.where), options, async (opts) => {
    // A writer that does not take the lock (a destroyAll, an updateAll) may change the row found before it is
    // updated: the UPDATE repeats the where, and when it matches nothing the search starts over.
    for (let attempt = 1; ; attempt++) {
      // Without an order, rows come by id: the first match is the one with the lowest id.
      const [found] = await host.connector.allAsync(model, filter, primary(opts));
      if (!found) {
        const created = withId(
          mapping,
          insert,
          await host.connector.createAsync(model, insert, opts),
        );
        return [created, {isNewInstance: true}];
      }
      const byId = idWhere(mapping, idOf(mapping, found));
      const stmt = host.connector.buildUpdate(
        model,
        Object.keys(filter.where ?? {}).length === 0 ? byId : {and: [filter.where, byId]},
        data ?? {},
        'patch',
      );
      if (stmt && host.getAffectedCount(await host.run(stmt, opts)) === 0) {
        if (attempt < MAX_UPSERT_ATTEMPTS) continue;
        throw new ConcurrentModificationError(
          `upsertWithWhere on ${model}: the matching row changed ${attempt} times while it was being updated`,
        );
      }
      const updated: ModelData = {};
      for (const [property, value] of Object.entries(found))
        if (value !== null && value !== undefined) updated[property] = value;
      Object.assign(updated, data);
      for (const c of mapping.ids) updated[c.property] = found[c.property];
      return [updated, {isNewInstance: false}];
    }
  });
}
