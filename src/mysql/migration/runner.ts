/*
 * Running a migration: the arguments of the juggler calls, the reading of the live tables through the connector,
 * and what autoupdate reports (the columns it kept, the statements it ran) in the debug log and as warnings.
 */
import createDebug from 'debug';
import type {ModelMapping} from '../../sql-connector/model-mapping';
import type {ParameterizedSQL} from '../../sql-connector/parameterized-sql';
import type {ServerInfo} from '../server';
import type {AutoupdateOptions, MigrationWarning} from './diff';
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

/**
 * Reads the live tables of the models, one after the other: `live` is undefined for a table that does not exist.
 * The server is asked for after the first statement, so that a lazy data source reads it as the server reports it.
 */
export async function readLiveTables(
  runner: MigrationRunner,
  mappings: readonly ModelMapping[],
): Promise<{mapping: ModelMapping; live: LiveTable | undefined}[]> {
  const tables = [];
  for (const mapping of mappings) {
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
    tables.push({mapping, live: liveTable(snapshot, migrationDialect(runner.server()))});
  }
  return tables;
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
