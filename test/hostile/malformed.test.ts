/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * A server that breaks the protocol: packets out of turn, a result set without its EOF, a column definition that is
 * garbage, a packet cut short, a greeting that is not MySQL's, a result that never ends, a connection closed in the
 * middle of a result, and results that are merely huge. Each call settles (within queryTimeout when the server goes
 * silent) with a clear error or the right answer, the process does not crash, and the pool is not poisoned: the next
 * call on the same data source gets a correct answer from a server that behaves again.
 *
 * Run: npx mocha test/hostile/malformed.test.ts
 */
import assert from 'node:assert/strict';
import {
  FakeMySqlServer,
  TYPE,
  defaultQueryHandler,
  type QueryHandler,
} from '../helpers/fake-mysql-server';
import {
  ProcessWatch,
  QUERY_TIMEOUT_MS,
  assertClearError,
  fakeDataSource,
  settle,
  sleep,
  type Settled,
} from './hostile';

/** Slack on top of queryTimeout: the timer, the KILL QUERY attempt, the event loop. */
const MARGIN_MS = 700;

/** The default answers, and `handler` for statements that select from `bad`. */
function hostileFor(handler: QueryHandler): QueryHandler {
  return (sql, respond) =>
    /FROM bad/.test(sql) ? handler(sql, respond) : defaultQueryHandler(sql, respond);
}

describe('hostile server: malformed, endless and huge answers', function () {
  this.timeout(30000);
  let fake: FakeMySqlServer;
  let ds: any;
  const watch = new ProcessWatch();

  before(async function () {
    fake = await FakeMySqlServer.start();
    watch.start();
  });

  after(async function () {
    watch.stop();
    await fake.close();
  });

  beforeEach(async function () {
    fake.onQuery = defaultQueryHandler;
    ds = fakeDataSource(fake);
    await ds.connect();
  });

  afterEach(async function () {
    const closed = await settle(ds.disconnect());
    assert.ok(closed.ok, `disconnect: ${closed.err?.message}`);
    watch.assertNone();
  });

  /** Runs `SELECT * FROM bad` against `handler`, then checks that the data source still works with a good server. */
  async function against(handler: QueryHandler): Promise<Settled> {
    fake.onQuery = hostileFor(handler);
    const result = await settle(ds.execute('SELECT * FROM bad'));
    // Whatever the server sent late reaches the client now, on an idle pooled connection.
    await sleep(100);
    fake.onQuery = defaultQueryHandler;
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}], 'the next call went wrong');
    }
    const pool = ds.connector.client;
    assert.ok(
      pool._allConnections.length <= 2,
      `${pool._allConnections.length} pooled connections`,
    );
    watch.assertNone();
    return result;
  }

  it('packets after the answer, on an idle connection: no crash, and that connection leaves the pool', async function () {
    const result = await against((_, respond) => {
      respond.resultSet(['a'], [['1']]);
      // Out of turn, twice: mysql2's pool listens for one such error only.
      respond.resultSet(['b'], [['2']]);
      respond.ok();
    });
    assert.ok(result.ok, `the answer itself was fine: ${result.err?.message}`);
    assert.deepEqual(result.value, [{a: '1'}]);
  });

  it('a result set without the EOF after its column definitions: 502 at once', async function () {
    const result = await against((_, respond) => {
      respond.columnCount(1);
      respond.columnDefinition('a');
      respond.row(['1']);
      respond.eof();
    });
    assertClearError(result, 'no EOF after the columns', {
      codes: ['PROTOCOL_ERROR'],
      statusCode: 502,
      withinMs: MARGIN_MS,
    });
  });

  it('a column definition that is garbage: 502 at once', async function () {
    const result = await against((_, respond) => {
      respond.columnCount(1);
      respond.packet(Buffer.from([1, 2, 3]));
      respond.eof();
      respond.row(['1']);
      respond.eof();
    });
    assertClearError(result, 'a garbage column definition', {
      codes: ['PROTOCOL_ERROR'],
      statusCode: 502,
      withinMs: MARGIN_MS,
    });
  });

  it('an answer cut short (a header promising more than ever comes): 504 within queryTimeout', async function () {
    const result = await against((_, respond) => {
      respond.raw(Buffer.from([0x40, 0, 0, 1, 0x01]));
    });
    assertClearError(result, 'a packet cut short', {
      codes: ['QUERY_TIMEOUT'],
      statusCode: 504,
      withinMs: QUERY_TIMEOUT_MS + MARGIN_MS,
    });
  });

  it('a result that never ends: 504 within queryTimeout', async function () {
    const result = await against((_, respond) => {
      respond.columnCount(1);
      respond.columnDefinition('a');
      respond.eof();
      const timer = setInterval(() => {
        for (let i = 0; i < 100; i++) respond.row(['x'.repeat(1000)]);
      }, 5);
      setTimeout(() => clearInterval(timer), QUERY_TIMEOUT_MS * 3);
    });
    assertClearError(result, 'an endless result', {
      codes: ['QUERY_TIMEOUT'],
      statusCode: 504,
      withinMs: QUERY_TIMEOUT_MS + MARGIN_MS,
    });
  });

  it('the connection closed in the middle of a result: 503 at once', async function () {
    const result = await against((_, respond) => {
      respond.columnCount(2);
      respond.columnDefinition('a');
      respond.close();
    });
    assertClearError(result, 'closed mid-result', {
      codes: ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET'],
      statusCode: 503,
      withinMs: MARGIN_MS,
    });
  });

  it('an ERR packet that no statement asked for, on an idle connection: no crash', async function () {
    const result = await against((_, respond) => {
      respond.ok();
      // As a server does when it kills an idle connection.
      setTimeout(() => respond.error(1927, '70100', 'Connection was killed'), 20);
      setTimeout(() => respond.error(1927, '70100', 'Connection was killed'), 40);
    });
    assert.ok(result.ok, `the answer itself was fine: ${result.err?.message}`);
  });

  it('rows with more or fewer values than announced columns: 502 PROTOCOL_ERROR at once, the pool recovers', async function () {
    // mysql2 3.24 reads a row without checking it against its packet's length; the connector checks (one comparison
    // per row, mysql2-internals.ts), and the connection, with the rest of that answer still on the wire, is dropped.
    for (const values of [['1', '2', '3'], ['1'], ['1', '2', '3', '4', '5', '6', '7', '8']]) {
      for (const rows of [1, 3]) {
        const result = await against((_, respond) => {
          respond.columnCount(2);
          respond.columnDefinition('a');
          respond.columnDefinition('b');
          respond.eof();
          for (let i = 0; i < rows; i++) respond.row(values);
          respond.eof();
        });
        const what = `${rows} row(s) of ${values.length} values for 2 columns`;
        assertClearError(result, what, {
          codes: ['PROTOCOL_ERROR'],
          statusCode: 502,
          withinMs: MARGIN_MS,
        });
        assert.match(result.err.message, /2 announced columns/, what);
      }
    }
  });

  it('rows that fill their packets exactly still read right (the check rejects nothing valid)', async function () {
    fake.onQuery = hostileFor((_, respond) => {
      respond.columnCount(2);
      respond.columnDefinition('a');
      respond.columnDefinition('b');
      respond.eof();
      respond.row(['1', '']);
      respond.row(['', 'x'.repeat(300)]);
      respond.eof();
    });
    assert.deepEqual(await ds.execute('SELECT * FROM bad'), [
      {a: '1', b: ''},
      {a: '', b: 'x'.repeat(300)},
    ]);
  });

  it('huge results arrive whole: 100,000 rows, and a 20 MB value split over two protocol packets', async function () {
    const rows = Array.from({length: 100000}, (_, i) => [String(i), `row ${i}`]);
    fake.onQuery = hostileFor((_, respond) =>
      respond.resultSet([{name: 'id', type: TYPE.LONG}, 'label'], rows),
    );
    const many = await settle(ds.execute('SELECT * FROM bad', [], {timeout: 15000}), 20000);
    assert.ok(many.ok, `100,000 rows: ${many.err?.message}`);
    assert.equal(many.value.length, 100000);
    assert.deepEqual(many.value[99999], {id: 99999, label: 'row 99999'});

    const big = 'y'.repeat(20 * 1024 * 1024);
    fake.onQuery = hostileFor((_, respond) => {
      respond.columnCount(1);
      respond.columnDefinition('v');
      respond.eof();
      // A row of more than 16 MB - 1 bytes: the protocol sends it as a full packet and the rest.
      const payload = Buffer.concat([Buffer.from([0xfe]), Buffer.alloc(8), Buffer.from(big)]);
      payload.writeBigUInt64LE(BigInt(big.length), 1);
      const max = 0xffffff;
      respond.packet(payload.subarray(0, max));
      respond.packet(payload.subarray(max));
      respond.eof();
    });
    const huge = await settle(ds.execute('SELECT * FROM bad', [], {timeout: 15000}), 20000);
    assert.ok(huge.ok, `a 20 MB value: ${huge.err?.message}`);
    assert.equal(huge.value[0].v.length, big.length);
    assert.ok(huge.value[0].v === big, 'the 20 MB value came back changed');
    fake.onQuery = defaultQueryHandler;
    assert.deepEqual(await ds.execute('SELECT 1 AS one'), [{one: 1}]);
  });
});

describe('hostile server: a broken handshake', function () {
  this.timeout(30000);
  const watch = new ProcessWatch();
  before(() => watch.start());
  after(() => watch.stop());

  it('a greeting that is not MySQL (an HTTP server): a clear 5xx within connectTimeout', async function () {
    const fake = await FakeMySqlServer.start({
      greeting: Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    });
    const ds = fakeDataSource(fake);
    try {
      assertClearError(await settle(ds.connect()), 'an HTTP greeting', {
        withinMs: 2000 + MARGIN_MS,
      });
      assertClearError(
        await settle(ds.execute('SELECT 1 AS one')),
        'an HTTP greeting (next call)',
        {
          withinMs: 2000 + MARGIN_MS,
        },
      );
      watch.assertNone();
    } finally {
      await settle(ds.disconnect());
      await fake.close();
    }
  });

  it('a login refused with an ERR packet: 503 with the server message and no password', async function () {
    const fake = await FakeMySqlServer.start({
      onLogin: (login, respond) =>
        respond.error(
          1045,
          '28000',
          `Access denied for user '${login.user}'@'127.0.0.1' (using password: YES)`,
        ),
    });
    const ds = fakeDataSource(fake);
    try {
      const result = await settle(ds.connect());
      assertClearError(result, 'a refused login', {
        codes: ['ER_ACCESS_DENIED_ERROR'],
        statusCode: 503,
      });
      assert.match(result.err.message, /Access denied/);
      watch.assertNone();
    } finally {
      await settle(ds.disconnect());
      await fake.close();
    }
  });
});
