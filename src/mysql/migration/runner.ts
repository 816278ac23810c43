/*
 * Running a migration: the arguments of the juggler calls, the reading of the live tables through the connector,
 * what autoupdate reports (the columns it kept, the statements it ran) in the debug log and as warnings, and the
 * operations the connector's automigrate / autoupdate / isActual delegate to (through a {@link MigrationHost}).
 */
import {asyncify, mapLimit} from 'async';
import createDebug from 'debug';
import type {Options} from '../../sql-connector/juggler-types';
import type {ModelMapping} from '../../sql-connector/model-mapping';
import type {ParameterizedSQL} from '../../sql-connector/parameterized-sql';
import type {ServerInfo} from '../server';
import {escapeName} from '../type-mapping';
import {buildAutomigrate, type TableOptions} from './ddl';
import {
  buildAutoupdate,
  type AutoupdateOptions,
  type MigrationContext,
  type MigrationWarning,
} from './diff';
import {buildReadTable, liveTable, migrationDialect, type LiveTable} from './live-schema';

const debug = createDebug('loopback:connector:mysql:migration');

/**
 * The arguments of `automigrate` / `autoupdate` / `isActual`: `(models, cb)` as juggler calls them, `(cb)`,
 * `(models, options, cb)`, or without a callback.
 */
export function migrationArgs<C>(
  models: unknown,
  options: unknown,
  cb: C | undefined,
): [string[] | string | undefined, AutoupdateOptions, C | undefined] {
  if (typeof models === 'function') return [undefined, {}, models as C];
  if (typeof options === 'function')
    return [models as string[] | string | undefined, {}, options as C];
  const opts =
    options !== null && typeof options === 'object' ? (options as AutoupdateOptions) : {};
  return [models as string[] | string | undefined, opts, cb];
}

/** What the migration needs from the connector. */
export interface MigrationRunner {
  /** Runs a statement (through the connector's `execute` observers, on the primary) and returns its rows. */
  query(stmt: ParameterizedSQL): Promise<Record<string, unknown>[]>;
  /** The server, as reported at connect time (known once a statement has run). */
  server(): ServerInfo;
}

/** How many tables autoupdate and isActual read at once; their statements wait in the pool beyond connectionLimit. */
export const READ_CONCURRENCY = 4;

/**
 * Reads the live tables of the models, {@link READ_CONCURRENCY} at a time, in the models' order: `live` is
 * undefined for a table that does not exist. Each table's server-dependent parts are read once its first statement
 * has run, so that a lazy data source reads the server as it reports itself.
 */
export async function readLiveTables(
  runner: MigrationRunner,
  mappings: readonly ModelMapping[],
): Promise<{mapping: ModelMapping; live: LiveTable | undefined}[]> {
  const readOne = async (mapping: ModelMapping) => {
    const read = buildReadTable(mapping);
    const columns = await runner.query(read.columns);
    const snapshot =
      columns.length === 0
        ? {columns}
        : {
            columns,
            indexes: await runner.query(read.indexes),
            foreignKeys: await runner.query(read.foreignKeys),
            checks: runner.server().nativeJson ? [] : await runner.query(read.checks),
          };
    return {mapping, live: liveTable(snapshot, migrationDialect(runner.server()))};
  };
  type Read = Awaited<ReturnType<typeof readOne>>;
  return mapLimit<ModelMapping, Read>([...mappings], READ_CONCURRENCY, asyncify(readOne));
}

/** The columns already reported, per connector: each kept column is reported once. */
const reported = new WeakMap<object, Set<string>>();

/**
 * Reports the columns autoupdate kept instead of dropping: in the debug log (`loopback:connector:mysql:migration`)
 * and, once per column and connector, as a process warning.
 */
export function reportKeptColumns(owner: object, warnings: readonly MigrationWarning[]): void {
  let seen = reported.get(owner);
  if (!seen) reported.set(owner, (seen = new Set()));
  for (const warning of warnings) {
    debug(warning.message);
    const key = `${warning.table}\0${warning.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    process.emitWarning(warning.message, {
      type: 'LoopBackMigrationWarning',
      code: 'LB_MYSQL_COLUMN_KEPT',
    });
  }
}

/** Logs the statements of a migration step under `loopback:connector:mysql:migration`. */
export function logMigration(what: string, statements: readonly string[]): void {
  if (debug.enabled) for (const sql of statements) debug('%s: %s', what, sql);
}

/** The models of a migration call: names, one name, or all the connector's (undefined). */
export type MigrationModels = string[] | string | undefined;

/** What the migration operations need from the connector. */
export interface MigrationHost {
  /** Runs SQL through the connector's `execute` observers (on the connection `options` pins) and returns its rows. */
  query(
    sql: string,
    params: readonly unknown[],
    options: Options,
  ): Promise<Record<string, unknown>[]>;
  /** Runs `work` with every statement on one connection of the primary (the options pin it). */
  withConnection<T>(options: Options, work: (options: Options) => Promise<T>): Promise<T>;
  /** The server, as reported at connect time. */
  server(): ServerInfo;
  /** The models attached to the connector. */
  modelNames(): string[];
  /** The mapping of a model attached to the connector (an error for another name). */
  getModelMapping(model: string): ModelMapping;
  /** Whether a model of that name is attached to the connector. */
  isModel(model: string): boolean;
  /** The data source's charset and collation, for the tables it creates. */
  tableOptions(): TableOptions;
  /** The tables' unique keys may change: forget what the connector read of them. */
  forgetUniqueKeys(): void;
}

function mappingsOf(host: MigrationHost, models: MigrationModels): ModelMapping[] {
  const names =
    models === undefined || models === null
      ? host.modelNames()
      : Array.isArray(models)
        ? models
        : [models];
  return names.map((name) => host.getModelMapping(name));
}

function migrationContext(host: MigrationHost): MigrationContext {
  return {
    escapeName,
    tableOptions: host.tableOptions(),
    resolveEntity: (entity) => (host.isModel(entity) ? host.getModelMapping(entity) : undefined),
    dialect: migrationDialect(host.server()),
  };
}

/** Reads the live tables of the models and compares them with the models. */
async function planAutoupdate(
  host: MigrationHost,
  models: MigrationModels,
  options: AutoupdateOptions,
) {
  const tables = await readLiveTables(
    {query: (q) => host.query(q.sql, q.params, {}), server: () => host.server()},
    mappingsOf(host, models),
  );
  return buildAutoupdate(tables, migrationContext(host), options);
}

/** The statements autoupdate would run, without running them. */
export async function autoupdateSql(
  host: MigrationHost,
  models: MigrationModels,
  options: AutoupdateOptions,
): Promise<string[]> {
  const plan = await planAutoupdate(host, models, options);
  reportKeptColumns(host, plan.warnings);
  return plan.statements;
}

/** Whether the tables match the models, i.e. autoupdate would change nothing. */
export async function isActual(
  host: MigrationHost,
  models: MigrationModels,
  options: AutoupdateOptions,
): Promise<boolean> {
  return (await planAutoupdate(host, models, options)).statements.length === 0;
}

/** Brings the tables of the models in line with them (see `MySQL.autoupdate`). */
export async function autoupdate(
  host: MigrationHost,
  models: MigrationModels,
  options: AutoupdateOptions,
): Promise<void> {
  // The keys may change: upserts read them again.
  host.forgetUniqueKeys();
  const plan = await planAutoupdate(host, models, options);
  reportKeptColumns(host, plan.warnings);
  logMigration('autoupdate', plan.statements);
  for (const sql of plan.statements) await host.query(sql, [], {});
}

/** Drops and re-creates the tables of the models, then adds their foreign keys (see `MySQL.automigrate`). */
export async function automigrate(host: MigrationHost, models: MigrationModels): Promise<void> {
  host.forgetUniqueKeys();
  const plan = buildAutomigrate(mappingsOf(host, models), migrationContext(host));
  await host.withConnection({}, async (opts) => {
    // Foreign keys between the tables must not block the drops; the check is off on this connection only.
    await host.query('SET FOREIGN_KEY_CHECKS=0', [], opts);
    try {
      for (const sql of plan.drops) await host.query(sql, [], opts);
    } finally {
      await host.query('SET FOREIGN_KEY_CHECKS=1', [], opts);
    }
    // Every table exists before the first foreign key: references may go forward, and in cycles.
    for (const sql of [...plan.creates, ...plan.foreignKeys]) await host.query(sql, [], opts);
  });
}
