/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Values their column cannot hold, against the real server: a Date outside the range of a DATETIME, DATE or
 * TIMESTAMP column is refused before any statement is sent (400 in a where, 422 in a write), and the server's own
 * "value does not fit the column" errors (a bad ENUM value, an out-of-range INT, a too-long VARCHAR) are 422.
 */
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const ms = (iso: string) => new Date(iso);
/** A millisecond (or `by` ms) later. */
const next = (d: Date, by = 1) => new Date(d.getTime() + by);

const FIRST = ms('1000-01-01T00:00:00.000Z');
const LAST = ms('9999-12-31T23:59:59.999Z');
const LAST_DAY = ms('9999-12-31T00:00:00.000Z');
const FIRST_TS = ms('1970-01-01T00:00:01.000Z');
const LAST_TS_2038 = ms('2038-01-19T03:14:07.999Z');
const YEAR_10000 = ms('+010000-01-01T00:00:00.000Z');
/** Dates no server reads: mysql2 would write `'+275760-...'`-like 5-digit and `'000-271821-...'` negative years. */
const UNREADABLE = [new Date(8.64e15), new Date(-8.64e15), YEAR_10000];
const ORDINARY = ms('2000-01-02T03:04:05.678Z');

const DATETIME_RANGE =
  /DATETIME column, '1000-01-01 00:00:00' to '9999-12-31 23:59:59\.999999' \(in UTC\)/;
const DATE_RANGE = /DATE column, '1000-01-01' to '9999-12-31' \(in UTC\)/;

describe('value ranges (integration)', function () {
  let db: string;
  let ds: any;
  let Event: any;
  let Limits: any;
  let EnumRow: any;
  /** The statements sent since the last `sent.length = 0`. */
  const sent: string[] = [];
  const spy = (ctx: any, next: () => void) => {
    sent.push(ctx.req.sql);
    next();
  };
  const seeded: number[] = [];
  /** The last TIMESTAMP this server stores (2038, or 2106 on MariaDB 11.5+). */
  let lastTs: Date;
  let timestampRange: RegExp;

  function sql(text: string, params: unknown[] = []): Promise<any> {
    return ds.connector.execute(text, params, {});
  }

  before(async function () {
    db = await createDatabase('ranges');
    ds = new DataSource(connector, dataSourceSettings(db));
    Event = ds.define('Event', {
      id: {type: Number, id: true, generated: true},
      at: Date,
      day: {type: Date, mysql: {dataType: 'date'}},
      stamp: {type: Date, mysql: {dataType: 'timestamp'}},
      note: String,
    });
    Limits = ds.define('Limits', {
      id: {type: Number, id: true, generated: true},
      small: Number,
      code: {type: String, length: 3},
    });
    await ds.automigrate(['Event', 'Limits']);
    // The connector declares no ENUM column (its dataType takes no member list): the table is made by hand.
    await sql(
      "CREATE TABLE enum_rows (id INT AUTO_INCREMENT PRIMARY KEY, status ENUM('active','suspended') NULL)",
    );
    EnumRow = ds.define(
      'EnumRow',
      {id: {type: Number, id: true, generated: true}, status: String},
      {mysql: {table: 'enum_rows'}},
    );
    for (let i = 0; i < 3; i++) {
      const e = await Event.create({at: ORDINARY, day: ORDINARY, stamp: ORDINARY, note: 'seed'});
      seeded.push(e.id);
    }
    lastTs = new Date(ds.connector.server.maxTimestamp);
    const max = lastTs.toISOString().slice(0, 19).replace('T', ' ');
    timestampRange = new RegExp(`TIMESTAMP column, '1970-01-01 00:00:01' to '${max}\\.999999' UTC`);
    ds.connector.observe('before execute', spy);
  });

  after(async function () {
    if (ds) {
      ds.connector.removeObserver('before execute', spy);
      await ds.disconnect();
    }
    if (db) await dropDatabase(db);
  });

  beforeEach(function () {
    sent.length = 0;
  });

  /** The error of a call that must fail. */
  async function failure(promise: Promise<unknown>): Promise<any> {
    try {
      await promise;
    } catch (err) {
      return err;
    }
    assert.fail('expected an error');
  }

  /** The seeded rows, as the server has them: nothing a failed call did may show here. */
  async function snapshot(): Promise<string> {
    const rows = await sql(
      'SELECT id, CAST(at AS CHAR) AS a, CAST(day AS CHAR) AS d, CAST(stamp AS CHAR) AS s, note FROM Event ORDER BY id',
    );
    return JSON.stringify(rows);
  }

  describe('a where with a Date the server cannot read: 400 before any statement', function () {
    for (const property of ['at', 'day', 'stamp']) {
      it(`${property}: every operator, also inside and/or`, async function () {
        let calls = 0;
        for (const bad of UNREADABLE) {
          const conditions: unknown[] = [
            bad,
            {eq: bad},
            {neq: bad},
            {gt: bad},
            {gte: bad},
            {lt: bad},
            {lte: bad},
            {between: [ORDINARY, bad]},
            {inq: [ORDINARY, bad]},
            {nin: [bad]},
          ];
          for (const condition of conditions) {
            for (const where of [
              {[property]: condition},
              {and: [{id: {gt: 0}}, {[property]: condition}]},
              {or: [{id: seeded[0]}, {[property]: condition}]},
            ]) {
              const err = await failure(Event.find({where}));
              assert.equal(err.statusCode, 400, `${JSON.stringify(where)}: ${err.message}`);
              assert.equal(err.code, 'INVALID_FILTER');
              assert.match(
                err.message,
                new RegExp(
                  `^Invalid where: Invalid value for ${property} \\(date\\): a date outside the years 0000 to 9999 \\(in UTC\\)$`,
                ),
              );
              calls++;
            }
          }
        }
        assert.equal(calls, 90);
        assert.deepEqual(sent, []);
      });
    }

    it('count, destroyAll, updateAll and the connector itself refuse it too, and change nothing', async function () {
      const before = await snapshot();
      sent.length = 0;
      const where = {at: {lt: new Date(-8.64e15)}};
      for (const call of [
        () => Event.count(where),
        () => Event.destroyAll(where),
        () => Event.updateAll(where, {note: 'changed'}),
        () => ds.connector.all('Event', {where: {stamp: {gt: YEAR_10000}}}, {}),
        () => ds.connector.destroyAll('Event', {day: {inq: [YEAR_10000]}}, {}),
      ]) {
        const err = await failure(call());
        assert.equal(err.statusCode, 400, err.message);
      }
      assert.deepEqual(sent, []);
      assert.equal(await snapshot(), before);
    });

    it('a where may compare with any date of years 0000 to 9999: the servers answer right', async function () {
      // Outside TIMESTAMP's range, below DATETIME's: still dates the servers compare correctly, indexed or not.
      assert.equal(await Event.count({stamp: {gt: new Date(0)}}), 3);
      assert.equal(await Event.count({stamp: {lt: ms('2040-01-01T00:00:00Z')}}), 3);
      assert.equal(await Event.count({stamp: {gt: ms('2040-01-01T00:00:00Z')}}), 0);
      assert.equal(await Event.count({stamp: {inq: [new Date(0), ORDINARY]}}), 3);
      assert.equal(await Event.count({at: {gt: ms('0500-06-15T00:00:00Z')}}), 3);
      assert.equal(await Event.count({at: {lt: ms('0000-01-01T00:00:00Z')}}), 0);
      assert.equal(await Event.count({day: {between: [ms('0001-01-01'), LAST]}}), 3);
      assert.equal(await Event.count({at: {gte: LAST}}), 0);
    });
  });

  describe('a write with a Date the column cannot hold: 422 before any write', function () {
    const columns: {property: string; outside: () => Date[]; range: () => RegExp}[] = [
      {
        property: 'at',
        outside: () => [next(FIRST, -1), next(LAST), ...UNREADABLE, ms('0500-06-15T00:00:00Z')],
        range: () => DATETIME_RANGE,
      },
      {
        property: 'day',
        outside: () => [next(FIRST, -1), next(LAST), ...UNREADABLE],
        range: () => DATE_RANGE,
      },
      {
        property: 'stamp',
        outside: () => [next(FIRST_TS, -1), new Date(0), next(lastTs), ...UNREADABLE],
        range: () => timestampRange,
      },
    ];

    for (const {property, outside, range} of columns) {
      it(`${property}: create, createAll, updateAll, upsert, replace, updateAttributes, save`, async function () {
        const before = await snapshot();
        const id = seeded[0];
        const instance = await Event.findById(id);
        const values = outside();
        // Instances for save(), loaded before counting statements.
        const copies: any[] = [];
        for (let i = 0; i < values.length; i++) copies.push(await Event.findById(id));
        sent.length = 0;
        for (const [i, bad] of values.entries()) {
          const value = {[property]: bad};
          const calls: [string, () => Promise<unknown>][] = [
            ['create', () => Event.create({...value, note: 'new'})],
            ['createAll', () => Event.createAll([{note: 'fine'}, {...value, note: 'new'}])],
            ['updateAll', () => Event.updateAll({id}, value)],
            ['updateOrCreate', () => Event.updateOrCreate({id, ...value})],
            ['updateOrCreate (no id)', () => Event.updateOrCreate(value)],
            ['upsert', () => Event.upsert({id, ...value})],
            ['replaceOrCreate', () => Event.replaceOrCreate({id, ...value})],
            ['replaceById', () => Event.replaceById(id, value)],
            ['updateAttributes', () => instance.updateAttributes(value)],
            ['patchAttributes', () => instance.patchAttributes(value)],
            [
              'save',
              () => {
                const copy = copies[i];
                copy[property] = bad;
                return copy.save();
              },
            ],
            ['connector.create', () => ds.connector.create('Event', value, {})],
          ];
          for (const [name, call] of calls) {
            const err = await failure(call());
            const what = `${name} ${property}=${bad.toISOString()}: ${err.message}`;
            assert.equal(err.statusCode, 422, what);
            assert.equal(err.name, 'MySqlError', what);
            assert.equal(err.code, 'ER_TRUNCATED_WRONG_VALUE', what);
            assert.equal(err.errno, 1292, what);
            assert.match(err.message, new RegExp(`^Invalid value for ${property}: a date outside`));
            assert.match(err.message, range(), what);
          }
        }
        // Juggler reads the row before an upsert, and the connector reads the table's unique keys once: no write.
        assert.deepEqual(
          sent.filter((s) => !/^SELECT /.test(s)),
          [],
        );
        assert.equal(await snapshot(), before);
      });
    }
  });

  describe('the boundary values round-trip', function () {
    async function roundTrip(property: string, value: Date): Promise<void> {
      const created = await Event.create({[property]: value, note: 'bound'});
      const found = await Event.findById(created.id);
      assert.ok(found[property] instanceof Date, property);
      assert.equal(found[property].toISOString(), value.toISOString(), property);
      const hit = await Event.find({where: {[property]: value, note: 'bound'}});
      assert.deepEqual(
        hit.map((r: any) => r.id),
        [created.id],
        `${property} = ${value.toISOString()}`,
      );
      await Event.destroyById(created.id);
    }

    it('DATETIME: 1000-01-01 00:00:00.000 and 9999-12-31 23:59:59.999', async function () {
      await roundTrip('at', FIRST);
      await roundTrip('at', LAST);
      const rows = await sql("SELECT COUNT(*) AS n FROM Event WHERE note = 'bound'");
      assert.equal(Number(rows[0].n), 0);
    });

    it('DATE: 1000-01-01 and 9999-12-31', async function () {
      await roundTrip('day', FIRST);
      await roundTrip('day', LAST_DAY);
    });

    it(`TIMESTAMP: 1970-01-01 00:00:01 and the server's last one`, async function () {
      await roundTrip('stamp', FIRST_TS);
      await roundTrip('stamp', LAST_TS_2038);
      await roundTrip('stamp', lastTs);
    });

    it('DATE with the last millisecond of 9999: stored by MariaDB, rounded past 9999 by MySQL (422)', async function () {
      const outcome = await Event.create({day: LAST, note: 'bound'}).then(
        (created: any) => ({ok: true as const, created}),
        (err: any) => ({ok: false as const, err}),
      );
      if (ds.connector.server.flavor === 'mariadb') {
        assert.ok(outcome.ok, outcome.ok ? '' : outcome.err.message);
        const found = await Event.findById(outcome.created.id);
        assert.equal(found.day.toISOString(), LAST_DAY.toISOString());
        await Event.destroyById(outcome.created.id);
      } else {
        // MySQL rounds fractional seconds: 9999-12-31 23:59:59.999 becomes year 10000, "datetime field overflow".
        assert.ok(!outcome.ok, 'MySQL stored 9999-12-31 23:59:59.999 in a DATE');
        assert.equal(outcome.err.statusCode, 422, outcome.err.message);
        assert.equal(outcome.err.code, 'ER_DATETIME_FUNCTION_OVERFLOW');
      }
    });
  });

  describe('timezone: the range is of the wall clock mysql2 writes', function () {
    async function withZone(timezone: string, work: (model: any) => Promise<void>): Promise<void> {
      const zoned = new DataSource(connector, dataSourceSettings(db, {timezone}));
      const model = zoned.define(
        'Event',
        {
          id: {type: Number, id: true, generated: true},
          at: Date,
          day: {type: Date, mysql: {dataType: 'date'}},
          note: String,
        },
        {mysql: {table: 'Event'}},
      );
      try {
        await work(model);
      } finally {
        await zoned.disconnect();
      }
    }

    it('+05:30: 9999-12-31 18:29:59.999 UTC is the last DATETIME, a millisecond later is year 10000', async function () {
      await withZone('+05:30', async (Zoned) => {
        const last = ms('9999-12-31T18:29:59.999Z');
        const created = await Zoned.create({at: last, note: 'zoned'});
        const raw = await sql('SELECT CAST(at AS CHAR) AS a FROM Event WHERE id = ?', [created.id]);
        assert.equal(raw[0].a, '9999-12-31 23:59:59.999');
        assert.equal((await Zoned.findById(created.id)).at.toISOString(), last.toISOString());
        assert.equal(await Zoned.count({at: last}), 1);
        await Zoned.destroyById(created.id);

        const write = await failure(Zoned.create({at: next(last)}));
        assert.equal(write.statusCode, 422);
        assert.match(write.message, /\(in timezone \+05:30\)$/);
        const read = await failure(Zoned.find({where: {at: {gt: next(last)}}}));
        assert.equal(read.statusCode, 400);
        assert.match(read.message, /\(in timezone \+05:30\)$/);
        const low = await failure(Zoned.create({day: ms('0999-12-31T18:29:59.999Z')}));
        assert.equal(low.statusCode, 422);
        assert.match(low.message, /DATE column/);
      });
    });

    it('-08:00: a UTC instant of year 10000 is still 9999-12-31 23:59:59.999 there', async function () {
      await withZone('-08:00', async (Zoned) => {
        const last = ms('+010000-01-01T07:59:59.999Z');
        // (No milliseconds in the DATE: MySQL would round 23:59:59.999 up to year 10000.)
        const created = await Zoned.create({at: last, day: next(last, -999), note: 'zoned'});
        const raw = await sql(
          'SELECT CAST(at AS CHAR) AS a, CAST(day AS CHAR) AS d FROM Event WHERE id = ?',
          [created.id],
        );
        assert.deepEqual({...raw[0]}, {a: '9999-12-31 23:59:59.999', d: '9999-12-31'});
        assert.equal(await Zoned.count({at: {gte: last}}), 1);
        await Zoned.destroyById(created.id);
        const err = await failure(Zoned.create({at: next(last)}));
        assert.equal(err.statusCode, 422);
        assert.match(err.message, /\(in timezone -08:00\)$/);
      });
    });
  });

  describe('the server: a value that does not fit its column is a 422', function () {
    async function serverError(call: () => Promise<unknown>, code: string, errno: number) {
      const err = await failure(call());
      assert.equal(err.name, 'MySqlError', err.message);
      assert.equal(err.code, code, err.message);
      assert.equal(err.errno, errno);
      assert.equal(err.statusCode, 422, err.message);
      // The server's error, so a statement was sent.
      assert.ok(sent.length > 0);
    }

    it('a bad ENUM value (1265 WARN_DATA_TRUNCATED), in an insert and an update', async function () {
      const ok = await EnumRow.create({status: 'active'});
      await serverError(() => EnumRow.create({status: 'deleted'}), 'WARN_DATA_TRUNCATED', 1265);
      await serverError(
        () => EnumRow.updateAll({id: ok.id}, {status: 'archived'}),
        'WARN_DATA_TRUNCATED',
        1265,
      );
      await serverError(
        () => EnumRow.replaceById(ok.id, {status: 'nope'}),
        'WARN_DATA_TRUNCATED',
        1265,
      );
      assert.equal((await EnumRow.findById(ok.id)).status, 'active');
    });

    it('an out-of-range INT (1264 ER_WARN_DATA_OUT_OF_RANGE)', async function () {
      await serverError(() => Limits.create({small: 2 ** 31}), 'ER_WARN_DATA_OUT_OF_RANGE', 1264);
      await serverError(
        () => Limits.create({small: -(2 ** 31) - 1}),
        'ER_WARN_DATA_OUT_OF_RANGE',
        1264,
      );
      const fits = await Limits.create({small: 2 ** 31 - 1});
      assert.equal((await Limits.findById(fits.id)).small, 2 ** 31 - 1);
    });

    it('a too long VARCHAR (1406 ER_DATA_TOO_LONG)', async function () {
      await serverError(() => Limits.create({code: 'abcd'}), 'ER_DATA_TOO_LONG', 1406);
      const fits = await Limits.create({code: 'abc'});
      await serverError(
        () => Limits.updateAll({id: fits.id}, {code: 'wxyz'}),
        'ER_DATA_TOO_LONG',
        1406,
      );
    });

    it('raw statements: 1292 ER_TRUNCATED_WRONG_VALUE and 1366 ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', async function () {
      await serverError(
        () => sql("INSERT INTO Event (at) VALUES ('10000-01-01 00:00:00')"),
        'ER_TRUNCATED_WRONG_VALUE',
        1292,
      );
      await serverError(
        () => sql("INSERT INTO Limits (small) VALUES ('abc')"),
        'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
        1366,
      );
    });

    it('a raw where with a year-10000 literal: 400 ER_WRONG_VALUE where the server refuses it (MySQL 9)', async function () {
      const outcome = await sql(
        "SELECT COUNT(*) AS n FROM Event WHERE at > '10000-01-01 00:00:00.000'",
      ).then(
        (rows: any) => ({ok: true as const, rows}),
        (err: any) => ({ok: false as const, err}),
      );
      if (!outcome.ok) {
        assert.equal(outcome.err.code, 'ER_WRONG_VALUE', outcome.err.message);
        assert.equal(outcome.err.errno, 1525);
        assert.equal(outcome.err.statusCode, 400);
      } else {
        // MariaDB (and older MySQL) answer with a warning, and a count: the connector never sends such a literal.
        assert.equal(typeof Number(outcome.rows[0].n), 'number');
      }
    });
  });

  it('a value a CHECK constraint refuses is a 422 on every server (MariaDB 4025, MySQL 3819)', async function () {
    await sql(
      'CREATE TABLE checked (id INT AUTO_INCREMENT PRIMARY KEY, qty INT NOT NULL, ' +
        'CONSTRAINT qty_positive CHECK (qty > 0))',
    );
    const Checked = ds.define(
      'Checked',
      {id: {type: Number, id: true, generated: true}, qty: Number},
      {mysql: {table: 'checked'}},
    );
    const ok = await Checked.create({qty: 1});
    const err = await failure(Checked.create({qty: -1}));
    assert.equal(err.statusCode, 422, err.message);
    const mysql = ds.connector.server.flavor === 'mysql';
    assert.equal(err.code, mysql ? 'ER_CHECK_CONSTRAINT_VIOLATED' : 'ER_CONSTRAINT_FAILED');
    assert.match(err.message, /qty_positive/);
    const updated = await failure(Checked.updateAll({id: ok.id}, {qty: 0}));
    assert.equal(updated.statusCode, 422, updated.message);
    assert.deepEqual(
      (await Checked.find()).map((r: any) => r.qty),
      [1],
    );
  });

  it('an invalid Date through the connector stays a 400 (juggler refuses it before)', async function () {
    const write = await failure(ds.connector.create('Event', {at: new Date(NaN)}, {}));
    assert.equal(write.statusCode, 400);
    assert.equal(write.code, 'INVALID_VALUE');
    const read = await failure(ds.connector.all('Event', {where: {at: new Date(NaN)}}, {}));
    assert.equal(read.statusCode, 400);
    assert.equal(read.code, 'INVALID_FILTER');
    // Juggler validates model data itself: an invalid Date is its ValidationError (422).
    const viaJuggler = await failure(Event.create({at: new Date(NaN)}));
    assert.equal(viaJuggler.statusCode, 422);
    assert.deepEqual(sent, []);
  });
});
