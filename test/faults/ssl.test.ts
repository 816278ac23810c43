/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * TLS against a private MariaDB server (never the shared one) started with a throw-away CA and a server certificate
 * made by `openssl` for 127.0.0.1 (IP SAN) and localhost. The tests log in as a user created `REQUIRE SSL`, so a
 * connection that works is a TLS one (and `Ssl_cipher` says so too); root keeps plain TCP for the helper's probe.
 *
 * Run: npx mocha --timeout 120000 test/faults/ssl.test.ts
 */
import assert from 'node:assert/strict';
import {TestCertificates} from '../helpers/certificates';
import {type PrivateServer, startPrivateServer} from '../helpers/private-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connector = require('../../src');

const DATABASE = 'lbts_ssl';
const TLS_USER = 'lbts_tls';
const TLS_PASSWORD = 'tls-secret';
/** Every connect attempt, good or bad, must settle within this. */
const SETTLE_MS = 10000;
const CONNECT_TIMEOUT_MS = 4000;

/** Rejects when `promise` has not settled within `ms`: a hang is a failure of its own. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A clear TLS verification failure, raised by the connector (not thrown from a socket): an Error with a string code
 * and a numeric statusCode whose message says the certificate is the problem. mysql2 replaces Node's TLS code
 * (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ...) with `HANDSHAKE_SSL_ERROR` and keeps
 * its message ("unable to verify the first certificate", "self-signed certificate").
 */
function assertCertificateError(err: unknown, what: string): void {
  assert.ok(err instanceof Error, `${what} failed with a non-Error: ${String(err)}`);
  const {code, statusCode} = err as Error & {code?: unknown; statusCode?: unknown};
  assert.equal(typeof code, 'string', `${what}: no string code: ${String(err)}`);
  assert.equal(typeof statusCode, 'number', `${what} (${String(code)}): no numeric statusCode`);
  assert.ok(
    /CERT|SSL|TLS/.test(String(code)),
    `${what}: the code does not name TLS: ${String(code)} ${err.message}`,
  );
  assert.match(err.message, /certificate/i, `${what}: the message does not name the certificate`);
}

describe('faults: TLS to a private server', function () {
  this.timeout(60000);
  let server: PrivateServer | undefined;
  let certs: TestCertificates | undefined;
  let caPem = '';
  let wrongCaPem = '';
  const dataSources: any[] = [];
  const dsErrors: unknown[] = [];

  before(async function () {
    this.timeout(90000);
    certs = new TestCertificates();
    const ca = certs.authority('ca');
    caPem = ca.cert;
    wrongCaPem = certs.authority('wrong-ca').cert;
    const serverCert = certs.issue('server', 'ca', ['IP:127.0.0.1', 'DNS:localhost']);

    // The certificates go into the server's own directory (inside its chroot, for MySQL 9.7 and MariaDB 11.8).
    server = await startPrivateServer({
      files: {
        'ca.pem': ca.cert,
        'server-cert.pem': serverCert.cert,
        'server-key.pem': serverCert.key,
      },
      options: (dir) => [
        `ssl-ca=${dir}/ca.pem`,
        `ssl-cert=${dir}/server-cert.pem`,
        `ssl-key=${dir}/server-key.pem`,
      ],
    });
    const [cert] = await server.query('SELECT @@ssl_cert AS c');
    assert.match(
      String(cert?.c),
      /server-cert\.pem$/,
      `TLS is not configured:\n${server.logTail()}`,
    );
    await server.query(`CREATE DATABASE ${DATABASE}`);
    await server.query(
      `CREATE USER '${TLS_USER}'@'127.0.0.1' IDENTIFIED BY '${TLS_PASSWORD}' REQUIRE SSL`,
    );
    await server.query(`GRANT ALL ON ${DATABASE}.* TO '${TLS_USER}'@'127.0.0.1'`);
  });

  after(async function () {
    this.timeout(60000);
    try {
      for (const ds of dataSources.splice(0)) {
        try {
          await within(ds.disconnect(), SETTLE_MS, 'disconnect');
        } catch {
          // keep cleaning up
        }
      }
    } finally {
      try {
        if (server) await server.destroy();
      } finally {
        certs?.remove();
      }
    }
  });

  /** A lazy data source for the TLS-only user: `connect()` (or the first call) connects. */
  function dataSource(settings: Record<string, unknown>): any {
    const srv = server as PrivateServer;
    const ds = new DataSource(connector, {
      host: srv.host,
      port: srv.port,
      user: TLS_USER,
      password: TLS_PASSWORD,
      database: DATABASE,
      connectTimeout: CONNECT_TIMEOUT_MS,
      lazyConnect: true,
      ...settings,
    });
    // A failed connect() is also emitted as 'error'; without a listener it would be thrown.
    ds.on('error', (err: unknown) => dsErrors.push(err));
    dataSources.push(ds);
    return ds;
  }

  /** The TLS cipher of one of the data source's connections ('' on a plain one). */
  async function cipherOf(ds: any): Promise<string> {
    const rows = await within<any>(
      ds.connector.execute("SHOW STATUS LIKE 'Ssl_cipher'"),
      SETTLE_MS,
      'SHOW STATUS',
    );
    return String(rows[0]?.Value ?? '');
  }

  async function assertTls(ds: any, what: string): Promise<void> {
    await within(ds.connect(), SETTLE_MS, `${what}: connect`);
    const cipher = await cipherOf(ds);
    assert.notEqual(cipher, '', `${what}: connected without TLS`);
    const [row] = await within<any>(
      ds.connector.execute('SELECT CURRENT_USER() AS u, DATABASE() AS d'),
      SETTLE_MS,
      `${what}: SELECT`,
    );
    assert.equal(row.u, `${TLS_USER}@127.0.0.1`);
    // MySQL 8+ logs a password user in with caching_sha2_password, the only password plugin MySQL 9 enables.
    const [{plugin}] = await (server as PrivateServer).query(
      `SELECT plugin FROM mysql.user WHERE user = '${TLS_USER}'`,
    );
    if (ds.connector.server.flavor === 'mysql') assert.equal(plugin, 'caching_sha2_password', what);
    assert.equal(row.d, DATABASE);
  }

  async function connectError(ds: any, what: string): Promise<unknown> {
    const started = Date.now();
    let caught: unknown;
    await within(
      ds.connect().then(
        () => assert.fail(`${what}: connected although it should not`),
        (err: unknown) => {
          caught = err;
        },
      ),
      SETTLE_MS,
      `${what}: connect`,
    );
    assert.ok(Date.now() - started < SETTLE_MS, `${what}: took ${Date.now() - started} ms to fail`);
    // The next call reconnects and fails the same way, without hanging either.
    await within(
      ds.connector.execute('SELECT 1').then(
        () => assert.fail(`${what}: a call connected although it should not`),
        (err: unknown) => assertCertificateError(err, `${what} (next call)`),
      ),
      SETTLE_MS,
      `${what}: next call`,
    );
    return caught;
  }

  it('the test user cannot log in without TLS (so a working connection is a TLS one)', async function () {
    const ds = dataSource({});
    const err: any = await within(
      ds.connect().then(
        () => assert.fail('connected without TLS'),
        (e: unknown) => e,
      ),
      SETTLE_MS,
      'plain connect',
    );
    assert.equal(err?.code, 'ER_ACCESS_DENIED_ERROR', String(err));
    assert.equal(err?.statusCode, 503);
  });

  it('ssl: {ca} verifies the server certificate and connects over TLS', async function () {
    const ds = dataSource({ssl: {ca: caPem}});
    await assertTls(ds, 'ssl {ca}');
  });

  it('ssl: {ca} with createDatabase creates the database over TLS', async function () {
    await (server as PrivateServer).query(
      `GRANT ALL ON lbts_ssl_created.* TO '${TLS_USER}'@'127.0.0.1'`,
    );
    const ds = dataSource({
      ssl: {ca: caPem},
      database: 'lbts_ssl_created',
      createDatabase: true,
    });
    await within(ds.connect(), SETTLE_MS, 'createDatabase connect');
    assert.notEqual(await cipherOf(ds), '');
    const rows = await (server as PrivateServer).query("SHOW DATABASES LIKE 'lbts_ssl_created'");
    assert.equal(rows.length, 1);
  });

  it('ssl: {ca: <wrong CA>} fails with a clear certificate error, without hanging', async function () {
    const ds = dataSource({ssl: {ca: wrongCaPem}});
    assertCertificateError(await connectError(ds, 'wrong CA'), 'wrong CA');
  });

  it('ssl: {rejectUnauthorized: false} connects over TLS without verification', async function () {
    const ds = dataSource({ssl: {rejectUnauthorized: false}});
    await assertTls(ds, 'rejectUnauthorized false');
  });

  it('url ?ssl=<JSON> connects over TLS, merged with the other settings', async function () {
    const srv = server as PrivateServer;
    const url =
      `mysql://${TLS_USER}:${encodeURIComponent(TLS_PASSWORD)}@127.0.0.1:${srv.port}/${DATABASE}` +
      `?ssl=${encodeURIComponent(JSON.stringify({ca: caPem}))}`;
    const ds = dataSource({
      url,
      host: 'wrong.invalid',
      port: 1,
      user: 'nobody',
      password: 'wrong',
      database: 'wrong',
      connectionLimit: 3,
    });
    await assertTls(ds, 'url ssl JSON');
    // connectionLimit still comes from the settings: 4 parallel sleeps share 3 connections, all of them TLS.
    const pool = ds.connector.client;
    assert.equal(pool?.config?.connectionLimit, 3);
    // MySQL 8+ keeps session status in performance_schema only; MariaDB in information_schema.
    const status =
      ds.connector.server.flavor === 'mysql'
        ? 'performance_schema.session_status'
        : 'information_schema.SESSION_STATUS';
    const ciphers = await within(
      Promise.all(
        [1, 2, 3, 4].map(() =>
          ds.connector.execute(
            `SELECT VARIABLE_VALUE AS c, CONNECTION_ID() AS id, SLEEP(0.2) AS s FROM ${status} WHERE VARIABLE_NAME = 'Ssl_cipher'`,
          ),
        ),
      ),
      SETTLE_MS,
      'parallel calls',
    );
    const ids = new Set(ciphers.map((rows: any) => Number(rows[0].id)));
    assert.equal(ids.size, 3);
    for (const rows of ciphers) assert.notEqual(String(rows[0].c ?? ''), '');
  });

  it('ssl: true (default verification) fails clearly against the self-signed CA', async function () {
    const ds = dataSource({ssl: true});
    assertCertificateError(await connectError(ds, 'ssl true'), 'ssl true');
  });

  it('url ?ssl=true fails clearly against the self-signed CA', async function () {
    const srv = server as PrivateServer;
    const ds = dataSource({
      url: `mysql://${TLS_USER}:${encodeURIComponent(TLS_PASSWORD)}@127.0.0.1:${srv.port}/${DATABASE}?ssl=true`,
    });
    assertCertificateError(await connectError(ds, 'url ssl=true'), 'url ssl=true');
  });

  it('a mysql2 profile name is accepted, and fails verification clearly against this server', async function () {
    const ds = dataSource({ssl: 'Amazon RDS'});
    assertCertificateError(await connectError(ds, 'Amazon RDS'), 'Amazon RDS');
  });

  it('a TLS verification failure is a 503, like the other connection failures', async function () {
    // Access denied, refused and reset connections are 503 (see src/mysql/errors.ts); a server whose certificate
    // does not verify makes the data source just as unavailable.
    for (const [what, ssl] of [
      ['wrong CA', {ca: wrongCaPem}],
      ['ssl true', true],
    ] as const) {
      const err: any = await within(
        dataSource({ssl})
          .connect()
          .then(
            () => assert.fail(`${what}: connected although it should not`),
            (e: unknown) => e,
          ),
        SETTLE_MS,
        `${what}: connect`,
      );
      assertCertificateError(err, what);
      assert.equal(err.statusCode, 503, `${what}: ${err.code}/${err.statusCode} ${err.message}`);
    }
  });

  it("does not modify the user's ssl object", async function () {
    const ssl = {ca: caPem, minVersion: 'TLSv1.2'};
    const before = structuredClone(ssl);
    const settings = {ssl};
    const ds = dataSource(settings);
    await assertTls(ds, 'unchanged ssl');
    assert.deepEqual(ssl, before);
    assert.equal(settings.ssl, ssl);
    assert.equal(Object.prototype.hasOwnProperty.call(ssl, 'rejectUnauthorized'), false);
  });
});
