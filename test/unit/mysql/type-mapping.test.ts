import assert from 'node:assert/strict';
import fc from 'fast-check';
import mysql2 from 'mysql2';
import {InvalidValueError, MySQL, MySqlError} from '../../../src';
import {describeServer, MAX_TIMESTAMP_2038, MAX_TIMESTAMP_2106} from '../../../src/mysql/server';
import {
  columnDataType,
  columnReader,
  dateSettings,
  temporalType,
  toColumnValue,
  type DateSettings,
} from '../../../src/mysql/type-mapping';
import {
  ParameterizedSQL,
  type ColumnMapping,
  type JugglerType,
  type PropertyDefinition,
} from '../../../src/sql-connector';
import {defineModel} from '../../helpers/fake-sql-connector';

/** juggler's GeoPoint class, by name (class constructors need a cast to JugglerType). */
const GeoPoint = class GeoPoint {} as unknown as JugglerType;
const BufferType = Buffer as unknown as JugglerType;

let models = 0;

/** The column mapping of one property `p` (the model also has an `id` unless `p` is the id). */
function column(definition: PropertyDefinition): ColumnMapping {
  const connector = new MySQL({});
  const name = `M${++models}`;
  const properties: Record<string, PropertyDefinition> = definition.id
    ? {p: definition}
    : {id: {type: Number, id: true}, p: definition};
  defineModel(connector, name, properties);
  const c = connector.getModelMapping(name).byProperty.get('p');
  assert.ok(c);
  return c;
}

const STRING = column({type: String});
const NUMBER = column({type: Number});
const BOOLEAN = column({type: Boolean});
const DATE = column({type: Date});
const OBJECT = column({type: Object});
const ARRAY = column({type: [String]});
const BUFFER = column({type: BufferType});
const POINT = column({type: GeoPoint});
const CUSTOM = column({type: 'Choice'});

function assertInvalidValue(c: ColumnMapping, value: unknown, secret?: string): void {
  assert.throws(
    () => toColumnValue(c, value),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'InvalidValueError');
      assert.equal((err as {statusCode?: unknown}).statusCode, 400);
      assert.match(err.message, new RegExp(`^Invalid value for p \\(${c.type}\\)`));
      if (secret !== undefined) assert.ok(!err.message.includes(secret), err.message);
      return true;
    },
  );
}

describe('MySQL type mapping', () => {
  describe('toColumnValue', () => {
    it('null and undefined are NULL for every type', () => {
      for (const c of [STRING, NUMBER, BOOLEAN, DATE, OBJECT, BUFFER, POINT]) {
        assert.equal(toColumnValue(c, null), null);
        assert.equal(toColumnValue(c, undefined), null);
      }
    });

    it('String', () => {
      assert.equal(toColumnValue(STRING, 'a'), 'a');
      assert.equal(toColumnValue(STRING, 5), '5');
      assert.equal(toColumnValue(STRING, true), 'true');
      assert.equal(toColumnValue(STRING, 12n), '12');
      const d = new Date(0);
      assert.equal(toColumnValue(STRING, d), d);
    });

    it('Boolean rejects NaN, which would otherwise match every true row', () => {
      assert.throws(() => toColumnValue(BOOLEAN, NaN), {statusCode: 400});
    });

    it('Number', () => {
      assert.equal(toColumnValue(NUMBER, 5), 5);
      assert.equal(toColumnValue(NUMBER, -1.5), -1.5);
      assert.equal(toColumnValue(NUMBER, true), 1);
      assert.equal(toColumnValue(NUMBER, false), 0);
      assert.equal(toColumnValue(NUMBER, 9007199254740993n), '9007199254740993');
      assert.equal(toColumnValue(NUMBER, ' 12.50 '), '12.50', 'exact decimals stay strings');
      assert.equal(toColumnValue(NUMBER, '1e3'), '1e3');
    });

    it('Boolean', () => {
      assert.equal(toColumnValue(BOOLEAN, true), 1);
      assert.equal(toColumnValue(BOOLEAN, false), 0);
      assert.equal(toColumnValue(BOOLEAN, 2), 1);
      assert.equal(toColumnValue(BOOLEAN, 0), 0);
      assert.equal(toColumnValue(BOOLEAN, 'YES'), 1);
      assert.equal(toColumnValue(BOOLEAN, 'false'), 0);
      assert.equal(toColumnValue(BOOLEAN, ''), 0);
    });

    it('Date', () => {
      const d = new Date('2020-01-02T03:04:05.678Z');
      assert.equal(toColumnValue(DATE, d), d);
      assert.deepEqual(toColumnValue(DATE, '2020-01-02T03:04:05.678Z'), d);
      assert.deepEqual(toColumnValue(DATE, d.getTime()), d);
    });

    it('Object, Array and custom types as JSON', () => {
      assert.equal(toColumnValue(OBJECT, {a: 1, b: [true]}), '{"a":1,"b":[true]}');
      assert.equal(toColumnValue(OBJECT, [1, 2]), '[1,2]');
      assert.equal(toColumnValue(OBJECT, 'text'), 'text');
      assert.equal(toColumnValue(OBJECT, 3), 3);
      assert.equal(toColumnValue(ARRAY, ['a']), '["a"]');
      assert.equal(toColumnValue(CUSTOM, {k: 'v'}), '{"k":"v"}');
      assert.equal(toColumnValue(CUSTOM, 'red'), 'red');
    });

    it('Buffer', () => {
      const b = Buffer.from('xyz');
      assert.equal(toColumnValue(BUFFER, b), b);
      assert.deepEqual(toColumnValue(BUFFER, 'abc'), Buffer.from('abc'));
      assert.deepEqual(toColumnValue(BUFFER, new Uint8Array([1, 2])), Buffer.from([1, 2]));
    });

    it('GeoPoint as POINT(lng, lat)', () => {
      const v = toColumnValue(POINT, {lat: 48.85, lng: 2.35});
      assert.ok(v instanceof ParameterizedSQL);
      assert.equal(v.sql, 'POINT(?,?)');
      assert.deepEqual(v.params, [2.35, 48.85]);
      const s = toColumnValue(POINT, {lat: '1', lng: '2'});
      assert.ok(s instanceof ParameterizedSQL);
      assert.deepEqual(s.params, [2, 1]);
    });

    describe('rejections (400, without the value in the message)', () => {
      it('objects and arrays for String', () => {
        assertInvalidValue(STRING, {password: 'hunter2'}, 'hunter2');
        assertInvalidValue(STRING, ['hunter2'], 'hunter2');
        assertInvalidValue(STRING, Buffer.from('hunter2'), 'hunter2');
      });

      it('objects and non-numeric text for Number', () => {
        assertInvalidValue(NUMBER, {gt: 'hunter2'}, 'hunter2');
        assertInvalidValue(NUMBER, [1]);
        assertInvalidValue(NUMBER, 'hunter2', 'hunter2');
        assertInvalidValue(NUMBER, '1; DROP TABLE x', 'DROP');
      });

      it('NaN and Infinity', () => {
        assertInvalidValue(NUMBER, NaN);
        assertInvalidValue(NUMBER, Infinity);
        assertInvalidValue(NUMBER, -Infinity);
        assertInvalidValue(OBJECT, NaN);
      });

      it('invalid dates', () => {
        assertInvalidValue(DATE, 'hunter2-not-a-date', 'hunter2');
        assertInvalidValue(DATE, new Date('nope'));
        assertInvalidValue(DATE, {hunter2: 1}, 'hunter2');
        assertInvalidValue(DATE, true);
        assertInvalidValue(STRING, new Date(NaN));
      });

      it('Boolean, Buffer and GeoPoint', () => {
        assertInvalidValue(BOOLEAN, 'hunter2', 'hunter2');
        assertInvalidValue(BOOLEAN, {}, undefined);
        assertInvalidValue(BUFFER, 42);
        assertInvalidValue(POINT, {lat: 'hunter2', lng: 1}, 'hunter2');
        assertInvalidValue(POINT, {lat: 1});
        assertInvalidValue(POINT, 'hunter2', 'hunter2');
      });
    });
  });

  describe('columnReader', () => {
    const read = (c: ColumnMapping, v: unknown) => {
      const reader = columnReader(c);
      assert.ok(reader);
      return reader(v);
    };

    it('Boolean: BIT buffers, CHAR 1/0, TINYINT', () => {
      assert.equal(read(BOOLEAN, Buffer.from([1])), true);
      assert.equal(read(BOOLEAN, Buffer.from([0])), false);
      assert.equal(read(BOOLEAN, '1'), true);
      assert.equal(read(BOOLEAN, '0'), false);
      assert.equal(read(BOOLEAN, 'Y'), true);
      assert.equal(read(BOOLEAN, 1), true);
      assert.equal(read(BOOLEAN, 0), false);
      assert.equal(read(BOOLEAN, 0n), false);
    });

    it('Number: DECIMAL strings become numbers', () => {
      assert.equal(read(NUMBER, '12.50'), 12.5);
      assert.equal(read(NUMBER, 7), 7);
      assert.equal(read(NUMBER, '-3'), -3);
    });

    it('Date: zero dates (Invalid Date) are null', () => {
      assert.equal(read(DATE, new Date('0000-00-00 00:00:00')), null);
      const d = new Date(1000);
      assert.equal(read(DATE, d), d);
    });

    it('GeoPoint: {x, y} becomes {lat, lng}', () => {
      assert.deepEqual(read(POINT, {x: 2.35, y: 48.85}), {lat: 48.85, lng: 2.35});
    });

    it('Object and Array: JSON text is parsed', () => {
      assert.deepEqual(read(OBJECT, '{"a":[1,2]}'), {a: [1, 2]});
      assert.deepEqual(read(OBJECT, Buffer.from('{"b":true}')), {b: true});
      assert.equal(read(OBJECT, 'not json'), 'not json');
      assert.deepEqual(read(ARRAY, '["x","y"]'), ['x', 'y']);
    });

    it('custom types: JSON containers parsed, other text kept', () => {
      assert.deepEqual(read(CUSTOM, '[1,2]'), [1, 2]);
      assert.equal(read(CUSTOM, 'red'), 'red');
      assert.equal(read(CUSTOM, '42'), '42');
    });

    it('String and Buffer', () => {
      assert.equal(read(STRING, Buffer.from('héllo')), 'héllo');
      assert.equal(read(STRING, 5), '5');
      assert.deepEqual(read(BUFFER, 'ab'), Buffer.from('ab'));
    });
  });

  describe('columnDataType', () => {
    const cases: {name: string; def: PropertyDefinition; type: string}[] = [
      {name: 'String', def: {type: String}, type: 'VARCHAR(512)'},
      {name: 'String id', def: {type: String, id: true}, type: 'VARCHAR(255)'},
      {name: 'String index', def: {type: String, index: true}, type: 'VARCHAR(255)'},
      {name: 'String length', def: {type: String, length: 100}, type: 'VARCHAR(100)'},
      {
        name: 'String mysql.dataLength',
        def: {type: String, mysql: {dataLength: 64}},
        type: 'VARCHAR(64)',
      },
      {name: 'Number', def: {type: Number}, type: 'INT'},
      {name: 'Number id', def: {type: Number, id: true}, type: 'INT'},
      {
        name: 'Number precision/scale',
        def: {type: Number, precision: 10, scale: 2},
        type: 'DECIMAL(10,2)',
      },
      {name: 'Number precision only', def: {type: Number, precision: 8}, type: 'DECIMAL(8,0)'},
      {
        name: 'Number mysql.dataPrecision/dataScale',
        def: {type: Number, mysql: {dataPrecision: 12, dataScale: 4}},
        type: 'DECIMAL(12,4)',
      },
      {name: 'Boolean', def: {type: Boolean}, type: 'TINYINT(1)'},
      {name: 'Date', def: {type: Date}, type: 'DATETIME(3)'},
      {name: 'Object', def: {type: Object}, type: 'TEXT'},
      {name: 'Array', def: {type: [String]}, type: 'TEXT'},
      {name: 'Buffer', def: {type: BufferType}, type: 'BLOB'},
      {name: 'GeoPoint', def: {type: GeoPoint}, type: 'POINT'},
      {name: 'JSON', def: {type: 'JSON'}, type: 'JSON'},
      {
        name: 'explicit varchar with dataLength',
        def: {type: String, mysql: {dataType: 'varchar', dataLength: 64}},
        type: 'VARCHAR(64)',
      },
      {
        name: 'explicit char with dataLength',
        def: {type: String, mysql: {dataType: 'char', dataLength: 2}},
        type: 'CHAR(2)',
      },
      {
        name: 'explicit varchar without length',
        def: {type: String, mysql: {dataType: 'VARCHAR'}},
        type: 'VARCHAR(512)',
      },
      {
        name: 'explicit decimal with precision/scale',
        def: {type: Number, mysql: {dataType: 'decimal', dataPrecision: 10, dataScale: 2}},
        type: 'DECIMAL(10,2)',
      },
      {
        name: 'explicit type with its own length',
        def: {type: String, mysql: {dataType: 'varchar(40)', dataLength: 64}},
        type: 'VARCHAR(40)',
      },
      {name: 'explicit text', def: {type: String, mysql: {dataType: 'text'}}, type: 'TEXT'},
      {name: 'explicit json', def: {type: Object, mysql: {dataType: 'json'}}, type: 'JSON'},
      {
        name: 'explicit timestamp',
        def: {type: Date, mysql: {dataType: 'timestamp'}},
        type: 'TIMESTAMP(3)',
      },
      {
        name: 'explicit bigint unsigned',
        def: {type: Number, mysql: {dataType: 'bigint', unsigned: true}},
        type: 'BIGINT UNSIGNED',
      },
      {
        name: 'dataType on the property',
        def: {type: String, dataType: 'longtext'},
        type: 'LONGTEXT',
      },
    ];
    for (const c of cases) {
      it(`${c.name} -> ${c.type}`, () => {
        assert.equal(columnDataType(column(c.def)), c.type);
      });
    }

    for (const dataType of [
      'INT; DROP TABLE x',
      'VARCHAR(10)) ENGINE=MyISAM; --',
      'int`',
      "ENUM('a','b')",
      'TEXT -- comment',
      '',
    ]) {
      it(`rejects dataType ${JSON.stringify(dataType)}`, () => {
        assert.throws(() => columnDataType(column({type: String, mysql: {dataType}})), {
          name: 'InvalidModelError',
          statusCode: 500,
        });
      });
    }
  });
});

describe('MySQL type mapping: Date ranges', () => {
  const DATETIME = column({type: Date});
  const DATE_ONLY = column({type: Date, mysql: {dataType: 'date'}});
  const TIMESTAMP = column({type: Date, mysql: {dataType: 'TIMESTAMP'}});
  const TEXT = column({type: String});
  const DATETIME_TEXT = column({type: String, mysql: {dataType: 'datetime'}});

  const UTC = dateSettings('Z');
  const ms = (iso: string) => new Date(iso);
  /** One millisecond later or earlier. */
  const next = (d: Date, by = 1) => new Date(d.getTime() + by);

  function write(c: ColumnMapping, value: unknown, dates: DateSettings = UTC): unknown {
    return toColumnValue(c, value, dates, true);
  }
  function filter(c: ColumnMapping, value: unknown, dates: DateSettings = UTC): unknown {
    return toColumnValue(c, value, dates);
  }
  function assertFits(c: ColumnMapping, value: Date, dates: DateSettings = UTC): void {
    assert.equal(write(c, value, dates), value, `write ${value.toISOString()}`);
    assert.equal(filter(c, value, dates), value, `filter ${value.toISOString()}`);
  }
  /** A write the column cannot hold: 422, the server's own code, the property and the range in the message. */
  function assertOutOfRange(
    c: ColumnMapping,
    value: unknown,
    range: RegExp,
    dates: DateSettings = UTC,
  ): void {
    assert.throws(
      () => write(c, value, dates),
      (err: unknown) => {
        assert.ok(err instanceof MySqlError, String(err));
        assert.equal(err.statusCode, 422);
        assert.equal(err.code, 'ER_TRUNCATED_WRONG_VALUE');
        assert.equal(err.errno, 1292);
        assert.equal(err.sql, undefined);
        assert.match(err.message, new RegExp(`^Invalid value for p: a date outside `));
        assert.match(err.message, range);
        return true;
      },
    );
  }
  /** A where value the server cannot read (no 4-digit year): 400 InvalidValueError, which a where reports as 400. */
  function assertUnreadable(c: ColumnMapping, value: unknown, dates: DateSettings = UTC): void {
    assert.throws(
      () => filter(c, value, dates),
      (err: unknown) => {
        assert.ok(err instanceof InvalidValueError, String(err));
        assert.equal(err.statusCode, 400);
        assert.equal(err.code, 'INVALID_VALUE');
        assert.match(
          err.message,
          /^Invalid value for p \(\w+\): a date outside the years 0000 to 9999/,
        );
        return true;
      },
    );
  }

  const DATETIME_RANGE =
    /DATETIME column, '1000-01-01 00:00:00' to '9999-12-31 23:59:59.999999' \(in UTC\)$/;
  const DATE_RANGE = /DATE column, '1000-01-01' to '9999-12-31' \(in UTC\)$/;
  const TIMESTAMP_2038 =
    /TIMESTAMP column, '1970-01-01 00:00:01' to '2038-01-19 03:14:07.999999' UTC$/;
  const TIMESTAMP_2106 =
    /TIMESTAMP column, '1970-01-01 00:00:01' to '2106-02-07 06:28:15.999999' UTC$/;

  const FIRST = ms('1000-01-01T00:00:00.000Z');
  const LAST = ms('9999-12-31T23:59:59.999Z');
  const YEAR_10000 = ms('+010000-01-01T00:00:00.000Z');
  const YEAR_0 = ms('0000-01-01T00:00:00.000Z');

  describe('dateSettings reads `timezone` as mysql2 does', () => {
    const cases: [unknown, string, number | undefined][] = [
      ['Z', 'Z', 0],
      [undefined, 'Z', 0],
      ['local', 'local', undefined],
      ['+05:30', '+05:30', 19_800_000],
      ['-08:00', '-08:00', -28_800_000],
      // mysql2 turns a leading space (a `+` lost in a URL) into `+`, and any other form into `Z`.
      [' 05:30', '+05:30', 19_800_000],
      ['+0530', 'Z', 0],
      ['America/New_York', 'Z', 0],
    ];
    for (const [timezone, name, shift] of cases) {
      it(`${JSON.stringify(timezone)} -> ${name}`, () => {
        const s = dateSettings(timezone);
        assert.equal(s.timezone, name);
        assert.equal(s.shift, shift);
        assert.equal(s.maxTimestamp, MAX_TIMESTAMP_2038);
      });
    }
  });

  it('the column type comes from mysql.dataType / dataType, and a Date property is DATETIME', () => {
    assert.equal(temporalType(DATETIME), 'DATETIME');
    assert.equal(temporalType(DATE_ONLY), 'DATE');
    assert.equal(temporalType(TIMESTAMP), 'TIMESTAMP');
    assert.equal(temporalType(TEXT), '');
    assert.equal(temporalType(DATETIME_TEXT), 'DATETIME');
    assert.equal(temporalType(column({type: Date, dataType: 'timestamp(6)'})), 'TIMESTAMP');
    assert.equal(temporalType(column({type: Date, mysql: {dataType: 'datetime(0)'}})), 'DATETIME');
    assert.equal(temporalType(column({type: Date, mysql: {dataType: 'varchar'}})), '');
    assert.equal(temporalType(column({type: Date, mysql: {dataType: 'bigint'}})), '');
    assert.equal(temporalType(column({type: Number})), '');
  });

  describe('DATETIME', () => {
    it('both bounds fit; a millisecond outside is a 422 in a write', () => {
      assertFits(DATETIME, FIRST);
      assertFits(DATETIME, LAST);
      assertOutOfRange(DATETIME, next(FIRST, -1), DATETIME_RANGE);
      assertOutOfRange(DATETIME, next(LAST), DATETIME_RANGE);
    });

    it('year 10000 and negative years: 422 in a write, 400 in a where', () => {
      for (const d of [YEAR_10000, new Date(8.64e15), new Date(-8.64e15), next(YEAR_0, -1)]) {
        assertOutOfRange(DATETIME, d, DATETIME_RANGE);
        assertUnreadable(DATETIME, d);
      }
    });

    it('a where may compare with any date the server reads (years 0000 to 9999)', () => {
      for (const d of [YEAR_0, ms('0500-06-15T00:00:00Z'), next(FIRST, -1), LAST, new Date(0)]) {
        assert.equal(filter(DATETIME, d), d);
      }
      assertOutOfRange(DATETIME, ms('0500-06-15T00:00:00Z'), DATETIME_RANGE);
    });

    it('strings and numbers are converted first, then checked', () => {
      assert.deepEqual(write(DATETIME, '9999-12-31T23:59:59.999Z'), LAST);
      assertOutOfRange(DATETIME, '+010000-01-01T00:00:00Z', DATETIME_RANGE);
      assertOutOfRange(DATETIME, 8.64e15, DATETIME_RANGE);
      assertUnreadable(DATETIME, -8.64e15);
    });

    it('a column declared DATETIME on a String property is checked the same way', () => {
      assertOutOfRange(DATETIME_TEXT, next(LAST), DATETIME_RANGE);
      assert.equal(write(DATETIME_TEXT, LAST), LAST);
    });
  });

  describe('DATE', () => {
    it('the whole first and last days fit; a millisecond outside is a 422', () => {
      assertFits(DATE_ONLY, FIRST);
      assertFits(DATE_ONLY, LAST);
      assertFits(DATE_ONLY, ms('9999-12-31T00:00:00Z'));
      assertOutOfRange(DATE_ONLY, next(FIRST, -1), DATE_RANGE);
      assertOutOfRange(DATE_ONLY, next(LAST), DATE_RANGE);
      assertOutOfRange(DATE_ONLY, new Date(-8.64e15), DATE_RANGE);
      assertUnreadable(DATE_ONLY, YEAR_10000);
    });
  });

  describe('TIMESTAMP', () => {
    const FIRST_TS = ms('1970-01-01T00:00:01.000Z');
    const LAST_TS = ms('2038-01-19T03:14:07.999Z');

    it('both bounds fit; a millisecond outside is a 422 in a write', () => {
      assertFits(TIMESTAMP, FIRST_TS);
      assertFits(TIMESTAMP, LAST_TS);
      assertOutOfRange(TIMESTAMP, next(FIRST_TS, -1), TIMESTAMP_2038);
      assertOutOfRange(TIMESTAMP, new Date(0), TIMESTAMP_2038);
      assertOutOfRange(TIMESTAMP, next(LAST_TS), TIMESTAMP_2038);
      assertOutOfRange(TIMESTAMP, YEAR_10000, TIMESTAMP_2038);
      assertOutOfRange(TIMESTAMP, new Date(-8.64e15), TIMESTAMP_2038);
    });

    it('a where may compare with dates outside the range (`{createdAt: {gt: new Date(0)}}`)', () => {
      for (const d of [new Date(0), next(LAST_TS), ms('2040-01-01T00:00:00Z'), YEAR_0, LAST]) {
        assert.equal(filter(TIMESTAMP, d), d);
      }
      assertUnreadable(TIMESTAMP, YEAR_10000);
      assertUnreadable(TIMESTAMP, new Date(-8.64e15));
    });

    it('MariaDB 11.5+ stores TIMESTAMPs up to 2106', () => {
      const mariadb = dateSettings('Z', MAX_TIMESTAMP_2106);
      const last = ms('2106-02-07T06:28:15.999Z');
      const after2038 = next(LAST_TS);
      assert.equal(write(TIMESTAMP, after2038, mariadb), after2038);
      assert.equal(write(TIMESTAMP, last, mariadb), last);
      assertOutOfRange(TIMESTAMP, next(last), TIMESTAMP_2106, mariadb);
      assertOutOfRange(TIMESTAMP, next(FIRST_TS, -1), TIMESTAMP_2106, mariadb);
    });

    it('the range is of the instant, whatever the timezone', () => {
      for (const tz of ['+05:30', '-08:00', 'local']) {
        const dates = dateSettings(tz);
        assert.equal(write(TIMESTAMP, FIRST_TS, dates), FIRST_TS);
        assert.equal(write(TIMESTAMP, LAST_TS, dates), LAST_TS);
        assertOutOfRange(TIMESTAMP, next(LAST_TS), TIMESTAMP_2038, dates);
        assertOutOfRange(TIMESTAMP, next(FIRST_TS, -1), TIMESTAMP_2038, dates);
      }
    });
  });

  describe('other columns', () => {
    it('a Date is never sent with a year below 0000 or above 9999, whatever the column', () => {
      for (const c of [TEXT, column({type: Object}), column({type: 'Choice'})]) {
        assertUnreadable(c, YEAR_10000);
        assertUnreadable(c, new Date(-8.64e15));
        assert.throws(() => write(c, YEAR_10000), {
          statusCode: 422,
          code: 'ER_TRUNCATED_WRONG_VALUE',
        });
        assert.equal(write(c, YEAR_0), YEAR_0);
        assert.equal(write(c, LAST), LAST);
      }
    });
  });

  describe('timezone: the range applies to the wall clock mysql2 writes', () => {
    it('+05:30: a UTC instant of 9999-12-31 18:30 is already year 10000', () => {
      const ist = dateSettings('+05:30');
      const last = ms('9999-12-31T18:29:59.999Z');
      assertFits(DATETIME, last, ist);
      assertFits(DATETIME, ms('0999-12-31T18:30:00.000Z'), ist);
      const range = /'9999-12-31 23:59:59.999999' \(in timezone \+05:30\)$/;
      assertOutOfRange(DATETIME, next(last), range, ist);
      assertOutOfRange(DATETIME, ms('0999-12-31T18:29:59.999Z'), range, ist);
      assertUnreadable(DATETIME, next(last), ist);
      assertUnreadable(DATETIME, ms('-000001-12-31T18:29:59.999Z'), ist);
      const year0 = ms('-000001-12-31T18:30:00.000Z');
      assert.equal(filter(DATETIME, year0, ist), year0, 'year 0000 in +05:30');
    });

    it('-08:00: a UTC instant in year 10000 is still 9999-12-31 in Los Angeles', () => {
      const pst = dateSettings('-08:00');
      const last = ms('+010000-01-01T07:59:59.999Z');
      assertFits(DATETIME, last, pst);
      assertFits(DATE_ONLY, last, pst);
      assertOutOfRange(DATETIME, next(last), /\(in timezone -08:00\)$/, pst);
      assertOutOfRange(DATETIME, ms('1000-01-01T07:59:59.999Z'), /-08:00/, pst);
      assertFits(DATETIME, ms('1000-01-01T08:00:00.000Z'), pst);
    });

    for (const tz of [undefined, 'Pacific/Kiritimati', 'America/Adak', 'Asia/Kathmandu']) {
      it(`local, with the process in ${tz ?? 'its own time zone'}`, () => {
        const saved = process.env.TZ;
        if (tz !== undefined) process.env.TZ = tz;
        try {
          const local = dateSettings('local');
          // The local constructor gives the wall clock mysql2 writes with timezone 'local'.
          const last = new Date(9999, 11, 31, 23, 59, 59, 999);
          const first = new Date(1000, 0, 1, 0, 0, 0, 0);
          assertFits(DATETIME, last, local);
          assertFits(DATETIME, first, local);
          assertOutOfRange(DATETIME, next(last), /\(in timezone local\)$/, local);
          assertOutOfRange(DATETIME, next(first, -1), /\(in timezone local\)$/, local);
          assertUnreadable(DATETIME, next(last), local);
        } finally {
          if (saved === undefined) delete process.env.TZ;
          else process.env.TZ = saved;
        }
      });
    }

    it('agrees with the formatter of mysql2: accepted exactly when it writes a year 0000-9999 (1000-9999)', () => {
      const bounds = [YEAR_0, FIRST, LAST, next(LAST), next(YEAR_0, -1), next(FIRST, -1)];
      const instants = fc.oneof(
        fc.integer({min: -8.64e15, max: 8.64e15}),
        fc
          .tuple(
            fc.constantFrom(...bounds),
            fc.integer({min: -2 * 86_400_000, max: 2 * 86_400_000}),
          )
          .map(([d, by]) => d.getTime() + by),
      );
      const zones = fc.constantFrom('Z', '+05:30', '-08:00', '+14:00', '-12:00', 'local');
      fc.assert(
        fc.property(instants, zones, (t, tz) => {
          const date = new Date(t);
          const text = mysql2.format('?', [date], false, tz);
          const year = /^'(\d{4})-/.exec(text)?.[1];
          const dates = dateSettings(tz);
          const readable = (() => {
            try {
              filter(DATETIME, date, dates);
              return true;
            } catch {
              return false;
            }
          })();
          const storable = (() => {
            try {
              write(DATETIME, date, dates);
              return true;
            } catch {
              return false;
            }
          })();
          assert.equal(readable, year !== undefined, `${text} (${tz})`);
          assert.equal(storable, year !== undefined && year >= '1000', `${text} (${tz})`);
        }),
        {numRuns: 5000, seed: 0xda7e},
      );
    });
  });

  it('invalid dates stay a 400 InvalidValueError, in a where and in a write', () => {
    for (const c of [DATETIME, DATE_ONLY, TIMESTAMP]) {
      for (const v of [new Date(NaN), 'not a date', 8.64e15 + 1]) {
        assert.throws(() => filter(c, v), {name: 'InvalidValueError', statusCode: 400});
        assert.throws(() => write(c, v), {name: 'InvalidValueError', statusCode: 400});
      }
    }
  });
});

describe('MySQL connector: Dates in writes and in wheres', () => {
  function connectorWith(settings: Record<string, unknown> = {}): MySQL {
    const c = new MySQL(settings);
    defineModel(c, 'Event', {
      id: {type: Number, id: true},
      at: {type: Date},
      stamp: {type: Date, mysql: {dataType: 'timestamp'}},
    });
    return c;
  }
  const YEAR_10000 = new Date('+010000-01-01T00:00:00.000Z');
  const Y2040 = new Date('2040-01-01T00:00:00.000Z');

  it('a write checks the column range (422), a where only that the date can be read (400)', () => {
    const c = connectorWith();
    assert.throws(() => c.buildInsert('Event', {id: 1, at: YEAR_10000}), {
      statusCode: 422,
      code: 'ER_TRUNCATED_WRONG_VALUE',
    });
    assert.throws(() => c.buildUpdate('Event', {id: 1}, {stamp: Y2040}, 'patch'), {
      statusCode: 422,
      code: 'ER_TRUNCATED_WRONG_VALUE',
    });
    assert.throws(() => c.buildSelect('Event', {where: {at: {gt: YEAR_10000}}}), {
      statusCode: 400,
      code: 'INVALID_FILTER',
    });
    assert.throws(
      () => c.buildUpdate('Event', {at: {lt: YEAR_10000}}, {at: new Date(0)}, 'patch'),
      {
        statusCode: 400,
        code: 'INVALID_FILTER',
      },
    );
    const select = c.buildSelect('Event', {where: {stamp: {gt: new Date(0), lt: Y2040}}});
    assert.deepEqual(select.params, [new Date(0), Y2040]);
  });

  it('the server decides the last TIMESTAMP: 2106 once connected to MariaDB 11.5+', () => {
    const c = connectorWith();
    assert.throws(() => c.buildInsert('Event', {id: 1, stamp: Y2040}), {statusCode: 422});
    c.assumeServerForTests(describeServer({version: '11.8.9-MariaDB-0+deb13u1'}));
    assert.deepEqual(c.buildInsert('Event', {id: 1, stamp: Y2040}).params, [1, Y2040]);
    c.assumeServerForTests(describeServer({version: '9.7.4'}));
    assert.throws(() => c.buildInsert('Event', {id: 1, stamp: Y2040}), {statusCode: 422});
  });

  it('the `timezone` setting moves the DATETIME range', () => {
    const last = new Date('9999-12-31T18:29:59.999Z');
    const later = new Date(last.getTime() + 1);
    const ist = connectorWith({timezone: '+05:30'});
    assert.deepEqual(ist.buildInsert('Event', {id: 1, at: last}).params, [1, last]);
    assert.throws(() => ist.buildInsert('Event', {id: 1, at: later}), /\(in timezone \+05:30\)$/);
    // In UTC the same instant is still 9999-12-31.
    assert.deepEqual(connectorWith().buildInsert('Event', {id: 1, at: later}).params, [1, later]);
  });
});
