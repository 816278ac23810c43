/*
 * A user's first hour (issue #12): the demo never touches a database it did not create in this run, leaves none
 * behind when interrupted or failing, and the demo and the test command's pre-check answer every failure to use
 * the server with one line that names the cause and the next step. Both run here as child processes, as a user
 * starts them.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import path from 'node:path';
import mysql2 from 'mysql2';
import {admin, createDatabase, dropDatabase, serverConfig} from '../helpers/mysql-config';
import {freePort} from '../helpers/processes';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const DEMO = 'demo/demo.ts';
const PRE_CHECK = 'test/helpers/require-server.ts';
/** A child that has not exited by then is killed, and the test fails. */
const CHILD_TIMEOUT_MS = 30000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Child {
  pid: number;
  /** Resolves with the first stdout line that matches, or rejects when the child exits first. */
  line(pattern: RegExp): Promise<string>;
  /** Closes the reading end of its stdout, as `| head -1` does. */
  closeStdout(): void;
  done: Promise<Outcome>;
}

/**
 * Starts `tsx file` in its own process group (as a terminal runs a command), with `env` over this process's
 * environment; MYSQL_* settings of the test run do not leak into it.
 */
function start(file: string, env: Record<string, string>): Child {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(MYSQL_|LBTS_DEMO_)/.test(k)),
  );
  const child = spawn(TSX, [file], {cwd: ROOT, env: {...base, ...env}, detached: true});
  let stdout = '';
  let stderr = '';
  const waiting: {pattern: RegExp; resolve: (line: string) => void}[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiting]) {
      const line = stdout.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), CHILD_TIMEOUT_MS);
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code, signal, stdout, stderr});
    });
  });
  return {
    pid: child.pid!,
    done,
    closeStdout: () => child.stdout.destroy(),
    line: (pattern) =>
      new Promise((resolve, reject) => {
        waiting.push({pattern, resolve});
        void done.then((o) =>
          reject(
            new Error(
              `exited (${o.code ?? o.signal}) before printing ${pattern}:\n${o.stdout}${o.stderr}`,
            ),
          ),
        );
      }),
  };
}

function run(file: string, env: Record<string, string>): Promise<Outcome> {
  return start(file, env).done;
}

/** MYSQL_URL of the server the tests use, with `database` and other credentials if given. */
function url(
  parts: {user?: string; password?: string; port?: number; host?: string} = {},
  database = '',
) {
  const config = serverConfig();
  const user = encodeURIComponent(parts.user ?? config.user);
  const password = parts.password ?? config.password;
  const login = password ? `${user}:${encodeURIComponent(password)}` : user;
  return `mysql://${login}@${parts.host ?? config.host}:${parts.port ?? config.port}/${database}`;
}

/** The database the demo says it works in. */
function demoDatabase(stdout: string): string {
  const match = /working in database (lbts_demo_[0-9a-f]{8})\b/.exec(stdout);
  assert.ok(match?.[1], `the demo named no database of its own:\n${stdout}`);
  return match[1];
}

async function databaseExists(name: string): Promise<boolean> {
  const [rows] = (await admin(
    `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mysql2.escape(name)}`,
  )) as [unknown[]];
  return rows.length > 0;
}

/** All of the output, which must be one line, a reason and a next step, without a stack trace. */
function oneLine(o: Outcome): string {
  const text = (o.stdout + o.stderr).trim();
  assert.equal(text.split('\n').length, 1, `expected one line, got:\n${text}`);
  assert.ok(!text.includes('    at '), `a stack trace:\n${text}`);
  return text;
}

describe('first hour (integration)', function () {
  this.timeout(60000);

  describe('demo: only ever drops what it created', function () {
    let keep: string;

    before(async function () {
      keep = await createDatabase('first_hour_keep');
      await admin(`CREATE TABLE \`${keep}\`.precious (id INT PRIMARY KEY, note VARCHAR(20))`);
      await admin(`INSERT INTO \`${keep}\`.precious VALUES (1, 'keep me')`);
    });

    after(async function () {
      if (keep) await dropDatabase(keep);
    });

    it('leaves a database named in MYSQL_URL and its rows untouched', async function () {
      const o = await run(DEMO, {MYSQL_URL: url({}, keep)});
      const [rows] = (await admin(`SELECT id, note FROM \`${keep}\`.precious`)) as [unknown[]];
      assert.deepEqual(
        rows.map((r) => ({...(r as object)})),
        [{id: 1, note: 'keep me'}],
      );
      const [tables] = (await admin(`SHOW TABLES FROM \`${keep}\``)) as [object[]];
      assert.deepEqual(
        tables.map((t) => Object.values(t)[0]),
        ['precious'],
      );
      assert.equal(o.code, 0, o.stdout + o.stderr);
      assert.match(o.stdout, new RegExp(`names the database ${keep}: the demo leaves it alone`));
      assert.notEqual(demoDatabase(o.stdout), keep);
    });

    it('runs through, exits 0 and leaves no database behind', async function () {
      const o = await run(DEMO, {MYSQL_URL: url()});
      assert.equal(o.code, 0, o.stdout + o.stderr);
      assert.equal(o.stderr, '');
      const db = demoDatabase(o.stdout);
      assert.match(o.stdout, new RegExp(`Dropped database ${db}\\.\\nDone\\.\\n$`));
      assert.equal(await databaseExists(db), false);
    });

    for (const {signal, group, code} of [
      {signal: 'SIGINT', group: true, code: 130}, // Ctrl-C: the terminal signals the whole process group
      {signal: 'SIGTERM', group: false, code: 143}, // kill <pid> of the tsx process only
    ] as const) {
      it(`drops its database when ${signal} stops it inside a transaction, exiting ${code}`, async function () {
        const child = start(DEMO, {MYSQL_URL: url(), LBTS_DEMO_STOP: 'pause'});
        const first = await child.line(/working in database lbts_demo_/);
        await child.line(/LBTS_DEMO_STOP=pause: waiting inside an open transaction/);
        const db = demoDatabase(first);
        assert.equal(await databaseExists(db), true, 'the paused demo has its database');
        process.kill(group ? -child.pid : child.pid, signal);
        const o = await child.done;
        assert.equal(o.code, code, o.stdout + o.stderr);
        assert.match(o.stderr, new RegExp(`Interrupted \\(${signal}\\)`));
        assert.ok(!o.stderr.includes('    at '), o.stderr);
        assert.match(o.stdout, new RegExp(`Dropped database ${db}\\.`));
        assert.equal(await databaseExists(db), false);
      });
    }

    it('drops its database when its output closes early (npm run demo | head -1)', async function () {
      const child = start(DEMO, {MYSQL_URL: url()});
      const db = demoDatabase(await child.line(/working in database lbts_demo_/));
      child.closeStdout();
      const o = await child.done;
      assert.equal(o.code, 0, o.stderr);
      assert.equal(await databaseExists(db), false);
    });

    it('drops its database when it fails midway, and says so in one line on stderr', async function () {
      const o = await run(DEMO, {MYSQL_URL: url(), LBTS_DEMO_STOP: 'throw'});
      assert.equal(o.code, 1, o.stdout + o.stderr);
      const db = demoDatabase(o.stdout);
      assert.equal(await databaseExists(db), false);
      assert.equal(
        o.stderr,
        'The demo failed midway: LBTS_DEMO_STOP=throw: failing inside an open transaction\n',
      );
    });
  });

  /** (d) to (f), for the demo and for the test command's pre-check. */
  for (const {file, command} of [
    {file: DEMO, command: 'npm run demo'},
    {file: PRE_CHECK, command: 'npm test'},
  ]) {
    describe(`${file}: one line for each failure to use the server`, function () {
      const user = `lbts_fh_${process.pid}`;
      const rightPassword = `right-Pw-${process.pid}`;
      const hosts = ['%', 'localhost'];

      before(async function () {
        for (const host of hosts) {
          await admin(`DROP USER IF EXISTS '${user}'@'${host}'`);
          await admin(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${rightPassword}'`);
        }
      });

      after(async function () {
        for (const host of hosts) await admin(`DROP USER IF EXISTS '${user}'@'${host}'`);
      });

      it('refused credentials: says so and how to pass them, not how to start a server', async function () {
        const wrongPassword = `wrong-Pw-${process.pid}`;
        const o = await run(file, {MYSQL_URL: url({user, password: wrongPassword})});
        assert.equal(o.code, 1);
        const line = oneLine(o);
        assert.match(line, /refused the credentials of user "lbts_fh_\d+"/);
        assert.match(line, new RegExp(`MYSQL_URL=mysql://user:password@[^ ]+ ${command}`));
        assert.doesNotMatch(line, /docker/i);
        assert.ok(!line.includes(wrongPassword) && !line.includes(rightPassword), line);
      });

      it('the same user with the right password gets past the login', async function () {
        // The control for the test above: the user exists and only the password was wrong.
        const o = await run(file, {MYSQL_URL: url({user, password: rightPassword})});
        const text = o.stdout + o.stderr;
        assert.doesNotMatch(text, /refused the credentials/);
        if (file === DEMO) {
          // It may not create a database: the demo says that it needs a user who may.
          assert.equal(o.code, 1);
          assert.match(oneLine(o), /needs a user that may create and drop a database/);
        } else {
          assert.equal(o.code, 0, text);
          assert.equal(text, '');
        }
      });

      it('MYSQL_URL="not a url": one line with the expected form, no stack trace', async function () {
        const o = await run(file, {MYSQL_URL: 'not a url'});
        assert.equal(o.code, 1);
        assert.equal(
          oneLine(o),
          'MYSQL_URL is not a valid URL: expected mysql://user:password@host:port, ' +
            'e.g. MYSQL_URL=mysql://root@127.0.0.1:3306',
        );
      });

      it('a port nobody listens on: one line with how to start a server', async function () {
        const port = await freePort();
        const o = await run(file, {MYSQL_URL: url({port})});
        assert.equal(o.code, 1);
        const line = oneLine(o);
        assert.match(line, new RegExp(`^Nothing listens on [^ ]+:${port} \\(ECONNREFUSED\\)`));
        assert.match(line, /docker compose up -d/);
        assert.match(line, new RegExp(`MYSQL_URL=mysql://user:password@[^ ]+:${port} ${command}$`));
      });

      it('an unknown host: one line naming the host to check', async function () {
        const o = await run(file, {
          MYSQL_URL: 'mysql://root:secret-pw@lbts-no-such-host.invalid:3306',
        });
        assert.equal(o.code, 1);
        const line = oneLine(o);
        // A resolver that does not answer within the connect timeout makes it ETIMEDOUT instead.
        assert.match(line, /lbts-no-such-host\.invalid.*\((ENOTFOUND|EAI_AGAIN|ETIMEDOUT)\)/);
        assert.doesNotMatch(line, /secret-pw/);
      });
    });
  }
});
