import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import {
  buildFieldList,
  buildProjection,
  type ColumnMapping,
  type Filter,
} from '../../../src/sql-connector';
import {defineModel, FakeSqlConnector} from '../../helpers/fake-sql-connector';

function mysqlConnector(): MySQL {
  const mysql = new MySQL({});
  defineModel(mysql, 'Person', {
    id: {type: Number, id: true},
    name: {type: String},
    age: {type: Number},
    firstName: {type: String, mysql: {columnName: 'first_name'}},
  });
  return mysql;
}

function assertInvalidFilter(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'InvalidFilterError', `got ${err.name}: ${err.message}`);
    assert.equal((err as {statusCode?: unknown}).statusCode, 400);
    return true;
  });
}

const properties = (columns: readonly ColumnMapping[]) => columns.map((c) => c.property);

describe('fields', () => {
  const mysql = mysqlConnector();
  const mapping = mysql.getModelMapping('Person');

  describe('buildSelect projection', () => {
    const cases: {name: string; fields: unknown; columns: string}[] = [
      {
        name: 'no fields: every column',
        fields: undefined,
        columns: '`id`,`name`,`age`,`first_name` AS `firstName`',
      },
      {name: 'null', fields: null, columns: '`id`,`name`,`age`,`first_name` AS `firstName`'},
      {
        name: 'empty array: every column',
        fields: [],
        columns: '`id`,`name`,`age`,`first_name` AS `firstName`',
      },
      {
        name: 'empty object: every column',
        fields: {},
        columns: '`id`,`name`,`age`,`first_name` AS `firstName`',
      },
      {name: 'array', fields: ['name'], columns: '`name`'},
      {name: 'array keeps the model order', fields: ['age', 'id'], columns: '`id`,`age`'},
      {name: 'array with duplicates', fields: ['name', 'name'], columns: '`name`'},
      {name: 'single string', fields: 'age', columns: '`age`'},
      {name: 'object include', fields: {name: true, age: true}, columns: '`name`,`age`'},
      {name: 'object include with 1', fields: {age: 1}, columns: '`age`'},
      {name: 'include wins over exclude', fields: {name: true, age: false}, columns: '`name`'},
      {
        name: 'object exclude',
        fields: {name: false},
        columns: '`id`,`age`,`first_name` AS `firstName`',
      },
      {
        name: 'object exclude with 0',
        fields: {name: 0, age: 0},
        columns: '`id`,`first_name` AS `firstName`',
      },
      {name: 'mapped column', fields: ['firstName'], columns: '`first_name` AS `firstName`'},
    ];
    for (const c of cases) {
      it(c.name, () => {
        const stmt = mysql.buildSelect('Person', {fields: c.fields as Filter['fields']});
        assert.equal(stmt.sql, `SELECT ${c.columns} FROM \`Person\` ORDER BY \`id\``);
        assert.deepEqual(stmt.params, []);
      });
    }

    it('the fake dialect quotes the projection its own way', () => {
      const fake = new FakeSqlConnector();
      defineModel(fake, 'Person', {
        id: {type: Number, id: true},
        name: {type: String},
        odd: {type: String, fake: {columnName: 'we"ird'}},
      });
      assert.equal(
        fake.buildSelect('Person', {fields: {name: false}}).sql,
        'SELECT "id","we""ird" AS "odd" FROM "Person" ORDER BY "id"',
      );
    });
  });

  describe('rejections (400)', () => {
    const rejected: {name: string; fields: unknown}[] = [
      {name: 'unknown name in an array', fields: ['name', 'nope']},
      {name: 'unknown string', fields: 'nope'},
      {name: 'unknown include', fields: {nope: true}},
      {name: 'unknown exclude', fields: {nope: false}},
      {name: 'column name instead of property name', fields: ['first_name']},
      {name: 'SQL expression', fields: ['COUNT(*)']},
      {name: 'star', fields: ['*']},
      {name: '__proto__ in an array', fields: ['__proto__']},
      {name: '__proto__ key', fields: JSON.parse('{"__proto__": true}')},
      {name: 'non-string in an array', fields: [1]},
      {name: 'number', fields: 5},
      {name: 'boolean', fields: true},
    ];
    for (const c of rejected) {
      it(c.name, () => {
        assertInvalidFilter(() =>
          mysql.buildSelect('Person', {fields: c.fields as Filter['fields']}),
        );
        assertInvalidFilter(() => buildProjection(mapping, c.fields));
      });
    }
  });

  describe('buildProjection', () => {
    it('returns the mapping columns themselves', () => {
      assert.equal(buildProjection(mapping, undefined), mapping.columns);
      assert.deepEqual(properties(buildProjection(mapping, ['age', 'name'])), ['name', 'age']);
      assert.deepEqual(properties(buildProjection(mapping, {id: false, age: 'false'})), [
        'name',
        'firstName',
      ]);
    });
  });

  describe('buildFieldList', () => {
    const convert = (c: ColumnMapping, v: unknown) => `${c.property}:${String(v)}`;

    it('patch: only the properties present, converted, in model order', () => {
      const list = buildFieldList(
        mapping,
        {age: 3, id: 1, name: 'a', unknown: 'x', firstName: undefined},
        {mode: 'patch', excludeIds: false},
        convert,
      );
      assert.deepEqual(properties(list.columns), ['id', 'name', 'age']);
      assert.deepEqual(list.values, ['id:1', 'name:a', 'age:3']);
    });

    it('patch: a null value is kept (and handed to the conversion), undefined is left out', () => {
      const list = buildFieldList(
        mapping,
        {name: null, age: undefined},
        {mode: 'patch', excludeIds: true},
        convert,
      );
      assert.deepEqual(properties(list.columns), ['name']);
      assert.deepEqual(list.values, ['name:null']);
    });

    it('replace: every property, NULL for the missing ones', () => {
      const list = buildFieldList(
        mapping,
        {name: 'a'},
        {mode: 'replace', excludeIds: false},
        convert,
      );
      assert.deepEqual(properties(list.columns), ['id', 'name', 'age', 'firstName']);
      assert.deepEqual(list.values, [null, 'name:a', null, null]);
    });

    it('excludeIds leaves the id out', () => {
      const list = buildFieldList(
        mapping,
        {id: 1, name: 'a'},
        {mode: 'replace', excludeIds: true},
        convert,
      );
      assert.deepEqual(properties(list.columns), ['name', 'age', 'firstName']);
      assert.deepEqual(list.values, ['name:a', null, null]);
    });

    it('ignores inherited keys', () => {
      const data = Object.create({name: 'inherited'}) as Record<string, unknown>;
      data.age = 1;
      const list = buildFieldList(mapping, data, {mode: 'patch', excludeIds: false}, convert);
      assert.deepEqual(properties(list.columns), ['age']);
    });
  });
});
