/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * TLS against servers that should not be trusted: one that does not offer TLS (a downgrade, by a man in the middle
 * or a misconfiguration), one whose certificate comes from another CA, one whose certificate comes from the right CA
 * but names another server. With `ssl` set, each is refused before any credential leaves the client: the fake
 * server records every byte, and no login packet (user name, password hash) ever reaches it.
 *
 * Run: npx mocha test/hostile/tls.test.ts
 */
import assert from 'node:assert/strict';
import {TestCertificates, type KeyPair} from '../helpers/certificates';
import {FakeMySqlServer, type ConnectionRecord} from '../helpers/fake-mysql-server';
import {
  APP_PASSWORD,
  APP_USER,
  ProcessWatch,
  assertClearError,
  fakeDataSource,
  settle,
} from './hostile';

describe('hostile server: TLS required, no downgrade, no wrong certificate', function () {
  this.timeout(30000);
  const certs = new TestCertificates();
  let ca: KeyPair;
  let good: KeyPair;
  let otherName: KeyPair;
  let otherCa: KeyPair;
  let ipOnly: KeyPair;
  let localhostOnly: KeyPair;
  const servers: FakeMySqlServer[] = [];
  const dataSources: any[] = [];
  const watch = new ProcessWatch();

  before(function () {
    ca = certs.authority('ca');
    certs.authority('other-ca');
    good = certs.issue('server', 'ca', ['IP:127.0.0.1', 'DNS:localhost']);
    otherName = certs.issue('other-name', 'ca', ['DNS:db.other.test']);
    otherCa = certs.issue('other-ca-server', 'other-ca', ['IP:127.0.0.1', 'DNS:localhost']);
    ipOnly = certs.issue('ip-only', 'ca', ['IP:127.0.0.1']);
    localhostOnly = certs.issue('localhost-only', 'ca', ['DNS:localhost']);
    watch.start();
  });

  after(async function () {
    watch.stop();
    for (const ds of dataSources) await settle(ds.disconnect());
    for (const s of servers) await s.close();
    certs.remove();
  });

  afterEach(function () {
    watch.assertNone();
  });

  async function server(tls?: KeyPair): Promise<FakeMySqlServer> {
    const s = await FakeMySqlServer.start(tls ? {tls} : {});
    servers.push(s);
    return s;
  }

  function dataSource(fake: FakeMySqlServer, settings: Record<string, unknown>): any {
    const ds = fakeDataSource(fake, settings);
    dataSources.push(ds);
    return ds;
  }

  /** No login of the client reached the server, and neither the user name nor the password is in its bytes. */
  function assertNoCredentials(connections: readonly ConnectionRecord[], what: string): void {
    assert.ok(connections.length > 0, `${what}: the client never connected`);
    for (const c of connections) {
      assert.equal(c.login, undefined, `${what}: the server received a login (${c.login?.user})`);
      assert.ok(!c.wire.includes(APP_USER), `${what}: the user name went over the wire`);
      assert.ok(!c.wire.includes(APP_PASSWORD), `${what}: the password went over the wire`);
    }
  }

  /** connect() fails clearly, and so does the next call, each time before any credential is sent. */
  async function assertRefused(
    fake: FakeMySqlServer,
    settings: Record<string, unknown>,
    codes: readonly string[],
    what: string,
  ): Promise<void> {
    const ds = dataSource(fake, settings);
    assertClearError(await settle(ds.connect()), what, {codes, statusCode: 503, withinMs: 5000});
    assertClearError(await settle(ds.execute('SELECT 1 AS one')), `${what} (next call)`, {
      codes,
      statusCode: 503,
      withinMs: 5000,
    });
    assertNoCredentials(fake.connections, what);
  }

  it('a server that does not offer TLS is refused before the login: no downgrade to plain text', async function () {
    const fake = await server();
    for (const [what, ssl] of [
      ['ssl: {ca}', {ca: ca.cert}],
      ['ssl: true', true],
      ['ssl: {rejectUnauthorized: false}', {rejectUnauthorized: false}],
    ] as const) {
      await assertRefused(fake, {ssl}, ['HANDSHAKE_NO_SSL_SUPPORT'], what);
    }
    await assertRefused(
      fake,
      {url: `mysql://${APP_USER}:${APP_PASSWORD}@${fake.host}:${fake.port}/db?ssl=true`},
      ['HANDSHAKE_NO_SSL_SUPPORT'],
      'url ?ssl=true',
    );
    // Nothing was even asked for: the client stops at the greeting.
    for (const c of fake.connections) assert.equal(c.sslRequested, false);
  });

  it('a certificate of another CA is refused before the login', async function () {
    const fake = await server(otherCa);
    await assertRefused(
      fake,
      {ssl: {ca: ca.cert}},
      ['HANDSHAKE_SSL_ERROR'],
      'certificate of another CA',
    );
    for (const c of fake.connections) assert.equal(c.sslRequested, true);
  });

  it('a certificate of the right CA for another server name is refused before the login', async function () {
    const fake = await server(otherName);
    await assertRefused(fake, {ssl: {ca: ca.cert}}, ['HANDSHAKE_SSL_ERROR'], 'another name, by IP');
    await assertRefused(
      fake,
      {host: 'localhost', ssl: {ca: ca.cert}},
      ['HANDSHAKE_SSL_ERROR'],
      'another name, by host name',
    );
  });

  it('the right certificate: connected, and the login travels inside TLS only', async function () {
    const fake = await server(good);
    const ds = dataSource(fake, {ssl: {ca: ca.cert}});
    await ds.connect();
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
    const [c] = fake.connections;
    assert.ok(c?.secure, 'not a TLS connection');
    assert.equal(c.login?.user, APP_USER);
    assert.ok(!c.wire.includes(APP_USER), 'the user name is readable on the wire');
    assert.ok(!c.wire.includes(c.login.authResponse), 'the password hash is readable on the wire');
  });

  it('by IP address, the address is what the certificate must name (not "localhost")', async function () {
    // mysql2 alone checks an IP host against "localhost": see src/mysql/driver/tls.ts.
    const byAddress = await server(ipOnly);
    const ds = dataSource(byAddress, {ssl: {ca: ca.cert}});
    await ds.connect();
    assert.equal(byAddress.connections.at(-1)?.login?.user, APP_USER);
    const forLocalhost = await server(localhostOnly);
    await assertRefused(
      forLocalhost,
      {ssl: {ca: ca.cert}},
      ['HANDSHAKE_SSL_ERROR'],
      'a certificate for localhost, by IP',
    );
    const connected = dataSource(forLocalhost, {host: 'localhost', ssl: {ca: ca.cert}});
    await connected.connect();
  });

  it('verifyIdentity: false opts out of the name check (the CA is still checked)', async function () {
    const fake = await server(otherName);
    const ds = dataSource(fake, {ssl: {ca: ca.cert, verifyIdentity: false}});
    await ds.connect();
    assert.equal(fake.connections.at(-1)?.login?.user, APP_USER);
    const strange = await server(otherCa);
    await assertRefused(
      strange,
      {ssl: {ca: ca.cert, verifyIdentity: false}},
      ['HANDSHAKE_SSL_ERROR'],
      'another CA, without the name check',
    );
  });
});
