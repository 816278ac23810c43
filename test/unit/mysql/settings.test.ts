import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {DataSource} from 'loopback-datasource-juggler';
import * as api from '../../../src';
import {startCapture} from '../../helpers/output';
import {MySQL} from '../../../src/mysql/mysql-connector';
import {
  findUnknownSettings,
  resolveSettings,
  unknownSettingMessage,
  warnUnknownSettings,
  type MySqlSettings,
} from '../../../src/mysql/settings';

const DEFAULT_POOL = {
  host: 'localhost',
  port: 3306,
  connectionLimit: 10,
  timezone: 'Z',
  supportBigNumbers: true,
  maxPreparedStatements: 128,
  charset: 'UTF8MB4',
  flags: ['-FOUND_ROWS', '-LOCAL_FILES'],
};

describe('resolveSettings', () => {
  it('preparedStatements: off unless true; maxPreparedStatements bounds the per-connection cache', () => {
    assert.equal(resolveSettings({}).preparedStatements, false);
    assert.equal(resolveSettings({preparedStatements: true}).preparedStatements, true);
    assert.equal(
      resolveSettings({url: 'mysql://h/db?preparedStatements=true'}).preparedStatements,
      true,
    );
    assert.equal(resolveSettings({maxPreparedStatements: 7}).pool.maxPreparedStatements, 7);
    assert.equal(resolveSettings({}).pool.maxPreparedStatements, 128);
  });

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
      assert.deepEqual(resolveSettings({url: 'mysql://h/d?ssl=true'}).pool.ssl, {
        verifyIdentity: true,
      });
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
    assert.deepEqual(r.pool.ssl, {...ssl, verifyIdentity: true});
    assert.notEqual(r.pool.ssl, ssl);
    (r.pool.ssl as Record<string, unknown>).ca = 'changed by mysql2';
    assert.equal(ssl.ca, 'PEM');
    assert.deepEqual(r.pool.flags, [
      '-FOUND_ROWS',
      'COMPRESS',
      '-MULTI_STATEMENTS',
      '-LOCAL_FILES',
    ]);
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

  it('LOAD DATA LOCAL INFILE: the LOCAL_FILES capability only with a stream factory', () => {
    assert.deepEqual(resolveSettings({}).pool.flags, ['-FOUND_ROWS', '-LOCAL_FILES']);
    // Asking for the flag is not enough: without a factory there is nothing to send.
    for (const flags of ['LOCAL_FILES', ['LOCAL_FILES']]) {
      assert.ok(
        (resolveSettings({flags}).pool.flags as string[]).includes('-LOCAL_FILES'),
        JSON.stringify(flags),
      );
      assert.ok(
        (resolveSettings({mysql2: {flags: [flags].flat()}}).pool.flags as string[]).includes(
          '-LOCAL_FILES',
        ),
      );
    }
    const infileStreamFactory = () => Readable.from(['a,b\n']);
    const r = resolveSettings({mysql2: {infileStreamFactory}});
    assert.deepEqual(r.pool.flags, ['-FOUND_ROWS']);
    assert.equal(r.pool.infileStreamFactory, infileStreamFactory);
    // With a factory, -LOCAL_FILES still turns it off.
    assert.deepEqual(
      resolveSettings({flags: '-LOCAL_FILES', mysql2: {infileStreamFactory}}).pool.flags,
      ['-FOUND_ROWS', '-LOCAL_FILES'],
    );
  });

  it('ssl: the certificate name is checked whenever the certificate is', () => {
    assert.deepEqual(resolveSettings({ssl: true}).pool.ssl, {verifyIdentity: true});
    assert.deepEqual(resolveSettings({ssl: {ca: 'PEM'}}).pool.ssl, {
      ca: 'PEM',
      verifyIdentity: true,
    });
    // Opting out, or not verifying at all, is the user's to say.
    assert.deepEqual(resolveSettings({ssl: {ca: 'PEM', verifyIdentity: false}}).pool.ssl, {
      ca: 'PEM',
      verifyIdentity: false,
    });
    assert.deepEqual(resolveSettings({ssl: {rejectUnauthorized: false}}).pool.ssl, {
      rejectUnauthorized: false,
    });
    assert.equal(resolveSettings({ssl: 'Amazon RDS'}).pool.ssl, 'Amazon RDS');
    assert.equal(resolveSettings({ssl: false}).pool.ssl, undefined);
    assert.deepEqual(resolveSettings({nodes: [{host: 'n', ssl: true}]}).nodes[0]?.ssl, {
      verifyIdentity: true,
    });
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
    assert.deepEqual(r.replicas[0]?.ssl, {ca: 'PEM', verifyIdentity: true});
    assert.notEqual(r.replicas[0]?.ssl, ssl);
  });

  it('rejects replicas that are not a list', () => {
    assert.throws(() => resolveSettings({replicas: 'replica1' as unknown as string[]}), TypeError);
  });
});

describe('unknown settings', () => {
  /** What `work` prints (test/helpers/output.ts): warnings as `[CODE] message`. */
  function warningsOf(work: () => void): string[] {
    const capture = startCapture();
    try {
      work();
    } finally {
      capture.stop();
    }
    return capture.lines;
  }

  /** Each test uses its own names: the warning comes once per name per process. */
  let run = 0;
  beforeEach(() => void run++);

  it('names a misspelt setting and the setting it misspells', () => {
    const settings = {
      conectionLimit: 5,
      hots: 'db',
      Password: 'pw',
      aquireTimeout: 10,
    } as MySqlSettings;
    assert.deepEqual(findUnknownSettings(settings), [
      {key: 'conectionLimit', suggestion: 'connectionLimit', inUrl: false},
      {key: 'hots', suggestion: 'host', inUrl: false},
      {key: 'Password', suggestion: 'password', inUrl: false},
      {key: 'aquireTimeout', suggestion: 'acquireTimeout', inUrl: false},
    ]);
    assert.equal(
      unknownSettingMessage({key: 'conectionLimit', suggestion: 'connectionLimit', inUrl: false}),
      'Setting "conectionLimit" is unknown to loopback-connector-mysql-ts and is ignored. ' +
        'Did you mean "connectionLimit"?',
    );
  });

  it('suggests nothing when no known setting is close; mysql2 options belong under "mysql2"', () => {
    const settings = {multipleStatements: true, sslmodes: 'x', hst: 'h'} as MySqlSettings;
    assert.deepEqual(
      findUnknownSettings(settings).map((u) => [u.key, u.suggestion]),
      [
        ['multipleStatements', undefined],
        ['sslmodes', undefined],
        ['hst', 'host'],
      ],
    );
    assert.equal(
      unknownSettingMessage({key: 'multipleStatements', suggestion: undefined, inUrl: false}),
      'Setting "multipleStatements" is unknown to loopback-connector-mysql-ts and is ignored. ' +
        'Other mysql2 options go under "mysql2".',
    );
  });

  it("knows every setting of the connector, mysql2's top-level ones and juggler's", () => {
    const settings: Required<MySqlSettings> = {
      url: 'mysql://h/d?connectionLimit=2&ssl=true&lazyConnect=1&maxIdle=1',
      host: 'h',
      hostname: 'h',
      port: 1,
      socketPath: '/s',
      user: 'u',
      username: 'u',
      password: 'p',
      database: 'd',
      db: 'd',
      connectionLimit: 1,
      queueLimit: 1,
      connectTimeout: 1,
      charset: 'utf8mb4',
      collation: 'utf8mb4_bin',
      timezone: 'Z',
      ssl: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      flags: 'COMPRESS',
      createDatabase: true,
      lazyConnect: true,
      acquireTimeout: 1,
      queryTimeout: 1,
      deadlockRetries: 1,
      preparedStatements: true,
      replicas: [],
      nodes: [],
      replicaSelector: 'RR',
      nodeSelector: 'RR',
      cluster: 'galera',
      groupRefreshInterval: 1,
      readYourWritesMs: 1,
      maxReplicaLag: 1,
      lagCheckInterval: 1,
      restoreNodeTimeout: 1,
      treatTINYINT1AsTinyInt: true,
      treatCHAR1AsString: true,
      treatBIT1AsBit: true,
      debug: false,
      mysql2: {},
      decimalNumbers: true,
      jsonStrings: true,
      waitForConnections: true,
      maxIdle: 1,
      idleTimeout: 1,
      enableKeepAlive: true,
      keepAliveInitialDelay: 1,
      localAddress: '127.0.0.1',
      insecureAuth: false,
      authPlugins: {},
      maxPreparedStatements: 1,
      connectAttributes: {},
      compress: false,
      resetOnRelease: true,
      name: 'db',
      connector: 'mysql-ts',
      adapter: 'mysql-ts',
      catchFailure: true,
      connectionTimeout: 1,
      maxOfflineRequests: 1,
      inqLimit: 1,
      allowExtendedOperators: true,
      maxDepthOfQuery: 1,
      maxDepthOfData: 1,
      normalizeUndefinedInQuery: 'ignore',
      prohibitHiddenPropertiesInQuery: true,
    };
    assert.deepEqual(findUnknownSettings(settings), []);
  });

  it('reads the query of url too', () => {
    assert.deepEqual(
      findUnknownSettings({url: 'mysql://h/d?conectTimeout=5&connectTimeout=5&x=1&x=2'}),
      [
        {key: 'conectTimeout', suggestion: 'connectTimeout', inUrl: true},
        {key: 'x', suggestion: undefined, inUrl: true},
      ],
    );
    assert.match(
      unknownSettingMessage({key: 'conectTimeout', suggestion: 'connectTimeout', inUrl: true}),
      /^Setting "conectTimeout" \(in the query of "url"\) is unknown/,
    );
    // A url that does not parse is resolveSettings' to report.
    assert.deepEqual(findUnknownSettings({url: 'not a url'}), []);
  });

  it('skips keys whose value is undefined: they are not set', () => {
    assert.deepEqual(findUnknownSettings({sslMode: undefined} as MySqlSettings), []);
  });

  it('warns once per name per process, through process.emitWarning', () => {
    const typo = `conectionLimit${run}`;
    const first = warningsOf(() => warnUnknownSettings({[typo]: 5, host: 'h'}));
    assert.deepEqual(first, [
      `[LB_MYSQL_UNKNOWN_SETTING] Setting "${typo}" is unknown to loopback-connector-mysql-ts and is ignored. ` +
        'Did you mean "connectionLimit"?',
    ]);
    const again = warningsOf(() => warnUnknownSettings({[typo]: 6}));
    assert.deepEqual(again, []);
  });

  it('the connector warns when it is created', () => {
    const typo = `sizeOfPool${run}`;
    assert.deepEqual(
      warningsOf(() => new MySQL({[typo]: 1})),
      [
        `[LB_MYSQL_UNKNOWN_SETTING] Setting "${typo}" is unknown to loopback-connector-mysql-ts and is ignored. ` +
          'Other mysql2 options go under "mysql2".',
      ],
    );
  });

  it('a juggler data source on the connector warns about nothing juggler puts in its settings', () => {
    const warnings = warningsOf(() => {
      const ds = new DataSource({
        name: 'quiet',
        connector: api,
        lazyConnect: true,
        maxOfflineRequests: 4,
        connectionTimeout: 1000,
        allowExtendedOperators: true,
        url: 'mysql://u@127.0.0.1:1/d',
      });
      assert.equal(ds.connected, false);
    });
    assert.deepEqual(warnings, []);
  });

  it('the type rejects unknown settings', () => {
    const settings: MySqlSettings = {
      connectionLimit: 5,
      // @ts-expect-error -- a misspelt setting does not compile
      conectionLimit: 5,
    };
    assert.equal(settings.connectionLimit, 5);
  });
});
