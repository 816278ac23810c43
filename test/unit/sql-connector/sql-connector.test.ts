import assert from 'node:assert/strict';
import type {ModelData, ParameterizedSQL} from '../../../src/sql-connector';
import {defineModel, FakeSqlConnector, type FakeResult} from '../../helpers/fake-sql-connector';

const BORN = new Date('2001-02-03T04:05:06.007Z');

function fakeConnector<T extends FakeSqlConnector>(connector: T): T {
  defineModel(connector, 'Person', {
    id: {type: Number, id: true, generated: true},
    name: {type: String},
    age: {type: Number},
    born: {type: Date},
    meta: {type: Object},
    firstName: {type: String, fake: {columnName: 'first_name'}},
  });
  return connector;
}

function render(connector: FakeSqlConnector, stmt: ParameterizedSQL | undefined) {
  assert.ok(stmt, 'expected a statement');
  const {sql, params} = connector.render(stmt);
  return {sql, params: [...params]};
}

/** Calls a juggler-style method and resolves with its callback's arguments. */
/** Calls a callback-style adapter (whose promise-or-undefined return value is ignored) and collects its results. */
function call<T extends unknown[]>(fn: (cb: (err: unknown, ...rest: T) => void) => unknown) {
  return new Promise<T>((resolve, reject) =>
    fn((err, ...rest) =>
      err
        ? reject(err instanceof Error ? err : new Error('callback error', {cause: err}))
        : resolve(rest),
    ),
  );
}

describe('SqlConnector (fake dialect)', () => {
  describe('statement builders', () => {
    const c = fakeConnector(new FakeSqlConnector());

    it('buildSelect', () => {
      assert.deepEqual(
        render(
          c,
          c.buildSelect('Person', {
            where: {name: 'a', age: {gt: 3}},
            order: ['firstName DESC'],
            limit: 10,
            skip: 20,
            fields: ['name', 'firstName'],
          }),
        ),
        {
          sql:
            'SELECT "name","first_name" AS "firstName" FROM "Person" WHERE "name"=$1 AND "age">$2 ' +
            'ORDER BY "first_name" DESC LIMIT $3 OFFSET $4',
          params: ['a', 3, 10, 20],
        },
      );
    });

    it('buildSelect without a filter', () => {
      assert.deepEqual(render(c, c.buildSelect('Person', {})), {
        sql: 'SELECT "id","name","age","born","meta","first_name" AS "firstName" FROM "Person" ORDER BY "id"',
        params: [],
      });
    });

    it('buildCount', () => {
      assert.deepEqual(render(c, c.buildCount('Person', {age: {between: [1, 9]}})), {
        sql: 'SELECT COUNT(*) AS cnt FROM "Person" WHERE "age" BETWEEN $1 AND $2',
        params: [1, 9],
      });
      assert.deepEqual(render(c, c.buildCount('Person', undefined)), {
        sql: 'SELECT COUNT(*) AS cnt FROM "Person"',
        params: [],
      });
    });

    it('buildInsert converts values with the dialect', () => {
      assert.deepEqual(
        render(c, c.buildInsert('Person', {name: 'a', born: BORN, meta: {x: 1}, extra: 'dropped'})),
        {
          sql: 'INSERT INTO "Person" ("name","born","meta") VALUES ($1,$2,$3)',
          params: ['a', '2001-02-03T04:05:06.007Z', '{"x":1}'],
        },
      );
    });

    it('buildUpdate patch sets the given properties, never the id', () => {
      assert.deepEqual(
        render(c, c.buildUpdate('Person', {id: 7}, {id: 99, age: 4, firstName: 'F'}, 'patch')),
        {
          sql: 'UPDATE "Person" SET "age"=$1,"first_name"=$2 WHERE "id"=$3',
          params: [4, 'F', 7],
        },
      );
    });

    it('buildUpdate replace sets every non-id property', () => {
      assert.deepEqual(
        render(c, c.buildUpdate('Person', {name: {inq: ['a', 'b']}}, {age: 1}, 'replace')),
        {
          sql:
            'UPDATE "Person" SET "name"=$1,"age"=$2,"born"=$3,"meta"=$4,"first_name"=$5 ' +
            'WHERE "name" IN ($6,$7)',
          params: [null, 1, null, null, null, 'a', 'b'],
        },
      );
    });

    it('buildUpdate without data is undefined, but still validates the where', () => {
      assert.equal(c.buildUpdate('Person', {name: 'a'}, {}, 'patch'), undefined);
      assert.equal(c.buildUpdate('Person', {name: 'a'}, {id: 1, unknown: 2}, 'patch'), undefined);
      assert.throws(() => c.buildUpdate('Person', {nope: 1}, {}, 'patch'), {
        name: 'InvalidFilterError',
      });
    });

    it('buildDelete', () => {
      assert.deepEqual(render(c, c.buildDelete('Person', {or: [{age: {lt: 1}}, {name: null}]})), {
        sql: 'DELETE FROM "Person" WHERE (("age"<$1) OR ("name" IS NULL))',
        params: [1],
      });
      assert.deepEqual(render(c, c.buildDelete('Person', {})), {
        sql: 'DELETE FROM "Person"',
        params: [],
      });
    });

    it('escapes inner double quotes in names', () => {
      const q = new FakeSqlConnector();
      defineModel(
        q,
        'Odd',
        {id: {type: Number, id: true}, v: {type: String, fake: {columnName: 'a"b'}}},
        {fake: {table: 't"x'}},
      );
      assert.deepEqual(render(q, q.buildDelete('Odd', {v: 'x'})), {
        sql: 'DELETE FROM "t""x" WHERE "a""b"=$1',
        params: ['x'],
      });
    });

    it('rejects values the dialect cannot store', () => {
      assert.throws(() => c.buildInsert('Person', {name: {$gt: ''}}), {
        name: 'InvalidValueError',
        statusCode: 400,
      });
      assert.throws(() => c.buildUpdate('Person', {id: 1}, {age: [1]}, 'patch'), {
        name: 'InvalidValueError',
        statusCode: 400,
      });
    });
  });

  describe('execution', () => {
    it('all() sends the rendered SELECT and maps columns to properties', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = () => ({rows: [{name: 'a', firstName: 'F'}]}); // the SELECT aliases columns to properties
      const [rows] = await call<[ModelData[]?]>((cb) =>
        c.all('Person', {where: {age: 3}, fields: ['name', 'firstName']}, {}, cb),
      );
      assert.deepEqual(c.statements, [
        {
          sql: 'SELECT "name","first_name" AS "firstName" FROM "Person" WHERE "age"=$1 ORDER BY "id"',
          params: [3],
        },
      ]);
      assert.deepEqual(rows, [{name: 'a', firstName: 'F'}]);
    });

    it('an update with empty data sends no UPDATE', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = (sql) => (sql.startsWith('SELECT COUNT') ? {rows: [{cnt: 2}]} : {rowCount: 5});
      const [result] = await call<[{count: number}?]>((cb) =>
        c.updateAll('Person', {name: 'a'}, {}, {}, cb),
      );
      const [result2] = await call<[{count: number}?]>((cb) =>
        c.update('Person', {name: 'a'}, {id: 3, notAProperty: 1, age: undefined}, {}, cb),
      );
      assert.deepEqual(result, {count: 2});
      assert.deepEqual(result2, {count: 2});
      assert.deepEqual(c.statements, [
        {sql: 'SELECT COUNT(*) AS cnt FROM "Person" WHERE "name"=$1', params: ['a']},
        {sql: 'SELECT COUNT(*) AS cnt FROM "Person" WHERE "name"=$1', params: ['a']},
      ]);
      assert.ok(c.statements.every((s) => !/^UPDATE/.test(s.sql)));
    });

    it('an update with data sends one UPDATE and reports its count', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = () => ({rowCount: 4});
      const [result] = await call<[{count: number}?]>((cb) =>
        c.update('Person', {age: {gte: 18}}, {name: 'adult'}, {}, cb),
      );
      assert.deepEqual(result, {count: 4});
      assert.deepEqual(c.statements, [
        {sql: 'UPDATE "Person" SET "name"=$1 WHERE "age">=$2', params: ['adult', 18]},
      ]);
    });

    it('an invalid where sends nothing', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      await assert.rejects(
        call((cb) => c.destroyAll('Person', {nope: 1}, {}, cb)),
        {name: 'InvalidFilterError', statusCode: 400},
      );
      assert.deepEqual(c.statements, []);
    });

    it('replaceOrCreate uses the dialect upsert', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = () => ({rowCount: 1, inserted: false});
      const [data, info] = await call<[ModelData?, {isNewInstance: boolean}?]>((cb) =>
        c.replaceOrCreate('Person', {id: 5, name: 'n'}, {}, cb),
      );
      assert.deepEqual(data, {id: 5, name: 'n'});
      assert.deepEqual(info, {isNewInstance: false});
      assert.deepEqual(c.statements, [
        {
          sql:
            'INSERT INTO "Person" ("id","name","age","born","meta","first_name") VALUES ($1,$2,$3,$4,$5,$6) ' +
            'ON CONFLICT ("id") DO UPDATE SET "name"=EXCLUDED."name","age"=EXCLUDED."age",' +
            '"born"=EXCLUDED."born","meta"=EXCLUDED."meta","first_name"=EXCLUDED."first_name"',
          params: [5, 'n', null, null, null, null],
        },
      ]);
    });

    it('findOrCreate creates when nothing is found', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = (sql) => (sql.startsWith('INSERT') ? {rowCount: 1, insertId: 42} : {rows: []});
      const [data, created] = await call<[ModelData?, boolean?]>((cb) =>
        c.findOrCreate('Person', {where: {name: 'x'}}, {name: 'x'}, {}, cb),
      );
      assert.deepEqual(data, {id: 42, name: 'x'});
      assert.equal(created, true);
      assert.deepEqual(c.statements, [
        {
          sql: 'SELECT "id","name","age","born","meta","first_name" AS "firstName" FROM "Person" WHERE "name"=$1 ORDER BY "id" LIMIT $2',
          params: ['x', 1],
        },
        {sql: 'INSERT INTO "Person" ("name") VALUES ($1)', params: ['x']},
      ]);
    });
  });

  describe('upsertWithWhere', () => {
    const SELECT =
      'SELECT "id","name","age","born","meta","first_name" AS "firstName" FROM "Person" ' +
      'WHERE "name"=$1 ORDER BY "id" LIMIT $2';

    it('patches the first matching row by id and returns it with the data over its stored values', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = (sql) =>
        sql.startsWith('SELECT')
          ? {rows: [{id: 3, name: 'a', age: 40, born: null, meta: null, firstName: 'Ann'}]}
          : {rowCount: 1};
      const [data, info] = await call<[ModelData?, {isNewInstance: boolean}?]>((cb) =>
        c.upsertWithWhere('Person', {name: 'a'}, {id: 99, age: 41}, {}, cb),
      );
      // The data's id is not written: the row keeps its own.
      assert.deepEqual(data, {id: 3, name: 'a', age: 41, firstName: 'Ann'});
      assert.deepEqual(info, {isNewInstance: false});
      assert.deepEqual(c.statements, [
        {sql: SELECT, params: ['a', 1]},
        {
          sql: 'UPDATE "Person" SET "age"=$1 WHERE (("name"=$2) AND ("id"=$3))',
          params: [41, 'a', 3],
        },
      ]);
    });

    it('looks again when the row found no longer matches at the UPDATE; gives up with a 409', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      let selects = 0;
      c.respond = (sql) => {
        if (sql.startsWith('SELECT')) return {rows: ++selects === 1 ? [{id: 3, name: 'a'}] : []};
        return sql.startsWith('INSERT') ? {rowCount: 1, insertId: 8} : {rowCount: 0};
      };
      const [data, info] = await call<[ModelData?, {isNewInstance: boolean}?]>((cb) =>
        c.upsertWithWhere('Person', {name: 'a'}, {age: 41}, {}, cb),
      );
      assert.deepEqual(data, {id: 8, name: 'a', age: 41});
      assert.deepEqual(info, {isNewInstance: true});
      assert.deepEqual(
        c.statements.map((s) => s.sql.split(' ')[0]),
        ['SELECT', 'UPDATE', 'SELECT', 'INSERT'],
      );

      const always = fakeConnector(new FakeSqlConnector());
      always.respond = (sql) => (sql.startsWith('SELECT') ? {rows: [{id: 3}]} : {rowCount: 0});
      await assert.rejects(
        call((cb) => always.upsertWithWhere('Person', {name: 'a'}, {age: 41}, {}, cb)),
        {code: 'CONCURRENT_MODIFICATION', statusCode: 409},
      );
      assert.equal(always.statements.length, 6);
    });

    it('inserts when nothing matches, with the values the where pins by equality', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = (sql) => (sql.startsWith('INSERT') ? {rowCount: 1, insertId: 42} : {rows: []});
      const [data, info] = await call<[ModelData?, {isNewInstance: boolean}?]>((cb) =>
        c.upsertWithWhere(
          'Person',
          {and: [{name: 'x'}, {age: {eq: 7}}], firstName: {like: 'A%'}},
          {firstName: 'Ann'},
          {},
          cb,
        ),
      );
      assert.deepEqual(data, {id: 42, name: 'x', age: 7, firstName: 'Ann'});
      assert.deepEqual(info, {isNewInstance: true});
      assert.deepEqual(c.statements, [
        {
          sql:
            'SELECT "id","name","age","born","meta","first_name" AS "firstName" FROM "Person" ' +
            'WHERE (("name"=$1) AND ("age"=$2)) AND "first_name" LIKE $3 ORDER BY "id" LIMIT $4',
          params: ['x', 7, 'A%', 1],
        },
        {
          sql: 'INSERT INTO "Person" ("name","age","first_name") VALUES ($1,$2,$3)',
          params: ['x', 7, 'Ann'],
        },
      ]);
    });

    it('the data wins over the where; or, operators and JSON columns pin nothing', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      c.respond = (sql) => (sql.startsWith('INSERT') ? {rowCount: 1, insertId: 1} : {rows: []});
      await call((cb) =>
        c.upsertWithWhere(
          'Person',
          {name: 'x', or: [{age: 1}], born: {gt: BORN}, meta: 'm'},
          {name: 'y'},
          {},
          cb,
        ),
      );
      assert.deepEqual(c.statements[1], {
        sql: 'INSERT INTO "Person" ("name") VALUES ($1)',
        params: ['y'],
      });
    });

    it('an invalid where or invalid data sends nothing', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      await assert.rejects(
        call((cb) => c.upsertWithWhere('Person', {nope: 1}, {name: 'x'}, {}, cb)),
        {name: 'InvalidFilterError', statusCode: 400},
      );
      await assert.rejects(
        call((cb) => c.upsertWithWhere('Person', {name: 'x'}, {age: {x: 1}}, {}, cb)),
        {statusCode: 400},
      );
      assert.deepEqual(c.statements, []);
    });

    it('runs under the lock of findOrCreate: the same where of the same table', async () => {
      const keys: string[] = [];
      class Locking extends FakeSqlConnector {
        protected override withLock<T>(
          key: string,
          options: Record<string, unknown>,
          work: (options: Record<string, unknown>) => Promise<T>,
        ): Promise<T> {
          keys.push(key);
          return work(options);
        }
      }
      const c = fakeConnector(new Locking());
      c.respond = (sql) => (sql.startsWith('INSERT') ? {rowCount: 1, insertId: 1} : {rows: []});
      await call((cb) => c.upsertWithWhere('Person', {name: 'x', age: 1}, {name: 'x'}, {}, cb));
      await call((cb) =>
        c.findOrCreate('Person', {where: {age: 1, name: 'x'}}, {name: 'x'}, {}, cb),
      );
      assert.equal(keys.length, 2);
      assert.equal(keys[0], keys[1]);
      assert.equal(keys[0], '"Person":{"age":1,"name":"x"}');
    });
  });

  describe('createAll', () => {
    class SmallStatements extends FakeSqlConnector {
      protected override maxStatementParams(): number {
        return 4;
      }
    }

    it('splits the INSERT into chunks under maxStatementParams and keeps row order', async () => {
      const c = fakeConnector(new SmallStatements());
      let nextId = 100;
      c.respond = (_sql, params) => {
        const rows = params.length / 2;
        const result: FakeResult = {rowCount: rows, insertId: nextId};
        nextId += rows;
        return result;
      };
      const input = [
        {name: 'a', age: 1},
        {name: 'b', age: 2},
        {name: 'c', age: 3},
        {name: 'd', age: 4},
        {name: 'e', age: 5},
      ];
      const [rows] = await call<[ModelData[]?]>((cb) => c.createAll('Person', input, {}, cb));
      assert.deepEqual(c.statements, [
        {
          sql: 'INSERT INTO "Person" ("name","age") VALUES ($1,$2),($3,$4)',
          params: ['a', 1, 'b', 2],
        },
        {
          sql: 'INSERT INTO "Person" ("name","age") VALUES ($1,$2),($3,$4)',
          params: ['c', 3, 'd', 4],
        },
        {sql: 'INSERT INTO "Person" ("name","age") VALUES ($1,$2)', params: ['e', 5]},
      ]);
      assert.deepEqual(rows, [
        {id: 100, name: 'a', age: 1},
        {id: 101, name: 'b', age: 2},
        {id: 102, name: 'c', age: 3},
        {id: 103, name: 'd', age: 4},
        {id: 104, name: 'e', age: 5},
      ]);
      assert.deepEqual(input[0], {name: 'a', age: 1}, 'the input is not modified');
    });

    it('never splits a row, even when one row exceeds the limit', async () => {
      const c = fakeConnector(new SmallStatements());
      const [rows] = await call<[ModelData[]?]>((cb) =>
        c.createAll(
          'Person',
          [
            {id: 1, name: 'a', age: 1, firstName: 'x', born: BORN},
            {id: 2, name: 'b', age: 2, firstName: 'y', born: BORN},
          ],
          {},
          cb,
        ),
      );
      assert.equal(c.statements.length, 2);
      assert.deepEqual(
        c.statements.map((s) => s.params[0]),
        [1, 2],
      );
      assert.equal(
        c.statements[0]?.sql,
        'INSERT INTO "Person" ("id","name","age","born","first_name") VALUES ($1,$2,$3,$4,$5)',
      );
      assert.deepEqual(
        rows?.map((r) => r.id),
        [1, 2],
      );
    });

    it('rows with and without ids go in separate statements; the result keeps the input order', async () => {
      const c = fakeConnector(new SmallStatements());
      c.respond = (sql) => (sql.includes('"id"') ? {rowCount: 1} : {rowCount: 2, insertId: 50});
      const [rows] = await call<[ModelData[]?]>((cb) =>
        c.createAll('Person', [{name: 'a'}, {id: 7, name: 'b'}, {name: 'c'}], {}, cb),
      );
      assert.deepEqual(c.statements, [
        {sql: 'INSERT INTO "Person" ("id","name") VALUES ($1,$2)', params: [7, 'b']},
        {sql: 'INSERT INTO "Person" ("name") VALUES ($1),($2)', params: ['a', 'c']},
      ]);
      assert.deepEqual(rows, [
        {id: 50, name: 'a'},
        {id: 7, name: 'b'},
        {id: 51, name: 'c'},
      ]);
    });

    it('uses one statement when the limit allows it', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      await call((cb) => c.createAll('Person', [{name: 'a'}, {name: 'b', age: 2}], {}, cb));
      assert.deepEqual(c.statements, [
        {
          sql: 'INSERT INTO "Person" ("name","age") VALUES ($1,$2),($3,$4)',
          params: ['a', null, 'b', 2],
        },
      ]);
    });

    it('sends nothing for an empty array', async () => {
      const c = fakeConnector(new FakeSqlConnector());
      const [rows] = await call<[ModelData[]?]>((cb) => c.createAll('Person', [], {}, cb));
      assert.deepEqual(rows, []);
      assert.deepEqual(c.statements, []);
    });
  });
});
