import assert from 'node:assert/strict';
import {resolveSettings, type MySqlSettings} from '../../../src/mysql/settings';

const DEFAULT_POOL = {
  host: 'localhost',
  port: 3306,
  connectionLimit: 10,
  timezone: 'Z',
  supportBigNumbers: true,
  charset: 'UTF8MB4',
  flags: ['-FOUND_ROWS'],
};

describe('resolveSettings', () => {
  it('defaults', () => {
    const r = resolveSettings({});
    assert.deepEqual(r.pool, DEFAULT_POOL);
    assert.equal(r.database, undefined);
    assert.equal(r.createDatabase, false);
    assert.equal(r.lazyConnect, false);
    assert.equal(r.charset, 'utf8mb4');
    assert.equal(r.collation, undefined);
  });

  it('host, port, user, password and database', () => {
    const r = resolveSettings({
      host: 'db',
      port: '3307',
      user: 'app',
      password: 'pw',
      database: 'shop',
    });
    assert.deepEqual(r.pool, {
      ...DEFAULT_POOL,
      host: 'db',
      port: 3307,
      user: 'app',
      password: 'pw',
      database: 'shop',
    });
    assert.equal(r.database, 'shop');
  });

  describe('url', () => {
    it('is merged with the other settings: the url parts win, other settings are kept', () => {
      const r = resolveSettings({
        url: 'mysql://app:s%40cret@db.example:3308/shop',
        host: 'ignored',
        port: 1,
        user: 'ignored',
        password: 'ignored',
        database: 'ignored',
        connectionLimit: 20,
        timezone: 'local',
      });
      assert.deepEqual(r.pool, {
        ...DEFAULT_POOL,
        host: 'db.example',
        port: 3308,
        user: 'app',
        password: 's@cret',
        database: 'shop',
        connectionLimit: 20,
        timezone: 'local',
      });
      assert.equal(r.database, 'shop');
    });

    it('keeps settings the url leaves out', () => {
      const r = resolveSettings({url: 'mysql://db.example', port: 3310, user: 'u', database: 'd'});
      assert.equal(r.pool.host, 'db.example');
      assert.equal(r.pool.port, 3310);
      assert.equal(r.pool.user, 'u');
      assert.equal(r.pool.database, 'd');
    });

    it('types the query options', () => {
      const r = resolveSettings({
        url: 'mysql://h/d?connectionLimit=5&enableKeepAlive=true&supportBigNumbers=false&connectTimeout=2500',
        connectionLimit: 50,
      });
      assert.equal(r.pool.connectionLimit, 5);
      assert.equal(r.pool.enableKeepAlive, true);
      assert.equal(r.pool.supportBigNumbers, false);
      assert.equal(r.pool.connectTimeout, 2500);
    });

    it('ssl as JSON', () => {
      const ssl = encodeURIComponent(JSON.stringify({rejectUnauthorized: false, ca: 'PEM'}));
      const r = resolveSettings({url: `mysql://h/d?ssl=${ssl}`});
      assert.deepEqual(r.pool.ssl, {rejectUnauthorized: false, ca: 'PEM'});
    });

    it('ssl as a profile name', () => {
      assert.equal(resolveSettings({url: 'mysql://h/d?ssl=Amazon%20RDS'}).pool.ssl, 'Amazon RDS');
    });

    it('ssl=true and ssl=false', () => {
      assert.deepEqual(resolveSettings({url: 'mysql://h/d?ssl=true'}).pool.ssl, {});
      assert.equal(resolveSettings({url: 'mysql://h/d?ssl=false'}).pool.ssl, undefined);
    });

    it('createDatabase and lazyConnect from the query', () => {
      const r = resolveSettings({url: 'mysql://h/d?createDatabase=true&lazyConnect=1'});
      assert.equal(r.createDatabase, true);
      assert.equal(r.lazyConnect, true);
      assert.equal('createDatabase' in r.pool, false);
      assert.equal('lazyConnect' in r.pool, false);
    });

    it('invalid url is a TypeError that does not show the password', () => {
      for (const url of ['not a url', 'mysql://u:s3cret@[bad/d', 'http://u:s3cret@h/d']) {
        assert.throws(
          () => resolveSettings({url}),
          (err: unknown) => {
            assert.ok(err instanceof TypeError, `${url}: ${String(err)}`);
            assert.ok(!err.message.includes('s3cret'), err.message);
            return true;
          },
        );
      }
      assert.throws(() => resolveSettings({url: 'mysql://h/d?ssl=%7Bnot-json'}), TypeError);
    });
  });

  it('aliases hostname, username and db', () => {
    const r = resolveSettings({hostname: 'h', username: 'u', db: 'd'});
    assert.equal(r.pool.host, 'h');
    assert.equal(r.pool.user, 'u');
    assert.equal(r.pool.database, 'd');
    assert.equal(r.database, 'd');
  });

  it('the main names win over the aliases', () => {
    const r = resolveSettings({
      host: 'H',
      hostname: 'h',
      user: 'U',
      username: 'u',
      database: 'D',
      db: 'd',
    });
    assert.equal(r.pool.host, 'H');
    assert.equal(r.pool.user, 'U');
    assert.equal(r.pool.database, 'D');
  });

  it('collation wins over charset', () => {
    const r = resolveSettings({charset: 'latin1', collation: 'utf8mb4_unicode_ci'});
    assert.equal(r.pool.charset, 'UTF8MB4_UNICODE_CI');
    assert.equal(r.charset, 'utf8mb4');
    assert.equal(r.collation, 'utf8mb4_unicode_ci');
  });

  it('charset alone', () => {
    const r = resolveSettings({charset: 'utf8'});
    assert.equal(r.pool.charset, 'UTF8');
    assert.equal(r.charset, 'utf8');
    assert.equal(r.collation, undefined);
  });

  it('explicit timezone is honoured', () => {
    assert.equal(resolveSettings({timezone: '+05:30'}).pool.timezone, '+05:30');
    assert.equal(resolveSettings({timezone: 'local'}).pool.timezone, 'local');
  });

  it('never mutates its input; the pool gets a copy of the ssl object', () => {
    const ssl = {ca: 'PEM', rejectUnauthorized: true};
    const input: MySqlSettings = {
      url: 'mysql://app:pw@db/shop?connectionLimit=3',
      ssl,
      flags: ['COMPRESS'],
      dateStrings: ['DATE'],
      mysql2: {enableKeepAlive: true, namedPlaceholders: true, flags: ['-MULTI_STATEMENTS']},
      debug: true,
      lazyConnect: true,
    };
    const before = structuredClone(input);
    const r = resolveSettings(input);
    assert.deepEqual(input, before);
    // Resolving twice gives the same result.
    assert.deepEqual(resolveSettings(input), r);
    assert.deepEqual(r.pool.ssl, ssl);
    assert.notEqual(r.pool.ssl, ssl);
    (r.pool.ssl as Record<string, unknown>).ca = 'changed by mysql2';
    assert.equal(ssl.ca, 'PEM');
    assert.deepEqual(r.pool.flags, ['-FOUND_ROWS', 'COMPRESS', '-MULTI_STATEMENTS']);
    assert.deepEqual(input.flags, ['COMPRESS']);
  });

  it('LoopBack keys are not pool options', () => {
    const r = resolveSettings({
      lazyConnect: true,
      connector: 'mysql',
      name: 'db',
      allowExtendedOperators: true,
      debug: true,
      createDatabase: true,
      url: '',
    });
    assert.deepEqual(r.pool, DEFAULT_POOL);
    assert.equal(r.lazyConnect, true);
    assert.equal(r.createDatabase, true);
  });

  it('passes mysql2 options through', () => {
    const r = resolveSettings({mysql2: {enableKeepAlive: true, maxIdle: 2}});
    assert.deepEqual(r.pool, {...DEFAULT_POOL, enableKeepAlive: true, maxIdle: 2});
  });

  it('passes known top-level driver options through', () => {
    const r = resolveSettings({socketPath: '/run/mysqld.sock', queueLimit: 7, dateStrings: true});
    assert.equal(r.pool.socketPath, '/run/mysqld.sock');
    assert.equal(r.pool.queueLimit, 7);
    assert.equal(r.pool.dateStrings, true);
  });

  it('drops mysql2 options the connector controls', () => {
    const r = resolveSettings({
      mysql2: {
        namedPlaceholders: true,
        rowsAsArray: true,
        nestTables: true,
        typeCast: false,
        debug: true,
      },
    });
    assert.deepEqual(r.pool, DEFAULT_POOL);
  });

  it('debug: true is never forwarded', () => {
    assert.equal('debug' in resolveSettings({debug: true}).pool, false);
    assert.equal('debug' in resolveSettings({mysql2: {debug: true}}).pool, false);
    assert.equal('debug' in resolveSettings({url: 'mysql://h/d?debug=true'}).pool, false);
  });
});

describe('resolveSettings: replicas and nodes', () => {
  it('gives each replica the primary options with its own address and login', () => {
    const r = resolveSettings({
      host: 'primary',
      user: 'app',
      password: 'p',
      database: 'shop',
      connectionLimit: 7,
      replicas: [{host: 'replica1', port: 3307}, 'mysql://reader:rp@replica2:3308'],
    });
    assert.equal(r.replicas.length, 2);
    assert.equal(r.replicas[0]?.host, 'replica1');
    assert.equal(r.replicas[0]?.port, 3307);
    assert.equal(r.replicas[0]?.user, 'app');
    assert.equal(r.replicas[0]?.database, 'shop');
    assert.equal(r.replicas[0]?.connectionLimit, 7);
    assert.equal(r.replicas[1]?.host, 'replica2');
    assert.equal(r.replicas[1]?.user, 'reader');
    assert.equal(r.replicas[1]?.password, 'rp');
    assert.equal(r.replicaSelector, 'RR');
    assert.equal(r.nodes.length, 0);
  });

  it('reads the routing options with their defaults', () => {
    const r = resolveSettings({
      nodes: [{host: 'g1'}, {host: 'g2'}],
      replicaSelector: 'random' as 'RANDOM',
    });
    assert.equal(r.nodes.length, 2);
    assert.equal(r.nodeSelector, 'ORDER');
    assert.equal(r.replicaSelector, 'RANDOM');
    assert.equal(r.readYourWritesMs, 0);
    assert.equal(r.maxReplicaLag, undefined);
    assert.equal(r.lagCheckInterval, 1000);
    assert.equal(r.restoreNodeTimeout, 5000);
    const tuned = resolveSettings({
      maxReplicaLag: 5,
      readYourWritesMs: 200,
      restoreNodeTimeout: 100,
    });
    assert.equal(tuned.maxReplicaLag, 5);
    assert.equal(tuned.readYourWritesMs, 200);
    assert.equal(tuned.restoreNodeTimeout, 100);
  });

  it('copies a replica ssl object instead of handing it to mysql2', () => {
    const ssl = {ca: 'PEM'};
    const r = resolveSettings({replicas: [{host: 'r', ssl}]});
    assert.deepEqual(r.replicas[0]?.ssl, {ca: 'PEM'});
    assert.notEqual(r.replicas[0]?.ssl, ssl);
  });

  it('rejects replicas that are not a list', () => {
    assert.throws(() => resolveSettings({replicas: 'replica1' as unknown as string[]}), TypeError);
  });
});
