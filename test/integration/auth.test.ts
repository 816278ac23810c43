/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * Password logins as the server does them by default, over plain TCP: caching_sha2_password on MySQL 8+ (the only
 * password plugin MySQL 9 enables), mysql_native_password or ed25519 on MariaDB. On MySQL, a caching_sha2 login over
 * plain TCP takes the full path (the password goes RSA-encrypted with the server's public key) while the server's
 * cache is empty, and the fast path (a scramble) once it has the user: both are exercised. Logins over TLS are in
 * test/faults/ssl.test.ts, on a private server with its own CA.
 */
import assert from 'node:assert/strict';
import util from 'node:util';
import * as connector from '../../src';
import {rejection} from '../helpers/assertions';
import {admin, createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const PASSWORD = 'pw-Ünïcode-9#x';

describe('password logins over plain TCP (integration)', function () {
  let db: string;
  const user = `lbts_auth_${process.pid}`;
  const dataSources: any[] = [];

  function dataSource(password: string): any {
    const ds = new DataSource(
      connector,
      dataSourceSettings(db, {user, password, createDatabase: false, lazyConnect: true}),
    );
    ds.on('error', () => undefined);
    dataSources.push(ds);
    return ds;
  }

  before(async function () {
    db = await createDatabase('auth');
    await admin(`DROP USER IF EXISTS '${user}'@'%'`);
    // The server's default authentication plugin: no IDENTIFIED WITH.
    await admin(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await admin(`GRANT ALL ON \`${db}\`.* TO '${user}'@'%'`);
  });

  after(async function () {
    for (const ds of dataSources) await ds.disconnect();
    await admin(`DROP USER IF EXISTS '${user}'@'%'`);
    if (db) await dropDatabase(db);
  });

  it("logs in with the server's default password plugin, on an empty cache and on a warm one", async function () {
    const [[{plugin}]] = (await admin(
      `SELECT plugin FROM mysql.user WHERE user = '${user}'`,
    )) as any;
    // The full path: the server has never seen this user (and FLUSH PRIVILEGES empties the caching_sha2 cache).
    await admin('FLUSH PRIVILEGES');
    const first = dataSource(PASSWORD);
    await first.connect();
    const [{me}] = await first.execute('SELECT CURRENT_USER() AS me');
    assert.equal(me, `${user}@%`);
    if (first.connector.server.flavor === 'mysql') {
      assert.equal(plugin, 'caching_sha2_password');
    } else {
      assert.match(String(plugin), /^(mysql_native_password|ed25519|)$/);
    }
    // The fast path: a second connection of the same user, the server's cache now warm.
    const second = dataSource(PASSWORD);
    const [{n}] = await second.execute('SELECT 1 + 1 AS n');
    assert.equal(Number(n), 2);
  });

  it('a wrong password is a clear 503 that never shows a password', async function () {
    const ds = dataSource('not-the-password');
    const err = await rejection(ds.connect());
    assert.equal(err.statusCode, 503);
    assert.match(err.code, /ACCESS_DENIED/);
    for (const text of [err.message, util.inspect(err)]) {
      assert.doesNotMatch(text, /not-the-password/);
      assert.doesNotMatch(text, new RegExp(PASSWORD.replace(/[#]/g, '\\$&')));
    }
  });
});
