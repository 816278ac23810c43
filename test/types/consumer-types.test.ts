/*
 * The published declarations, as a strict TypeScript app sees them: this package built from src (as `npm run build`
 * does), installed in a temporary app next to juggler 7 and @loopback/repository, and an app file that uses the
 * public API compiled with `strict`, `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess` and
 * `skipLibCheck: false`, once with node16 module resolution and once with a bundler's.
 */
import assert from 'node:assert/strict';
import {
  MODULE_SETTINGS,
  createConsumer,
  formatDiagnostics,
  typecheck,
} from '../helpers/consumer-project';

/** An app file: settings, juggler 7, LoopBack 4 and the connector's own API, each as a user would write them. */
const APP = `
import {DataSource, type PersistedModelClass} from 'loopback-datasource-juggler';
import {DefaultCrudRepository, Entity, ModelDefinition, juggler} from '@loopback/repository';
import * as mysqlConnector from 'loopback-connector-mysql-ts';
import {
  ISOLATION_LEVELS,
  MySQL,
  MySqlError,
  ParameterizedSQL,
  SqlConnector,
  SqlConnectorError,
  initialize,
  isSqlConnectorError,
  type Filter,
  type IsolationLevel,
  type MySqlConnectorModule,
  type MySqlNodeSettings,
  type MySqlSettings,
  type Where,
} from 'loopback-connector-mysql-ts';

// Settings: every known name, an optional value may be undefined, a misspelt name does not compile.
const replica: MySqlNodeSettings = {host: 'replica1', port: 3307};
export const settings: MySqlSettings = {
  name: 'db',
  connector: mysqlConnector,
  url: process.env.MYSQL_URL,
  connectionLimit: 5,
  lazyConnect: true,
  ssl: {rejectUnauthorized: true},
  replicas: [replica, 'mysql://reader@replica2:3306'],
  mysql2: {enableKeepAlive: true},
  maxOfflineRequests: 32,
};
// @ts-expect-error -- conectionLimit is not a setting
export const misspelt: MySqlSettings = {conectionLimit: 5};
export const byName: MySqlSettings = {connector: 'mysql-ts', host: 'localhost'};
export const module: MySqlConnectorModule = mysqlConnector;
export const entryPoint: MySqlConnectorModule['initialize'] = initialize;
// What juggler does with the package (LoopBack 3, datasources.json): initialize(dataSource, callback).
export const lb3 = (dataSource: DataSource): void => initialize(dataSource, (err) => void err);

// juggler 7: a data source on the package, a model, the connector behind it.
export const ds = new DataSource(settings);
export const Todo = ds.createModel<PersistedModelClass>('Todo', {title: String, done: Boolean});
// juggler types ds.connector as its own Connector; instanceof narrows it to this connector, checked at run time.
export async function reviewMigration(): Promise<string[]> {
  return ds.connector instanceof MySQL ? ds.connector.getAutoupdateSQL(['Todo']) : [];
}

// LoopBack 4: a data source class and a repository.
export const spread = new juggler.DataSource({...settings, name: 'db2', lazyConnect: false});
export class DbDataSource extends juggler.DataSource {
  static dataSourceName = 'db';
  static readonly defaultConfig = settings;
  constructor(config: MySqlSettings = settings) {
    super(config);
  }
}
export class Note extends Entity {
  declare id?: number;
  declare title: string;
}
Note.definition = new ModelDefinition('Note')
  .addProperty('id', {type: 'number', id: true, generated: true})
  .addProperty('title', {type: 'string', required: true});
export class NoteRepository extends DefaultCrudRepository<Note, number> {
  constructor(dataSource: DbDataSource) {
    super(Note, dataSource);
  }
}

// The connector's own API.
export async function use(mysql: MySQL): Promise<number> {
  const base: SqlConnector = mysql;
  const name: string = base.name;
  const statements: string[] = await mysql.getAutoupdateSQL(['Todo']);
  const stmt = ParameterizedSQL.join([new ParameterizedSQL('SELECT ?', [1]), 'AS one']);
  const rows: unknown = await mysql.execute(stmt.sql, stmt.params, {});
  const level: IsolationLevel = ISOLATION_LEVELS[0] ?? 'READ COMMITTED';
  const where: Where = {title: {like: 'a%'}};
  const filter: Filter = {where, limit: 10};
  try {
    await mysql.ping();
  } catch (err) {
    if (err instanceof MySqlError) return err.errno ?? err.statusCode;
    if (err instanceof SqlConnectorError || isSqlConnectorError(err)) return err.statusCode;
  }
  return [name, statements, rows, level, filter].length;
}
`;

/** A settings object with a misspelt name, as a user would first write it. */
const TYPO = [
  "import type {MySqlSettings} from 'loopback-connector-mysql-ts';",
  "export const settings: MySqlSettings = {url: 'mysql://h/d', conectionLimit: 5};",
].join('\n');

describe('published types (consumer projects)', function () {
  // The first test builds the package; each compilation takes a few seconds, more on a busy machine.
  this.timeout(180_000);

  it('compile in a strict app with node16 module resolution and skipLibCheck: false', function () {
    const project = createConsumer('consumer-node16', {
      type: 'commonjs',
      moduleSettings: MODULE_SETTINGS.node16,
      files: {'app.ts': APP, 'typo.ts': TYPO},
    });
    const diagnostics = typecheck(project);
    // The one error: the misspelt setting, where it is written (TS2561 names the close setting itself).
    assert.deepEqual(
      diagnostics.map((d) => [d.file === project.files['typo.ts'], d.line]),
      [[true, 2]],
      formatDiagnostics(diagnostics),
    );
    assert.ok([2353, 2561].includes(diagnostics[0]?.code ?? 0), formatDiagnostics(diagnostics));
    assert.match(
      diagnostics[0]?.message ?? '',
      /'conectionLimit' does not exist in type 'MySqlSettings'/,
    );
  });

  it('compile in a strict app with a bundler module resolution and skipLibCheck: false', function () {
    const project = createConsumer('consumer-bundler', {
      type: 'module',
      moduleSettings: MODULE_SETTINGS.bundler,
      files: {'app.ts': APP},
    });
    const diagnostics = typecheck(project);
    assert.equal(diagnostics.length, 0, formatDiagnostics(diagnostics));
  });
});
