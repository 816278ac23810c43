import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import {columnDataType, columnReader, toColumnValue} from '../../../src/mysql/type-mapping';
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
