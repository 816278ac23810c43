/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * A server that asks the client for a local file (the LOAD DATA LOCAL INFILE answer, a 0xFB packet with a path),
 * the classic way for a rogue or impersonated server to read files off an application host. The connector never
 * offers the capability unless the user configured a stream factory for it, never sends a byte of a file without
 * one, and with one, sends only the file its own LOAD DATA LOCAL INFILE statement names.
 *
 * Run: npx mocha test/hostile/local-infile.test.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CLIENT,
  FakeMySqlServer,
  defaultQueryHandler,
  type Responder,
} from '../helpers/fake-mysql-server';
import {ProcessWatch, assertClearError, fakeDataSource, settle} from './hostile';

const SECRET_CONTENT = 'TOP-SECRET-FILE-CONTENT-91c2';
const CSV_CONTENT = '1,alpha\n2,beta\n';

/** What the client sent back after the server asked for a file. */
interface FileAnswer {
  readonly path: string;
  readonly content: Buffer;
  readonly packets: number;
}

describe('hostile server: requests for local files (LOAD DATA LOCAL INFILE)', function () {
  let fake: FakeMySqlServer;
  let dir: string;
  let secretPath: string;
  let csvPath: string;
  const dataSources: any[] = [];
  const watch = new ProcessWatch();

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbts-infile-'));
    secretPath = path.join(dir, 'secret.txt');
    csvPath = path.join(dir, 'data.csv');
    fs.writeFileSync(secretPath, SECRET_CONTENT);
    fs.writeFileSync(csvPath, CSV_CONTENT);
    fake = await FakeMySqlServer.start();
    watch.start();
  });

  after(async function () {
    watch.stop();
    for (const ds of dataSources) await settle(ds.disconnect());
    await fake.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  afterEach(function () {
    fake.onQuery = defaultQueryHandler;
    watch.assertNone();
  });

  function dataSource(settings: Record<string, unknown> = {}): any {
    const ds = fakeDataSource(fake, settings);
    dataSources.push(ds);
    return ds;
  }

  /** From now on the server answers every statement by asking for `pathFor(sql)`; the answers land in the list. */
  function askForFiles(pathFor: (sql: string) => string): FileAnswer[] {
    const answers: FileAnswer[] = [];
    fake.onQuery = (sql: string, respond: Responder) => {
      if (/^SELECT VERSION\(\)/.test(sql)) return defaultQueryHandler(sql, respond);
      const wanted = pathFor(sql);
      respond.requestLocalFile(wanted, (content, packets) => {
        answers.push({path: wanted, content, packets: packets.length});
        respond.ok(content.length > 0 ? 2 : 0);
      });
    };
    return answers;
  }

  /** The login of the data source's last connection offered (or not) to send local files. */
  function offersLocalFiles(): boolean {
    const login = fake.connections.at(-1)?.login;
    assert.ok(login, 'no login reached the fake server');
    return (login.flags & CLIENT.LOCAL_FILES) !== 0;
  }

  function assertNothingSent(answers: FileAnswer[], what: string): void {
    assert.equal(answers.length, 1, `${what}: the server's request got no answer`);
    assert.equal(
      answers[0]?.content.length,
      0,
      `${what}: the client sent ${answers[0]?.content.length} bytes`,
    );
    assert.equal(answers[0]?.packets, 1, `${what}: the client sent more than the empty end packet`);
    for (const c of fake.connections) {
      assert.ok(!c.wire.includes(SECRET_CONTENT), `${what}: the secret file went over the wire`);
    }
  }

  it('by default the client does not offer LOCAL_FILES, and a server that asks anyway gets no byte of the file', async function () {
    const ds = dataSource();
    await ds.connect();
    assert.equal(offersLocalFiles(), false, 'the login offers LOCAL_FILES');
    const answers = askForFiles(() => secretPath);
    const result = await settle(ds.execute('SELECT 1 AS one'));
    assertClearError(result, 'a SELECT answered with a file request', {
      codes: ['LOCAL_INFILE_REFUSED'],
      statusCode: 502,
    });
    assertNothingSent(answers, 'default settings');
    // The data source goes on working with a server that behaves.
    fake.onQuery = defaultQueryHandler;
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
  });

  it('LOCAL_FILES in the flags does not turn the capability on without a stream factory', async function () {
    const ds = dataSource({flags: 'LOCAL_FILES', mysql2: {flags: ['LOCAL_FILES']}});
    await ds.connect();
    assert.equal(offersLocalFiles(), false, 'the login offers LOCAL_FILES');
    const answers = askForFiles((sql) => (sql.includes('INFILE') ? csvPath : secretPath));
    const result = await settle(ds.execute(`LOAD DATA LOCAL INFILE '${secretPath}' INTO TABLE t`));
    assertClearError(result, 'LOAD DATA without a stream factory', {
      codes: ['LOCAL_INFILE_REFUSED'],
    });
    assertNothingSent(answers, 'LOCAL_FILES flag, no factory');
  });

  describe('with a stream factory (mysql2.infileStreamFactory)', function () {
    /** The most trusting factory there is (mysql2's documentation example): it opens whatever path it is given. */
    const opened: string[] = [];
    const factory = (p: string) => {
      opened.push(p);
      return fs.createReadStream(p);
    };

    beforeEach(function () {
      opened.length = 0;
    });

    it('the file its LOAD DATA LOCAL INFILE statement names is sent: a literal, or a parameter', async function () {
      const ds = dataSource({mysql2: {infileStreamFactory: factory}});
      await ds.connect();
      assert.equal(offersLocalFiles(), true, 'with a factory, the login offers LOCAL_FILES');
      const answers = askForFiles((sql) => {
        const literal = /INFILE '((?:[^'\\]|\\.)*)'/.exec(sql)?.[1] ?? '';
        return literal.replace(/\\(.)/g, '$1');
      });
      const literal = await ds.execute(`LOAD DATA LOCAL INFILE '${csvPath}' INTO TABLE t`);
      assert.equal(literal.affectedRows, 2);
      const param = await ds.execute('LOAD DATA LOCAL INFILE ? INTO TABLE t', [csvPath]);
      assert.equal(param.affectedRows, 2);
      assert.deepEqual(
        answers.map((a) => [a.path, a.content.toString()]),
        [
          [csvPath, CSV_CONTENT],
          [csvPath, CSV_CONTENT],
        ],
      );
      assert.deepEqual(opened, [csvPath, csvPath]);
    });

    it('a server that asks for a file in answer to a SELECT gets nothing, and the factory is not called', async function () {
      const ds = dataSource({mysql2: {infileStreamFactory: factory}});
      const answers = askForFiles(() => secretPath);
      const result = await settle(ds.execute('SELECT 1 AS one'));
      assertClearError(result, 'a SELECT answered with a file request', {
        codes: ['LOCAL_INFILE_REFUSED'],
        statusCode: 502,
      });
      assert.match(result.err.message, /refused/);
      assertNothingSent(answers, 'a SELECT');
      assert.deepEqual(opened, []);
    });

    it('a server that asks for another file than the one the statement names gets nothing', async function () {
      const ds = dataSource({mysql2: {infileStreamFactory: factory}});
      const answers = askForFiles(() => secretPath);
      for (const [sql, params] of [
        [`LOAD DATA LOCAL INFILE '${csvPath}' INTO TABLE t`, []],
        ['LOAD DATA LOCAL INFILE ? INTO TABLE t', [csvPath]],
      ] as const) {
        const result = await settle(ds.execute(sql, params));
        assertClearError(result, `${sql}, the server asking for another file`, {
          codes: ['LOCAL_INFILE_REFUSED'],
        });
      }
      assert.equal(answers.length, 2);
      for (const a of answers) assert.equal(a.content.length, 0);
      assert.deepEqual(opened, []);
      fake.onQuery = defaultQueryHandler;
      assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
    });
  });
});
