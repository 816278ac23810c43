/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Round trips of every property type through juggler models, against the real server.
 */
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

describe('types (integration)', function () {
  let db: string;
  let ds: any;
  let Thing: any;
  let Flag: any;

  function sql(text: string, params: unknown[] = []): Promise<any> {
    return ds.connector.execute(text, params, {});
  }

  before(async function () {
    db = await createDatabase('types');
    ds = new DataSource(connector, dataSourceSettings(db));
    Thing = ds.define('Thing', {
      id: {type: Number, id: true, generated: true},
      str: String,
      text: {type: String, mysql: {dataType: 'text'}},
      num: Number,
      big: {type: String, mysql: {dataType: 'bigint'}},
      price: {type: Number, precision: 10, scale: 2},
      flag: Boolean,
      when: Date,
      obj: Object,
      arr: [Object],
      bytes: Buffer,
      loc: 'GeoPoint',
      doc: {type: Object, mysql: {dataType: 'json'}},
    });
    await ds.automigrate();
    await sql(
      'CREATE TABLE flags (id INT AUTO_INCREMENT PRIMARY KEY, bitFlag BIT(1) NULL, charFlag CHAR(1) NULL)',
    );
    await sql(
      "INSERT INTO flags (bitFlag, charFlag) VALUES (b'1', 'Y'), (b'0', 'N'), (b'1', '1'), (b'0', '0'), (NULL, NULL)",
    );
    Flag = ds.define(
      'Flag',
      {
        id: {type: Number, id: true, generated: true},
        bitFlag: Boolean,
        charFlag: Boolean,
      },
      {mysql: {table: 'flags'}},
    );
  });

  after(async function () {
    if (ds) await ds.disconnect();
    if (db) await dropDatabase(db);
  });

  async function roundTrip(data: Record<string, unknown>): Promise<any> {
    const created = await Thing.create(data);
    return Thing.findById(created.id);
  }

  it('creates the columns with the expected types', async function () {
    const rows = await sql(
      'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS ' +
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Thing' ORDER BY ORDINAL_POSITION",
    );
    const types = Object.fromEntries(rows.map((r: any) => [r.c, String(r.t).toLowerCase()]));
    assert.equal(types.text, 'text');
    // MySQL 8.0.19+ reports integer types without a display width (except tinyint(1)); MariaDB keeps it.
    const mysql = ds.connector.server.flavor === 'mysql';
    assert.equal(types.big, mysql ? 'bigint' : 'bigint(20)');
    assert.equal(types.price, 'decimal(10,2)');
    assert.equal(types.flag, 'tinyint(1)');
    assert.equal(types.when, 'datetime(3)');
    assert.equal(types.bytes, 'blob');
    assert.equal(types.loc, 'point');
    // MariaDB's JSON is LONGTEXT with a JSON_VALID check; MySQL has a native JSON type.
    assert.equal(types.doc, mysql ? 'json' : 'longtext');
  });

  it('4-byte emoji in a String and in a TEXT', async function () {
    const s = 'party 🎉 and 𝄞 clef, 日本語';
    const t = '🦄'.repeat(1000) + ' end';
    const found = await roundTrip({str: s, text: t});
    assert.equal(found.str, s);
    assert.equal(found.text, t);
    const raw = await sql('SELECT str, CHAR_LENGTH(text) AS n FROM Thing WHERE id = ?', [found.id]);
    assert.equal(raw[0].str, s);
    assert.equal(Number(raw[0].n), 1004);
    const byEmoji = await Thing.find({where: {str: s}});
    assert.deepEqual(
      byEmoji.map((r: any) => r.id),
      [found.id],
    );
  });

  it('Date keeps milliseconds (DATETIME(3))', async function () {
    const when = new Date('2024-02-29T23:59:58.678Z');
    const found = await roundTrip({when});
    assert.ok(found.when instanceof Date);
    assert.equal(found.when.toISOString(), '2024-02-29T23:59:58.678Z');
    assert.equal(found.when.getUTCMilliseconds(), 678);
    const raw = await sql('SELECT CAST(`when` AS CHAR) AS w FROM Thing WHERE id = ?', [found.id]);
    assert.equal(raw[0].w, '2024-02-29 23:59:58.678');
    const hit = await Thing.find({where: {when: new Date('2024-02-29T23:59:58.678Z')}});
    assert.deepEqual(
      hit.map((r: any) => r.id),
      [found.id],
    );
    const miss = await Thing.count({when: new Date('2024-02-29T23:59:58.679Z')});
    assert.equal(miss, 0);
  });

  it('BIGINT in a String property keeps every digit', async function () {
    const found = await roundTrip({big: '9007199254740993'});
    assert.equal(found.big, '9007199254740993');
    const raw = await sql('SELECT CAST(big AS CHAR) AS b FROM Thing WHERE id = ?', [found.id]);
    assert.equal(raw[0].b, '9007199254740993');
    const hit = await Thing.find({where: {big: '9007199254740993'}});
    assert.deepEqual(
      hit.map((r: any) => r.id),
      [found.id],
    );
    assert.equal(await Thing.count({big: '9007199254740992'}), 0);
    const negative = await roundTrip({big: '-9223372036854775808'});
    assert.equal(negative.big, '-9223372036854775808');
    const small = await roundTrip({big: '42'});
    assert.equal(small.big, '42');
  });

  it('DECIMAL(10,2) stores 12.34 and reads the number 12.34', async function () {
    const found = await roundTrip({price: 12.34});
    assert.equal(found.price, 12.34);
    assert.equal(typeof found.price, 'number');
    const raw = await sql('SELECT CAST(price AS CHAR) AS p FROM Thing WHERE id = ?', [found.id]);
    assert.equal(raw[0].p, '12.34');
    const rounded = await roundTrip({price: 0.1 + 0.2});
    assert.equal(rounded.price, 0.3);
    const hit = await Thing.find({where: {price: {gt: 12.33, lt: 12.35}}});
    assert.deepEqual(
      hit.map((r: any) => r.id),
      [found.id],
    );
  });

  it('Number round-trips integers and floats', async function () {
    const found = await roundTrip({num: -17});
    assert.equal(found.num, -17);
  });

  it('Boolean true and false', async function () {
    const t = await roundTrip({flag: true});
    const f = await roundTrip({flag: false});
    assert.equal(t.flag, true);
    assert.equal(f.flag, false);
    const raw = await sql('SELECT id, flag FROM Thing WHERE id IN (?, ?) ORDER BY id', [
      t.id,
      f.id,
    ]);
    assert.deepEqual(raw, [
      {id: t.id, flag: 1},
      {id: f.id, flag: 0},
    ]);
    const trues = await Thing.find({where: {flag: true}});
    assert.deepEqual(
      trues.map((r: any) => r.id),
      [t.id],
    );
    const falses = await Thing.find({where: {flag: false}});
    assert.deepEqual(
      falses.map((r: any) => r.id),
      [f.id],
    );
  });

  it('BIT(1) and CHAR(1) columns of a raw table read as booleans', async function () {
    const rows = await Flag.find({order: 'id ASC'});
    assert.deepEqual(
      rows.map((r: any) => [r.bitFlag, r.charFlag]),
      [
        [true, true],
        [false, false],
        [true, true],
        [false, false],
        [null, null],
      ],
    );
  });

  it('Object and Array properties with nested values', async function () {
    const obj = {a: 1, nested: {b: [1, 'two', {c: true}], d: null}, s: 'ü🎉'};
    const arr = [{x: 1}, {y: [2, 3]}, {z: {deep: 'yes'}}];
    const found = await roundTrip({obj, arr});
    assert.deepEqual(found.toObject().obj, obj);
    assert.deepEqual(JSON.parse(JSON.stringify(found.arr)), arr);
    const raw = await sql('SELECT obj, arr FROM Thing WHERE id = ?', [found.id]);
    assert.deepEqual(JSON.parse(raw[0].obj), obj);
    assert.deepEqual(JSON.parse(raw[0].arr), arr);
    await Thing.updateAll({id: found.id}, {obj: {replaced: [true]}});
    assert.deepEqual((await Thing.findById(found.id)).toObject().obj, {replaced: [true]});
  });

  it('Buffer (BLOB) keeps every byte', async function () {
    const bytes = Buffer.from([0, 1, 2, 127, 128, 200, 255, 0, 39, 92, 34]);
    const found = await roundTrip({bytes});
    assert.ok(Buffer.isBuffer(found.bytes));
    assert.deepEqual([...found.bytes], [...bytes]);
    const raw = await sql('SELECT HEX(bytes) AS h FROM Thing WHERE id = ?', [found.id]);
    assert.equal(raw[0].h, '0001027F80C8FF00275C22');
  });

  it('GeoPoint round-trips {lat, lng}', async function () {
    const found = await roundTrip({loc: {lat: 48.8584, lng: 2.2945}});
    assert.equal(found.loc.lat, 48.8584);
    assert.equal(found.loc.lng, 2.2945);
    const raw = await sql('SELECT ST_X(loc) AS x, ST_Y(loc) AS y FROM Thing WHERE id = ?', [
      found.id,
    ]);
    assert.deepEqual(raw, [{x: 2.2945, y: 48.8584}]);
  });

  it('an Object property with dataType json', async function () {
    const doc = {title: 'Hi', tags: ['a', 'b'], meta: {n: 1, ok: false, none: null}};
    const found = await roundTrip({doc});
    assert.deepEqual(found.toObject().doc, doc);
    const raw = await sql(
      "SELECT JSON_VALID(doc) AS v, JSON_VALUE(doc, '$.meta.n') AS n FROM Thing WHERE id = ?",
      [found.id],
    );
    assert.equal(Number(raw[0].v), 1);
    assert.equal(raw[0].n, '1');
    const hit = await Thing.find({where: {'doc.title': 'Hi'}});
    assert.deepEqual(
      hit.map((r: any) => r.id),
      [found.id],
    );
  });

  it('null for every type', async function () {
    const all = {
      str: null,
      text: null,
      num: null,
      big: null,
      price: null,
      flag: null,
      when: null,
      obj: null,
      arr: null,
      bytes: null,
      loc: null,
      doc: null,
    };
    const created = await Thing.create(all);
    const raw = await sql(
      'SELECT str, text, num, big, price, flag, `when`, obj, arr, bytes, loc, doc FROM Thing WHERE id = ?',
      [created.id],
    );
    assert.deepEqual(raw, [all]);
    const found = await Thing.findById(created.id);
    const obj = found.toObject();
    for (const key of Object.keys(all)) assert.equal(obj[key], null, key);
    // Set values can be nulled again.
    const full = await Thing.create({
      str: 's',
      text: 't',
      num: 1,
      big: '1',
      price: 1.5,
      flag: true,
      when: new Date(0),
      obj: {a: 1},
      arr: [{a: 1}],
      bytes: Buffer.from('x'),
      loc: {lat: 1, lng: 2},
      doc: {a: 1},
    });
    await full.updateAttributes(all);
    const raw2 = await sql(
      'SELECT str, text, num, big, price, flag, `when`, obj, arr, bytes, loc, doc FROM Thing WHERE id = ?',
      [full.id],
    );
    assert.deepEqual(raw2, [all]);
    const nulls = await Thing.find({where: {str: null, id: {inq: [created.id, full.id]}}});
    assert.equal(nulls.length, 2);
  });
});
