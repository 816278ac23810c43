/*
 * The real `lb4 discover` (@loopback/cli) against this connector, without a terminal: a LoopBack 4 app skeleton in a
 * temporary folder, whose data source says `connector: 'mysql-ts'`, discovers every table of a database made from
 * test/fixtures/lb4-discover.sql. The generated models must compile under `strict`, and a DefaultCrudRepository on
 * them must write and read a row of every column type; an ENUM property must carry its members, so that LoopBack's
 * request validation answers a bad value with a 422 before any SQL runs.
 *
 * @loopback/cli (with @loopback/rest, for that validation) is installed once into a cache folder outside the
 * repository: LBTS_LB4_CLI_DIR, else lb4-cli in LBTS_CACHE (default /var/cache/lbts) when writable, else lbts-lb4-cli
 * under the temp folder.
 * The app links @loopback/core, @loopback/repository and the connector's dependencies from this repository's
 * node_modules, and gets the connector as the package would install: src/ compiled into its node_modules.
 * LBTS_KEEP_APP=1 keeps the app folder, to look at what the CLI generated.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'lb4-discover.sql');
/** Pinned majors: a new major of the CLI is a deliberate upgrade of this test. */
const CLI_PACKAGES = ['@loopback/cli@7', '@loopback/rest@15'];
const READY_FILE = 'lbts-ready.json';

/** Environment for the child processes, without what an outer `npm run` sets about this repository. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$|config_prefix$)/i.test(key)) continue;
    env[key] = value;
  }
  // No update check against the registry, no colours in what the CLI prints.
  return {...env, NO_UPDATE_NOTIFIER: '1', FORCE_COLOR: '0', ...extra};
}

async function exec(
  file: string,
  args: string[],
  cwd: string,
  timeout: number,
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<{stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await run(file, args, {
      cwd,
      env,
      timeout,
      maxBuffer: 32 * 1024 * 1024,
      shell: process.platform === 'win32',
    });
    return {stdout, stderr};
  } catch (err) {
    const e = err as {stdout?: string; stderr?: string; message: string};
    throw new Error(
      `${path.basename(file)} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout}\n${e.stderr}`,
      {cause: err},
    );
  }
}

/** The cache folder of the CLI install: outside the repository, kept between runs. */
function cliCacheDir(): string {
  const configured = process.env.LBTS_LB4_CLI_DIR;
  if (configured) return configured;
  const preferred = path.join(process.env.LBTS_CACHE || '/var/cache/lbts', 'lb4-cli');
  try {
    fs.mkdirSync(path.dirname(preferred), {recursive: true});
    fs.accessSync(path.dirname(preferred), fs.constants.W_OK);
    return preferred;
  } catch {
    return path.join(os.tmpdir(), 'lbts-lb4-cli');
  }
}

function isReady(dir: string): boolean {
  try {
    const ready = JSON.parse(fs.readFileSync(path.join(dir, READY_FILE), 'utf8')) as unknown;
    return (
      JSON.stringify(ready) === JSON.stringify(CLI_PACKAGES) &&
      fs.existsSync(path.join(dir, 'node_modules/@loopback/cli/bin/cli-main.js'))
    );
  } catch {
    return false;
  }
}

/** An earlier install of this test (other versions, or unfinished): a folder npm installed only LoopBack packages in. */
function isOldInstall(dir: string): boolean {
  if (fs.readdirSync(dir).length === 0) return true;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const names = Object.keys(pkg.dependencies ?? {});
    return names.length > 0 && names.every((name) => name.startsWith('@loopback/'));
  } catch {
    return false;
  }
}

/**
 * Installs the pinned CLI packages into `dir` unless they are there. The install goes into a sibling folder that is
 * renamed into place when complete, so a half-finished install is never used and two runs may race.
 */
async function ensureCli(dir: string): Promise<void> {
  if (isReady(dir)) return;
  if (fs.existsSync(dir) && !isOldInstall(dir)) {
    throw new Error(
      `${dir} holds something else than an install of this test: set LBTS_LB4_CLI_DIR`,
    );
  }
  const staging = `${dir}.installing-${process.pid}`;
  fs.rmSync(staging, {recursive: true, force: true});
  fs.mkdirSync(staging, {recursive: true});
  console.log(
    `      lb4-discover: installing ${CLI_PACKAGES.join(' ')} into ${dir} (once; a minute or two)`,
  );
  const started = Date.now();
  await exec(
    'npm',
    [
      'install',
      '--prefix',
      staging,
      '--no-audit',
      '--no-fund',
      '--loglevel',
      'error',
      ...CLI_PACKAGES,
    ],
    staging,
    9 * 60_000,
  );
  fs.writeFileSync(path.join(staging, READY_FILE), JSON.stringify(CLI_PACKAGES));
  console.log(`      lb4-discover: installed in ${Math.round((Date.now() - started) / 1000)} s`);
  if (!isReady(dir) && fs.existsSync(dir) && isOldInstall(dir)) {
    fs.rmSync(dir, {recursive: true, force: true});
  }
  try {
    fs.renameSync(staging, dir);
  } catch (err) {
    // Another run finished first: use its install.
    fs.rmSync(staging, {recursive: true, force: true});
    if (!isReady(dir)) throw err;
  }
}

/** The fixture's statements: split on `;` at line ends, comment lines dropped. */
function fixtureStatements(): string[] {
  return fs
    .readFileSync(FIXTURE, 'utf8')
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((s) => s !== '');
}

function packageVersion(dir: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {version: string})
    .version;
}

function link(app: string, name: string, target: string): void {
  const at = path.join(app, 'node_modules', name);
  fs.mkdirSync(path.dirname(at), {recursive: true});
  fs.symlinkSync(target, at, 'junction');
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, text);
}

/** The data source as `lb4 datasource` would write it, with the settings from the environment of the test. */
const DATASOURCE = `import {juggler} from '@loopback/repository';

const config = {
  name: 'db',
  connector: 'mysql-ts',
  ...(JSON.parse(process.env.LBTS_DISCOVER_DB ?? '{}') as object),
};

export class DbDataSource extends juggler.DataSource {
  static dataSourceName = 'db';
  static readonly defaultConfig = config;

  constructor(dsConfig: object = config) {
    super(dsConfig);
  }
}
`;

/**
 * What the app does with the generated models, compiled with them: repositories write and read rows, LoopBack's
 * request body validation (what a POST /accounts goes through) judges ENUM values. Prints one JSON report.
 */
const CHECK = `import {DefaultCrudRepository} from '@loopback/repository';
import {getModelSchemaRef, validateRequestBody} from '@loopback/rest';
import {DbDataSource} from './datasources/db.datasource';
import {Account, EveryType} from './models';

async function validate(body: object): Promise<object> {
  const ref = getModelSchemaRef(Account, {exclude: ['id']});
  const schema = {$ref: ref.$ref};
  try {
    await validateRequestBody(
      {value: body, schema},
      {required: true, content: {'application/json': {schema}}},
      ref.definitions,
    );
    return {valid: true};
  } catch (err) {
    const e = err as {statusCode?: number; code?: string; details?: object[]};
    return {valid: false, statusCode: e.statusCode, code: e.code, details: e.details};
  }
}

async function main(): Promise<void> {
  const ds = new DbDataSource();
  const accounts = new DefaultCrudRepository<Account, number>(Account, ds);
  const rows = new DefaultCrudRepository<EveryType, number>(EveryType, ds);

  const good = {email: 'ada@example.com', status: 'suspended', verified: 1, createdAt: '2024-05-06T07:08:09.000Z'};
  const validGood = await validate(good);
  const validBad = await validate({...good, status: 'deleted'});
  const account = await accounts.create(new Account({...good, plan: 'pro', roles: 'admin,viewer'}));
  const readAccount = await accounts.findById(account.getId());
  let serverError: object | undefined;
  try {
    await accounts.create({...good, email: 'bad@example.com', status: 'deleted'});
  } catch (err) {
    const e = err as {statusCode?: number; code?: string};
    serverError = {statusCode: e.statusCode, code: e.code};
  }

  const created = await rows.create({
    accountId: account.id,
    cTinyint: -128,
    cUtinyint: 255,
    cSmallint: -32768,
    cUsmallint: 65535,
    cMediumint: -8388608,
    cUmediumint: 16777215,
    cInt: -2147483648,
    cUint: 4294967295,
    cBigint: -9007199254740991,
    cUbigint: 9007199254740991,
    cDecimal: 1234.5678,
    cFloat: 1.5,
    cDouble: 3.141592653589793,
    cBit1: Buffer.from([1]),
    cBool: 1,
    cChar1: true,
    cChar: 'ABCDEFGH',
    cVarchar: 'hello 🎉',
    cTinytext: 'tiny',
    cText: 'text',
    cMediumtext: 'medium',
    cLongtext: 'long'.repeat(100),
    cEnum: 'high',
    cSet: 'red,blue',
    cDate: '2024-02-29T00:00:00.000Z',
    cDatetime: '2024-03-01T12:34:56.789Z',
    cTimestamp: '2024-03-02T01:02:03.456Z',
    cTime: '12:34:56',
    cYear: 2024,
    cTinyblob: Buffer.from('tiny'),
    cBlob: Buffer.from([0, 255, 10, 13, 39, 92]),
    cBinary: Buffer.from([1, 2, 3, 4]),
    cVarbinary: Buffer.from('bytes'),
    cJson: {a: 1, b: [true, null, 'x']},
  });
  const readEvery = await rows.findById(created.getId());
  await ds.disconnect();

  const every = Object.fromEntries(
    Object.entries(readEvery.toObject() as Record<string, unknown>).map(([k, v]) => [
      k,
      Buffer.isBuffer(v) ? {hex: v.toString('hex')} : v,
    ]),
  );
  // The CLI writes the type of an ENUM property as the String constructor: reported by name.
  const byName = (_key: string, value: unknown): unknown =>
    typeof value === 'function' ? value.name : value;
  console.log(
    JSON.stringify({
      connector: require.resolve('loopback-connector-mysql-ts'),
      connectorName: ds.connector?.name,
      definitions: {
        Account: Account.definition.properties,
        EveryType: EveryType.definition.properties,
      },
      validGood,
      validBad,
      account: readAccount.toJSON(),
      serverError,
      every,
    }, byName),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

interface Report {
  connector: string;
  connectorName: string;
  definitions: Record<string, Record<string, Record<string, unknown>>>;
  validGood: {valid: boolean};
  validBad: {
    valid: boolean;
    statusCode?: number;
    code?: string;
    details?: Record<string, unknown>[];
  };
  account: Record<string, unknown>;
  serverError?: {statusCode?: number; code?: string};
  every: Record<string, unknown>;
}

describe('lb4 discover through this connector (integration)', function () {
  this.timeout(120_000);

  let db: string;
  let app: string;
  let discoverOutput: string;
  let report: Report;
  const sources: Record<string, string> = {};

  before(async function () {
    this.timeout(15 * 60_000);
    const cacheDir = cliCacheDir();
    await ensureCli(cacheDir);
    const cli = path.join(cacheDir, 'node_modules/@loopback/cli');
    const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');

    db = await createDatabase('lb4discover');
    const settings = dataSourceSettings(db);
    {
      // A data source of the tests' own, only to run the fixture.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const {DataSource} = require('loopback-datasource-juggler');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ds = new DataSource(require('../../src'), settings);
      try {
        for (const statement of fixtureStatements()) await ds.connector.execute(statement, [], {});
      } finally {
        await ds.disconnect();
      }
    }

    app = fs.mkdtempSync(path.join(os.tmpdir(), 'lbts-lb4-app-'));
    const modules = path.join(REPO, 'node_modules');
    // The connector as npm would install it: the compiled package, its dependencies beside it.
    const connector = path.join(app, 'node_modules/loopback-connector-mysql-ts');
    const repoPackage = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      dependencies: Record<string, string>;
    };
    write(
      path.join(connector, 'package.json'),
      JSON.stringify({
        name: repoPackage.name,
        version: repoPackage.version,
        main: 'dist/index.js',
        types: 'dist/index.d.ts',
      }),
    );
    await exec(
      process.execPath,
      [tsc, '-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', path.join(connector, 'dist')],
      REPO,
      120_000,
    );
    for (const dependency of Object.keys(repoPackage.dependencies)) {
      link(app, dependency, path.join(modules, dependency));
    }
    for (const name of ['@loopback/core', '@loopback/repository', '@types/node']) {
      link(app, name, path.join(modules, name));
    }
    link(app, '@loopback/rest', path.join(cacheDir, 'node_modules/@loopback/rest'));

    const core = packageVersion(path.join(modules, '@loopback/core'));
    const repository = packageVersion(path.join(modules, '@loopback/repository'));
    write(
      path.join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'lbts-discover-app',
          version: '1.0.0',
          private: true,
          // The CLI checks these against its own template's ranges before it discovers anything.
          dependencies: {
            '@loopback/core': `^${core}`,
            '@loopback/repository': `^${repository}`,
            'loopback-connector-mysql-ts': `^${repoPackage.version}`,
          },
        },
        null,
        2,
      ),
    );
    write(
      path.join(app, '.yo-rc.json'),
      JSON.stringify({'@loopback/cli': {packageManager: 'npm', version: packageVersion(cli)}}),
    );
    // LoopBack 4's own compiler settings (@loopback/build's tsconfig.common.json): strict, but for
    // strictPropertyInitialization, which the generated models (required properties without initializers) need off.
    write(
      path.join(app, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            strict: true,
            strictPropertyInitialization: false,
            noImplicitReturns: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            skipLibCheck: true,
            lib: ['es2020'],
            module: 'commonjs',
            moduleResolution: 'node',
            esModuleInterop: true,
            target: 'es2018',
            types: ['node'],
            rootDir: 'src',
            outDir: 'dist',
          },
          include: ['src'],
        },
        null,
        2,
      ),
    );
    write(path.join(app, 'src/datasources/db.datasource.ts'), DATASOURCE);
    write(path.join(app, 'src/datasources/index.ts'), "export * from './db.datasource';\n");
    // The CLI loads data sources from dist/datasources/*.datasource.js: compile them first.
    await exec(process.execPath, [tsc, '-p', app], app, 120_000);

    // juggler (linked from this repository) resolves 'loopback-connector-mysql-ts' from its own folder; NODE_PATH
    // gives it the app's node_modules, where an installed juggler would have found the connector beside it.
    const env = childEnv({
      NODE_PATH: path.join(app, 'node_modules'),
      LBTS_DISCOVER_DB: JSON.stringify(settings),
    });
    const config = {dataSource: 'db', all: true, views: false};
    const discovered = await exec(
      process.execPath,
      [path.join(cli, 'bin/cli-main.js'), 'discover', '--config', JSON.stringify(config), '--yes'],
      app,
      180_000,
      env,
    );
    discoverOutput = discovered.stdout + discovered.stderr;
    for (const file of fs.readdirSync(path.join(app, 'src/models'))) {
      sources[file] = fs.readFileSync(path.join(app, 'src/models', file), 'utf8');
    }

    write(path.join(app, 'src/check.ts'), CHECK);
    await exec(process.execPath, [tsc, '-p', app], app, 120_000);
    const checked = await exec(
      process.execPath,
      [path.join(app, 'dist/check.js')],
      app,
      60_000,
      env,
    );
    report = JSON.parse(checked.stdout) as Report;
  });

  after(async function () {
    if (app && process.env.LBTS_KEEP_APP)
      console.log(`      lb4-discover: the app is kept in ${app}`);
    else if (app) fs.rmSync(app, {recursive: true, force: true});
    if (db) await dropDatabase(db);
  });

  it('writes one model per table, and an index', function () {
    assert.deepEqual(Object.keys(sources).sort(), [
      'account.model.ts',
      'every-type.model.ts',
      'index.ts',
    ]);
    assert.match(discoverOutput, /account\.model\.ts/);
    assert.match(sources['account.model.ts']!, /export class Account extends Entity/);
  });

  it('runs the app on this connector, resolved as "mysql-ts"', function () {
    assert.equal(
      report.connector,
      path.join(fs.realpathSync(app), 'node_modules/loopback-connector-mysql-ts/dist/index.js'),
    );
    assert.equal(report.connectorName, 'mysql');
  });

  it('gives ENUM properties their members as a JSON-schema enum, and SET properties a plain string', function () {
    const account = report.definitions.Account!;
    assert.deepEqual(account.status!.jsonSchema, {enum: ['active', 'suspended', 'closed']});
    assert.equal(account.status!.type, 'String');
    assert.deepEqual(account.plan!.jsonSchema, {enum: ['free', 'pro']});
    assert.deepEqual(report.definitions.EveryType!.cEnum!.jsonSchema, {
      enum: ['low', 'mid', 'high'],
    });
    assert.equal(account.roles!.type, 'string');
    assert.deepEqual(account.roles!.jsonSchema, {nullable: true});
    assert.match(sources['account.model.ts']!, /status: string;/);
  });

  it('rejects a bad ENUM value in validation with a 422, before the server sees it', function () {
    assert.deepEqual(report.validGood, {valid: true});
    assert.equal(report.validBad.valid, false);
    assert.equal(report.validBad.statusCode, 422);
    assert.equal(report.validBad.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      report.validBad.details?.map((d) => [
        d.path,
        d.code,
        (d.info as {allowedValues?: unknown})?.allowedValues,
      ]),
      [['/status', 'enum', ['active', 'suspended', 'closed']]],
    );
    // Straight through the repository, without that validation, the server refuses it (strict mode).
    assert.equal(report.serverError?.code, 'WARN_DATA_TRUNCATED');
  });

  it('gives every column kind the LoopBack type the CLI maps to TypeScript', function () {
    const props = report.definitions.EveryType!;
    const types = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.type]));
    assert.deepEqual(types, {
      id: 'number',
      accountId: 'number',
      cTinyint: 'number',
      cUtinyint: 'number',
      cSmallint: 'number',
      cUsmallint: 'number',
      cMediumint: 'number',
      cUmediumint: 'number',
      cInt: 'number',
      cUint: 'number',
      cBigint: 'number',
      cUbigint: 'number',
      cDecimal: 'number',
      cFloat: 'number',
      cDouble: 'number',
      cBit1: 'Buffer',
      cBool: 'number',
      cChar1: 'boolean',
      cChar: 'string',
      cVarchar: 'string',
      cTinytext: 'string',
      cText: 'string',
      cMediumtext: 'string',
      cLongtext: 'string',
      cEnum: 'String',
      cSet: 'string',
      cDate: 'date',
      cDatetime: 'date',
      cTimestamp: 'date',
      cTime: 'string',
      cYear: 'number',
      cTinyblob: 'Buffer',
      cBlob: 'Buffer',
      cBinary: 'Buffer',
      cVarbinary: 'Buffer',
      cJson: 'object',
      cDoubleDecimal: 'number',
    });
    const source = sources['every-type.model.ts']!;
    for (const line of [
      'cBlob?: Buffer;',
      'cJson?: object;',
      'cDate?: string;',
      'cDecimal: number;',
      'cEnum: string;',
    ]) {
      assert.ok(source.includes(line), `every-type.model.ts has ${line}`);
    }
  });

  it('keeps ids, generated columns, nullability, lengths, precisions and column names', function () {
    const props = report.definitions.EveryType!;
    assert.equal(props.id!.id, 1);
    assert.equal(props.id!.generated, true);
    assert.equal(props.id!.required, undefined);
    assert.equal(props.cDoubleDecimal!.generated, true);
    assert.equal(props.accountId!.required, true);
    assert.deepEqual(props.cInt!.jsonSchema, {nullable: true});
    assert.deepEqual(props.accountId!.jsonSchema, {nullable: false});
    assert.equal(props.cVarchar!.length, 255);
    assert.deepEqual([props.cDecimal!.precision, props.cDecimal!.scale], [12, 4]);
    assert.deepEqual([props.cUbigint!.precision, props.cUbigint!.scale], [20, 0]);
    assert.deepEqual(props.accountId!.mysql, {
      columnName: 'account_id',
      dataType: 'int',
      dataLength: null,
      dataPrecision: 10,
      dataScale: 0,
      nullable: 'N',
      generated: false,
    });
    assert.equal((props.cJson!.mysql as {dataType: string}).dataType, 'json');
  });

  it('creates and reads a row of every column type through a DefaultCrudRepository', function () {
    assert.equal(report.account.status, 'suspended');
    assert.equal(report.account.plan, 'pro');
    assert.equal(report.account.roles, 'admin,viewer');
    const every = report.every;
    assert.equal(every.accountId, report.account.id);
    assert.equal(every.cUbigint, 9007199254740991);
    assert.equal(every.cDecimal, 1234.5678);
    assert.equal(every.cDoubleDecimal, 2469.1356);
    assert.deepEqual(every.cBit1, {hex: '01'});
    assert.deepEqual(every.cBinary, {hex: '01020304'});
    assert.deepEqual(every.cBlob, {hex: '00ff0a0d275c'});
    assert.deepEqual(every.cVarbinary, {hex: Buffer.from('bytes').toString('hex')});
    assert.equal(every.cYear, 2024);
    assert.equal(every.cBigint, -9007199254740991);
    assert.equal(every.cChar1, true);
    assert.equal(every.cVarchar, 'hello 🎉');
    assert.equal(every.cEnum, 'high');
    assert.equal(every.cSet, 'red,blue');
    assert.equal(every.cDate, '2024-02-29T00:00:00.000Z');
    assert.equal(every.cDatetime, '2024-03-01T12:34:56.789Z');
    assert.equal(every.cTimestamp, '2024-03-02T01:02:03.456Z');
    assert.equal(every.cTime, '12:34:56');
    assert.deepEqual(every.cJson, {a: 1, b: [true, null, 'x']});
  });
});
