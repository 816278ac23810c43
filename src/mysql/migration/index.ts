/*
 * Schema migration: `automigrate` drops and re-creates the tables of the models, `autoupdate` compares each live
 * table with its model and alters it. One file a job:
 *
 * - model-schema.ts: what the model declares (columns, indexes, foreign keys);
 * - ddl.ts: the DDL text of a model's table, and the statements of automigrate;
 * - live-schema.ts: the information_schema reads of a live table, normalized;
 * - diff.ts: the model compared with its live table, and the statements of autoupdate;
 * - runner.ts: the juggler arguments, reading the live tables through the connector, and what is reported.
 *
 * Statement order, for both operations: drop foreign keys, (drop and) create tables, alter tables, add foreign keys.
 * Foreign keys come last so that a model may reference a table created after it, or one that references it back.
 */
export {
  buildAddForeignKeys,
  buildAutomigrate,
  buildColumnDefinition,
  buildCreateTable,
  buildDropTable,
  buildForeignKeyDefinition,
  buildIndexDefinition,
  type DdlContext,
  type TableOptions,
} from './ddl';
export {
  buildAutoupdate,
  columnDifference,
  diffTable,
  modelDefault,
  type AutoupdateOptions,
  type MigrationContext,
  type MigrationWarning,
  type TableDiff,
} from './diff';
export {
  buildReadTable,
  liveTable,
  migrationDialect,
  normalizeCharset,
  normalizeColumnType,
  normalizeLiveDefault,
  type LiveColumn,
  type LiveForeignKey,
  type LiveIndex,
  type LiveTable,
  type MigrationDialect,
  type TableSnapshot,
} from './live-schema';
export {
  modelForeignKeys,
  modelIndexes,
  type EntityResolver,
  type ForeignKeySpec,
  type IndexColumn,
  type IndexSpec,
} from './model-schema';
export {
  automigrate,
  autoupdate,
  autoupdateSql,
  isActual,
  logMigration,
  migrationArgs,
  readLiveTables,
  reportKeptColumns,
  type MigrationHost,
  type MigrationModels,
  type MigrationRunner,
} from './runner';
