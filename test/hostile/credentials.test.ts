/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * The password and the TLS private key never show up in what the connector produces: errors (message, stack,
 * util.inspect, JSON), `util.inspect` and `JSON.stringify` of the connector and of a transaction, and the debug
 * output with DEBUG=* (a child process, so that every namespace of every library is on). The connector adds nothing
 * to the data source's settings and never changes the user's settings object.
 *
 * Not the connector's to hide: juggler keeps the settings object it was given (`dataSource.settings`), so
 * `JSON.stringify(dataSource.settings)` and `util.inspect(dataSource)` show the password the user put there, and
 * with DEBUG=loopback:datasource (or *) juggler prints those settings itself. See README, "Debugging".
 *
 * Run: npx mocha test/hostile/credentials.test.ts
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import path from 'node:path';
import {inspect} from 'node:util';
import {TestCertificates, type KeyPair} from '../helpers/certificates';
import {FakeMySqlServer, defaultQueryHandler} from '../helpers/fake-mysql-server';
import {APP_PASSWORD, APP_USER, connector, fakeDataSource, settle} from './hostile';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

describe('credentials: never in errors, logs, inspect or JSON', function () {
  this.timeout(30000);
  const certs = new TestCertificates();
  let ca: KeyPair;
  let client: KeyPair;
  let fake: FakeMySqlServer;
  let refusing: FakeMySqlServer;
  const dataSources: any[] = [];

  before(async function () {
    ca = certs.authority('ca');
    const server = certs.issue('server', 'ca', ['IP:127.0.0.1', 'DNS:localhost']);
    client = certs.issue('client', 'ca', [], 'client');
    fake = await FakeMySqlServer.start({
      tls: server,
      onQuery: (sql, respond) =>
        /FROM fails/.test(sql)
          ? respond.error(1146, '42S02', "Table 'lbts_fake.fails' doesn't exist")
          : defaultQueryHandler(sql, respond),
    });
    refusing = await FakeMySqlServer.start({
      // As MySQL does: the ERR, then the connection closed.
      onLogin: (login, respond) => {
        respond.error(
          1045,
          '28000',
          `Access denied for user '${login.user}'@'127.0.0.1' (using password: YES)`,
        );
        respond.close();
      },
    });
  });

  after(async function () {
    for (const ds of dataSources) await settle(ds.disconnect());
    await fake.close();
    await refusing.close();
    certs.remove();
  });

  /** Pieces of the secrets that must not appear anywhere: the password, and a line from inside the private key. */
  function secrets(): string[] {
    const keyLines = client.key.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----'));
    return [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), keyLines[2] as string];
  }

  function assertNoSecret(text: string, what: string): void {
    for (const secret of secrets()) {
      assert.ok(!text.includes(secret), `${what} shows a secret (${secret.slice(0, 8)}...)`);
    }
  }

  function settings(): Record<string, unknown> {
    return {
      host: fake.host,
      port: fake.port,
      user: APP_USER,
      password: APP_PASSWORD,
      database: 'lbts_fake',
      ssl: {ca: ca.cert, key: client.key, cert: client.cert},
      connectTimeout: 2000,
      queryTimeout: 1000,
      lazyConnect: true,
    };
  }

  it('util.inspect and JSON.stringify of the connector and of a transaction: no password, no TLS key', async function () {
    const ds = new DataSource(connector, settings());
    dataSources.push(ds);
    const show = (what: string) => {
      assertNoSecret(inspect(ds.connector, {depth: 20}), `util.inspect(connector) ${what}`);
      assertNoSecret(JSON.stringify(ds.connector), `JSON.stringify(connector) ${what}`);
    };
    show('before connecting');
    await ds.connect();
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
    assert.ok(fake.connections.at(-1)?.secure, 'not over TLS');
    show('connected');
    const Item = ds.define('Item', {name: String}, {mysql: {table: 'item'}});
    const tx = await Item.beginTransaction({});
    assertNoSecret(inspect(tx, {depth: 20}), 'util.inspect(transaction)');
    assertNoSecret(inspect(tx.connection, {depth: 20}), 'util.inspect(transaction.connection)');
    await tx.commit();
    // What it does show: where it connects.
    assert.deepEqual(JSON.parse(JSON.stringify(ds.connector)), {
      name: 'mysql',
      host: fake.host,
      port: fake.port,
      user: APP_USER,
      database: 'lbts_fake',
      connectionLimit: 10,
      connected: true,
      server: 'mysql 8.0.99',
    });
  });

  it("the connector adds nothing to the data source's settings, and changes nothing in the user's object", async function () {
    const mine = settings();
    const before = structuredClone(mine);
    const ds = new DataSource(connector, mine);
    dataSources.push(ds);
    const atStart = structuredClone({...ds.settings, connector: undefined});
    await ds.connect();
    await ds.execute('SELECT 1 AS one');
    assert.deepEqual(mine, before, "the user's settings object changed");
    assert.deepEqual(
      {...ds.settings, connector: undefined},
      atStart,
      'the data source settings changed',
    );
    // Whatever keys the data source has beyond the user's, juggler adds them for any connector.
    const memory = new DataSource('memory', settings());
    const added = (s: Record<string, unknown>) =>
      Object.keys(s)
        .filter((k) => !(k in mine))
        .sort();
    assert.deepEqual(added(ds.settings), added(memory.settings));
  });

  it('errors: a refused login, a url with a password that fails, a failing statement', async function () {
    const errors: [string, unknown][] = [];
    const refused = fakeDataSource(refusing);
    dataSources.push(refused);
    errors.push(['refused login', (await settle(refused.connect())).err]);
    const unreachable = new DataSource(connector, {
      url: `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:1/db`,
      connectTimeout: 1000,
      lazyConnect: true,
    });
    unreachable.on('error', () => undefined);
    dataSources.push(unreachable);
    errors.push(['unreachable url', (await settle(unreachable.connect())).err]);
    const ds = new DataSource(connector, settings());
    dataSources.push(ds);
    errors.push(['failing statement', (await settle(ds.execute('SELECT * FROM fails'))).err]);
    const badTls = new DataSource(connector, {
      ...settings(),
      ssl: {...(settings().ssl as object), ca: client.cert},
    });
    badTls.on('error', () => undefined);
    dataSources.push(badTls);
    errors.push(['TLS failure', (await settle(badTls.connect())).err]);
    for (const [what, err] of errors) {
      assert.ok(err instanceof Error, `${what}: no error`);
      const e = err as Error & {statusCode?: unknown};
      assert.equal(typeof e.statusCode, 'number', `${what}: ${e.message}`);
      assertNoSecret(`${e.message}\n${e.stack}`, `${what}: message or stack`);
      assertNoSecret(inspect(err, {depth: 20, showHidden: true}), `${what}: util.inspect`);
      assertNoSecret(JSON.stringify(err), `${what}: JSON`);
    }
  });

  it('DEBUG=*: nothing the connector logs, and nothing mysql2 prints, shows the password or the TLS key', async function () {
    const script = path.join(__dirname, 'fixtures', 'debug-everything.ts');
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script], {
      env: {
        ...process.env,
        DEBUG: '*',
        DEBUG_COLORS: 'no',
        FAKE_PORT: String(fake.port),
        FAKE_REFUSING_PORT: String(refusing.port),
        FAKE_USER: APP_USER,
        FAKE_PASSWORD: APP_PASSWORD,
        FAKE_CA: ca.cert,
        FAKE_CLIENT_KEY: client.key,
        FAKE_CLIENT_CERT: client.cert,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, `the script failed:\n${output.slice(-3000)}`);
    assert.match(output, /^done$/m, 'the script did not finish');
    const lines = output.split('\n');
    // The connector's debug output is on, and went through statements, transactions and the pool.
    assert.ok(
      lines.some((l) => /loopback:connector:mysql .*SELECT 1 AS one/.test(l)),
      `no statement was logged:\n${output.slice(0, 2000)}`,
    );
    assert.ok(
      lines.some((l) => /loopback:connector:mysql:transaction/.test(l)),
      'no transaction was logged',
    );
    // mysql2 never dumped packets (the handshake carries the password hash).
    assert.ok(!/Sending handshake packet| raw: /.test(output), 'mysql2 dumped packets');
    // The only lines with a secret are juggler's own print of the settings it was given.
    const leaking = lines.filter((l) => secrets().some((s) => l.includes(s)));
    const notJuggler = leaking.filter((l) => !/\bloopback:datasource\b/.test(l));
    assert.deepEqual(
      notJuggler.map((l) => l.slice(0, 160)),
      [],
      'lines outside juggler show a secret',
    );
  });
});
