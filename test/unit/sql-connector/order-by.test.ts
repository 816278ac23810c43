import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import type {Filter, ParameterizedSQL} from '../../../src/sql-connector';
import {defineModel, FakeSqlConnector} from '../../helpers/fake-sql-connector';

function mysqlConnector(): MySQL {
  const mysql = new MySQL({});
  defineModel(mysql, 'Person', {
    id: {type: Number, id: true},
    name: {type: String},
    age: {type: Number},
    meta: {type: Object},
    firstName: {type: String, mysql: {columnName: 'first_name'}},
  });
  return mysql;
}

const SELECT = 'SELECT `id`,`name`,`age`,`meta`,`first_name` AS `firstName` FROM `Person`';

function select(mysql: MySQL, filter: Filter): {sql: string; params: unknown[]} {
  const stmt: ParameterizedSQL = mysql.buildSelect('Person', filter);
  return {sql: stmt.sql, params: [...stmt.params]};
}

function assertInvalidFilter(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'InvalidFilterError', `got ${err.name}: ${err.message}`);
    assert.equal((err as {statusCode?: unknown}).statusCode, 400);
    return true;
  });
}

describe('order', () => {
  const mysql = mysqlConnector();

  const cases: {name: string; order: unknown; orderBy: string; params?: unknown[]}[] = [
    {name: 'default: by id', order: undefined, orderBy: '`id`'},
    {name: 'empty string: by id', order: '', orderBy: '`id`'},
    {name: 'empty array: by id', order: [], orderBy: '`id`'},
    {name: 'a property', order: 'name', orderBy: '`name` ASC'},
    {name: 'ASC', order: 'name ASC', orderBy: '`name` ASC'},
    {name: 'DESC', order: 'name DESC', orderBy: '`name` DESC'},
    {name: 'lower-case direction', order: 'name desc', orderBy: '`name` DESC'},
    {name: 'extra whitespace', order: '  name   DESC ', orderBy: '`name` DESC'},
    {name: 'array', order: ['name DESC', 'age'], orderBy: '`name` DESC,`age` ASC'},
    {name: 'comma list', order: 'name DESC, age ASC', orderBy: '`name` DESC,`age` ASC'},
    {name: 'comma list in an array', order: ['age,name DESC'], orderBy: '`age` ASC,`name` DESC'},
    {name: 'trailing comma', order: 'name,', orderBy: '`name` ASC'},
    {name: 'mapped column', order: 'firstName DESC', orderBy: '`first_name` DESC'},
    {
      name: 'nested path of an Object property',
      order: 'meta.rank DESC',
      orderBy: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?)) DESC',
      params: ['$."rank"'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(select(mysql, {order: c.order as Filter['order']}), {
        sql: `${SELECT} ORDER BY ${c.orderBy}`,
        params: c.params ?? [],
      });
    });
  }

  it('puts WHERE parameters before ORDER BY parameters before LIMIT', () => {
    assert.deepEqual(select(mysql, {where: {name: 'a'}, order: 'meta.x', limit: 3}), {
      sql: `${SELECT} WHERE \`name\`=? ORDER BY JSON_UNQUOTE(JSON_EXTRACT(\`meta\`,?)) ASC LIMIT ?`,
      params: ['a', '$."x"', 3],
    });
  });

  it('composite ids order by every id, in id order', () => {
    const c = new MySQL({});
    defineModel(c, 'Pair', {
      b: {type: Number, id: 2},
      a: {type: Number, id: 1},
      v: {type: String},
    });
    assert.equal(c.buildSelect('Pair', {}).sql, 'SELECT `b`,`a`,`v` FROM `Pair` ORDER BY `a`,`b`');
  });

  it('a model without id has no default order', () => {
    const c = new MySQL({});
    defineModel(c, 'Log', {msg: {type: String}});
    assert.equal(c.buildSelect('Log', {}).sql, 'SELECT `msg` FROM `Log`');
  });

  it('the fake dialect quotes its own way', () => {
    const fake = new FakeSqlConnector();
    defineModel(fake, 'Person', {id: {type: Number, id: true}, name: {type: String}});
    assert.equal(
      fake.buildSelect('Person', {order: ['name DESC', 'id']}).sql,
      'SELECT "id","name" FROM "Person" ORDER BY "name" DESC,"id" ASC',
    );
    assert.equal(
      fake.buildSelect('Person', {}).sql,
      'SELECT "id","name" FROM "Person" ORDER BY "id"',
    );
    assertInvalidFilter(() => fake.buildSelect('Person', {order: 'name.x'}));
  });

  describe('rejections (400)', () => {
    const rejected: {name: string; order: unknown}[] = [
      {name: 'invalid direction', order: 'name UP'},
      {name: 'two directions', order: 'name ASC DESC'},
      {name: 'unknown property', order: 'nope'},
      {name: 'unknown property in an array', order: ['name', 'nope DESC']},
      {name: 'SQL after the name', order: 'name; DROP TABLE x'},
      {name: 'quoted identifier in a comma list', order: 'name ASC, `x`'},
      {name: 'expression', order: 'RAND()'},
      {name: 'column number', order: '1'},
      {name: 'subquery', order: '(SELECT 1)'},
      {name: 'comment', order: 'name/**/DESC'},
      {name: '__proto__', order: '__proto__'},
      {name: 'not a string', order: 5},
      {name: 'array of non-strings', order: [{name: 1}]},
      {name: 'object', order: {name: 'DESC'}},
      {name: 'nested path on a non-object property', order: 'name.x'},
    ];
    for (const c of rejected) {
      it(c.name, () => {
        assertInvalidFilter(() => mysql.buildSelect('Person', {order: c.order as Filter['order']}));
      });
    }
  });
});

describe('limit and skip', () => {
  const mysql = mysqlConnector();
  const ORDERED = `${SELECT} ORDER BY \`id\``;

  const cases: {name: string; filter: Filter; tail: string; params: unknown[]}[] = [
    {name: 'limit', filter: {limit: 10}, tail: ' LIMIT ?', params: [10]},
    {name: 'limit 0', filter: {limit: 0}, tail: ' LIMIT ?', params: [0]},
    {
      name: 'limit and skip',
      filter: {limit: 10, skip: 20},
      tail: ' LIMIT ? OFFSET ?',
      params: [10, 20],
    },
    {
      name: 'limit and offset',
      filter: {limit: 10, offset: 5},
      tail: ' LIMIT ? OFFSET ?',
      params: [10, 5],
    },
    {
      name: 'skip only: the largest BIGINT UNSIGNED',
      filter: {skip: 5},
      tail: ' LIMIT 18446744073709551615 OFFSET ?',
      params: [5],
    },
    {name: 'skip 0 is no offset', filter: {skip: 0}, tail: '', params: []},
    {
      name: 'numeric strings',
      filter: {limit: '3', skip: '4'} as unknown as Filter,
      tail: ' LIMIT ? OFFSET ?',
      params: [3, 4],
    },
    {name: 'null limit', filter: {limit: null} as unknown as Filter, tail: '', params: []},
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(select(mysql, c.filter), {sql: ORDERED + c.tail, params: c.params});
    });
  }

  it('the fake dialect keeps the base LIMIT ALL for skip only', () => {
    const fake = new FakeSqlConnector();
    defineModel(fake, 'Person', {id: {type: Number, id: true}});
    const stmt = fake.render(fake.buildSelect('Person', {skip: 5}));
    assert.equal(stmt.sql, 'SELECT "id" FROM "Person" ORDER BY "id" LIMIT ALL OFFSET $1');
    assert.deepEqual(stmt.params, [5]);
  });

  describe('rejections (400)', () => {
    const rejected: {name: string; filter: Record<string, unknown>}[] = [
      {name: 'negative limit', filter: {limit: -1}},
      {name: 'fractional limit', filter: {limit: 1.5}},
      {name: 'NaN limit', filter: {limit: NaN}},
      {name: 'Infinity limit', filter: {limit: Infinity}},
      {name: 'non-numeric string limit', filter: {limit: '10; DROP TABLE x'}},
      {name: 'empty string limit', filter: {limit: ''}},
      {name: 'object limit', filter: {limit: {gt: 1}}},
      {name: 'negative skip', filter: {skip: -5}},
      {name: 'fractional skip', filter: {skip: 0.5}},
      {name: 'negative offset', filter: {offset: -1}},
      {name: 'unsafe integer', filter: {limit: 2 ** 53}},
    ];
    for (const c of rejected) {
      it(c.name, () => {
        assertInvalidFilter(() => mysql.buildSelect('Person', c.filter));
      });
    }
  });
});
