import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import {describeServer} from '../../../src/mysql/server';
import type {FieldList} from '../../../src/sql-connector/fields';
import type {JugglerType} from '../../../src/sql-connector/juggler-types';
import type {ModelMapping} from '../../../src/sql-connector/model-mapping';
import {ParameterizedSQL} from '../../../src/sql-connector/parameterized-sql';
import {buildInsertRows} from '../../../src/sql-connector/statements';
import {defineModel} from '../../helpers/fake-sql-connector';

/** juggler's GeoPoint class, by name (class constructors need a cast to JugglerType). */
const GeoPoint = class GeoPoint {} as unknown as JugglerType;

/** The connector's upserts (src/mysql/upsert.ts), private to it. */
interface Upserts {
  upserts: {
    buildUpsert(mapping: ModelMapping, fields: FieldList): ParameterizedSQL;
    otherUniqueKeys: Map<string, boolean>;
  };
}

function connector(): MySQL {
  const c = new MySQL({});
  defineModel(c, 'Item', {
    id: {type: Number, id: true},
    name: {type: String},
    qty: {type: Number},
    at: {type: GeoPoint},
  });
  return c;
}

function upsert(c: MySQL, data: Record<string, unknown>) {
  const mapping = c.getModelMapping('Item');
  const columns = mapping.columns.filter((col) => data[col.property] !== undefined);
  const fields = {
    columns,
    values: columns.map((col) => c.toColumnValue(col, data[col.property])),
  };
  return (c as unknown as Upserts).upserts.buildUpsert(mapping, fields);
}

describe('MySQL statement texts, built once per shape', () => {
  it('an INSERT with other values reuses the text and carries its own values', () => {
    const c = connector();
    const first = c.buildInsert('Item', {id: 1, name: 'a'});
    const second = c.buildInsert('Item', {id: 2, name: 'b'});
    assert.equal(first.sql, 'INSERT INTO `Item` (`id`,`name`) VALUES (?,?)');
    assert.equal(second.sql, first.sql);
    assert.deepEqual(second.params, [2, 'b']);
  });

  it('an INSERT with another column list gets its own text', () => {
    const c = connector();
    c.buildInsert('Item', {id: 1, name: 'a'});
    const other = c.buildInsert('Item', {id: 1, qty: 3});
    assert.equal(other.sql, 'INSERT INTO `Item` (`id`,`qty`) VALUES (?,?)');
    assert.deepEqual(other.params, [1, 3]);
  });

  it('a value that is SQL is spliced in, and never cached under the plain shape', () => {
    const c = connector();
    const point = c.buildInsert('Item', {id: 1, at: {lat: 1, lng: 2}});
    assert.equal(point.sql, 'INSERT INTO `Item` (`id`,`at`) VALUES (?,POINT(?,?))');
    assert.deepEqual(point.params, [1, 2, 1]);
    // Same columns, but no SQL value: a NULL point takes a plain placeholder.
    const none = c.buildInsert('Item', {id: 2, at: null});
    assert.equal(none.sql, 'INSERT INTO `Item` (`id`,`at`) VALUES (?,?)');
    assert.deepEqual(none.params, [2, null]);
    assert.equal(c.buildInsert('Item', {id: 3, at: {lat: 5, lng: 6}}).sql, point.sql);
  });

  it('a model defined again is built afresh', () => {
    const c = connector();
    c.buildInsert('Item', {id: 1, name: 'a'});
    defineModel(c, 'Item', {
      id: {type: Number, id: true},
      name: {type: String, mysql: {columnName: 'label'}},
    });
    assert.equal(
      c.buildInsert('Item', {id: 1, name: 'a'}).sql,
      'INSERT INTO `Item` (`id`,`label`) VALUES (?,?)',
    );
  });

  it('the upsert clause follows the server: VALUES() before connecting and on MariaDB, the row alias on MySQL 8', () => {
    const c = connector();
    const before = upsert(c, {id: 1, name: 'a'});
    assert.equal(
      before.sql,
      'INSERT INTO `Item` (`id`,`name`) VALUES (?,?) ON DUPLICATE KEY UPDATE ' +
        '`name`=IF(`Item`.`id`<=>VALUES(`id`),VALUES(`name`),`Item`.`name`)',
    );
    c.assumeServerForTests(describeServer({version: '8.4.3'}));
    const mysql8 = upsert(c, {id: 2, name: 'b'});
    assert.equal(
      mysql8.sql,
      'INSERT INTO `Item` (`id`,`name`) VALUES (?,?) AS _lb_new ON DUPLICATE KEY UPDATE ' +
        '`name`=IF(`Item`.`id`<=>_lb_new.`id`,_lb_new.`name`,`Item`.`name`)',
    );
    assert.deepEqual(mysql8.params, [2, 'b']);
    c.assumeServerForTests(describeServer({version: '10.11.6-MariaDB'}));
    assert.equal(upsert(c, {id: 3, name: 'c'}).sql, before.sql);
  });

  it('the upsert guard follows what is known of the table keys', () => {
    const c = connector();
    const guarded = upsert(c, {id: 1, qty: 2});
    assert.match(guarded.sql, /`qty`=IF\(/);
    // What loadOtherUniqueKeys records once it has read the table: no unique key besides the primary key.
    (c as unknown as Upserts).upserts.otherUniqueKeys.set('`Item`', false);
    const plain = upsert(c, {id: 1, qty: 2});
    assert.equal(
      plain.sql,
      'INSERT INTO `Item` (`id`,`qty`) VALUES (?,?) ON DUPLICATE KEY UPDATE `qty`=VALUES(`qty`)',
    );
  });
});

describe('buildInsertRows', () => {
  const c = connector();
  const mapping = c.getModelMapping('Item');
  const [id, name] = mapping.columns;

  it('plain rows share one tuple and one flat parameter list', () => {
    const stmt = buildInsertRows(
      mapping,
      [id!, name!],
      [
        [1, 'a'],
        [2, null],
        [3, 'c'],
      ],
    );
    assert.equal(stmt.sql, 'INSERT INTO `Item` (`id`,`name`) VALUES (?,?),(?,?),(?,?)');
    assert.deepEqual(stmt.params, [1, 'a', 2, null, 3, 'c']);
  });

  it('a row with an SQL value splices it in and keeps the other rows as they are', () => {
    const stmt = buildInsertRows(
      mapping,
      [id!, name!],
      [
        [1, 'a'],
        [2, new ParameterizedSQL('UPPER(?)', ['b'])],
      ],
    );
    assert.equal(stmt.sql, 'INSERT INTO `Item` (`id`,`name`) VALUES (?,?),(?,UPPER(?))');
    assert.deepEqual(stmt.params, [1, 'a', 2, 'b']);
  });

  it('a row without columns inserts the defaults', () => {
    assert.equal(buildInsertRows(mapping, [], [[]]).sql, 'INSERT INTO `Item` () VALUES ()');
  });
});
