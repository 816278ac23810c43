/*
 * The published package, as a LoopBack 3 app gets it: `npm pack` (which runs the `prepack` build), install the
 * tarball and loopback-datasource-juggler in a fresh app folder, then `"connector": "mysql-ts"` must resolve
 * loopback-connector-mysql-ts from that app, connect, migrate, write and read.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {dropDatabase, serverConfig} from '../helpers/mysql-config';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const WINDOWS = process.platform === 'win32';

/** Environment for the child processes, without what an outer `npm run` sets about this repository. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$|config_prefix$)/i.test(key)) continue;
    env[key] = value;
  }
  return {...env, ...extra};
}

async function npm(args: string[], cwd: string, timeout: number): Promise<string> {
  try {
    const {stdout} = await run('npm', args, {
      cwd,
      env: childEnv(),
      timeout,
      maxBuffer: 16 * 1024 * 1024,
      shell: WINDOWS,
    });
    return stdout;
  } catch (err) {
    const e = err as {stdout?: string; stderr?: string; message: string};
    throw new Error(
      `npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout}\n${e.stderr}`,
      {
        cause: err,
      },
    );
  }
}

/** What the app runs: plain LoopBack 3 style JavaScript, resolving everything from its own folder. */
const APP_SCRIPT = `
const {DataSource} = require('loopback-datasource-juggler');
const settings = JSON.parse(process.env.LBTS_SETTINGS);
const ds = new DataSource({name: 'db', connector: 'mysql-ts', ...settings});
const Note = ds.define('Note', {
  id: {type: Number, id: true, generated: true},
  title: {type: String, required: true},
  done: Boolean,
});
(async () => {
  await ds.automigrate();
  await Note.create({title: 'packed', done: false});
  await Note.createAll([{title: 'installed', done: true}, {title: 'resolved', done: false}]);
  const notes = await Note.find({where: {done: false}, order: 'id ASC', fields: ['id', 'title']});
  const connectorPath = require.resolve('loopback-connector-mysql-ts');
  const mysql2Path = require.resolve('mysql2', {paths: [connectorPath]});
  console.log(JSON.stringify({
    connector: ds.connector.name,
    connected: ds.connected,
    connectorPath,
    mysql2Path,
    titles: notes.map((n) => n.title),
    count: await Note.count(),
  }));
  await ds.disconnect();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

describe('packed package resolved as "mysql-ts" by a LoopBack 3 app (integration)', function () {
  this.timeout(60000);

  const database = `lbts_lb3pkg_${process.pid}`;
  let tmp: string;
  let app: string;
  let tarball: string;
  let entries: string[];

  before(async function () {
    this.timeout(120000);
    await dropDatabase(database); // also fails early, saying how to start a server, when there is none
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lbts-pack-'));

    await npm(['pack', '--pack-destination', tmp, '--loglevel', 'error'], REPO, 90000);
    const packed = fs.readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    assert.equal(packed.length, 1, `one tarball in ${tmp}: ${packed.join(', ')}`);
    tarball = path.join(tmp, packed[0]!);
    const {stdout} = await run('tar', ['tzf', tarball]);
    entries = stdout.split('\n').filter((line) => line && !line.endsWith('/'));

    app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({name: 'lbts-lb3-app', version: '1.0.0', private: true}, null, 2),
    );
    const juggler = (
      JSON.parse(
        fs.readFileSync(
          path.join(REPO, 'node_modules/loopback-datasource-juggler/package.json'),
          'utf8',
        ),
      ) as {version: string}
    ).version;
    await npm(
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel',
        'error',
        '--prefix',
        app,
        tarball,
        `loopback-datasource-juggler@${juggler}`,
      ],
      app,
      100000,
    );
  });

  after(async function () {
    if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
    await dropDatabase(database);
  });

  it('packs only dist/, README.md, LICENSE, CHANGELOG.md and package.json', function () {
    const unexpected = entries.filter(
      (e) => !/^package\/(dist\/.+|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(e),
    );
    assert.deepEqual(unexpected, []);
    for (const required of [
      'package/package.json',
      'package/README.md',
      'package/LICENSE',
      'package/CHANGELOG.md',
      'package/dist/index.js',
      'package/dist/index.d.ts',
    ]) {
      assert.ok(entries.includes(required), `${required} is packed`);
    }
    assert.ok(!entries.some((e) => e.endsWith('.ts') && !e.endsWith('.d.ts')), 'no TS sources');
    assert.ok(!entries.some((e) => /\.(test|spec)\./.test(e)), 'no tests');
  });

  it('points main, types and exports at packed files', function () {
    const pkg = JSON.parse(
      fs.readFileSync(
        path.join(app, 'node_modules/loopback-connector-mysql-ts/package.json'),
        'utf8',
      ),
    ) as {main: string; types: string; exports: Record<string, unknown>};
    const targets = [pkg.main, pkg.types, ...JSON.stringify(pkg.exports).match(/\.\/[^"]+/g)!];
    for (const target of targets) {
      assert.ok(entries.includes(path.posix.join('package', target)), `${target} is packed`);
    }
  });

  it('has no source maps pointing to sources that are not packed', function () {
    const root = path.join(app, 'node_modules/loopback-connector-mysql-ts');
    for (const entry of entries.filter((e) => e.endsWith('.map'))) {
      const file = path.join(root, entry.slice('package/'.length));
      const map = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        sources?: string[];
        sourceRoot?: string;
        sourcesContent?: unknown[];
      };
      (map.sources ?? []).forEach((source, i) => {
        if (map.sourcesContent?.[i] != null) return; // inlined, nothing to find
        const target = path.resolve(path.dirname(file), map.sourceRoot ?? '', source);
        assert.ok(fs.existsSync(target), `${entry} points to ${source}, which is not packed`);
      });
    }
    const mapComments = entries
      .filter((e) => e.endsWith('.js') || e.endsWith('.d.ts'))
      .filter((e) => {
        const text = fs.readFileSync(path.join(root, e.slice('package/'.length)), 'utf8');
        const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
        return (
          ref &&
          !ref.startsWith('data:') &&
          !entries.includes(path.posix.join(path.posix.dirname(e), ref))
        );
      });
    assert.deepEqual(mapComments, [], 'sourceMappingURL comments to maps that are not packed');
  });

  it('connects, migrates, writes and reads through "connector": "mysql-ts"', async function () {
    const {host, port, user, password} = serverConfig();
    const settings = {host, port, user, password, database, createDatabase: true};
    let out: {stdout: string; stderr: string};
    try {
      out = await run(process.execPath, ['-e', APP_SCRIPT], {
        cwd: app,
        env: childEnv({LBTS_SETTINGS: JSON.stringify(settings), NODE_PATH: ''}),
        timeout: 30000,
      });
    } catch (err) {
      const e = err as {code?: unknown; stdout?: string; stderr?: string};
      assert.fail(`the app exited with ${String(e.code)}:\n${e.stdout}\n${e.stderr}`);
    }
    const result = JSON.parse(out.stdout.trim().split('\n').pop()!) as {
      connector: string;
      connected: boolean;
      connectorPath: string;
      mysql2Path: string;
      titles: string[];
      count: number;
    };
    const installed = fs.realpathSync(path.join(app, 'node_modules')) + path.sep;
    assert.ok(
      fs.realpathSync(result.connectorPath).startsWith(installed),
      `connector resolved from the app: ${result.connectorPath}`,
    );
    assert.ok(
      fs.realpathSync(result.mysql2Path).startsWith(installed),
      `mysql2 installed as a dependency of the package: ${result.mysql2Path}`,
    );
    assert.equal(result.connector, 'mysql');
    assert.equal(result.connected, true);
    assert.deepEqual(result.titles, ['packed', 'resolved']);
    assert.equal(result.count, 3);
  });
});
