import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import type {ModelData, Options} from '../../../src/sql-connector';
import {defineModel} from '../../helpers/fake-sql-connector';

/** A MySQL connector whose "driver" records statements and answers with canned results; no server. */
class Recording extends MySQL {
  readonly statements: {sql: string; params: readonly unknown[]}[] = [];
  rows: Record<string, unknown>[] = [];

  protected override executeSQL(sql: string, params: readonly unknown[]): Promise<unknown> {
    this.statements.push({sql, params});
    if (sql.startsWith('SELECT GET_LOCK')) return Promise.resolve([{locked: 1}]);
    if (sql.startsWith('SELECT')) return Promise.resolve(this.rows);
    if (sql.startsWith('INSERT')) return Promise.resolve({affectedRows: 1, insertId: 7});
    return Promise.resolve({affectedRows: 1, info: 'Rows matched: 1  Changed: 1  Warnings: 0'});
  }
}

function connector(): Recording {
  const c = new Recording({});
  defineModel(c, 'Person', {
    id: {type: Number, id: true, generated: true},
    email: {type: String},
    name: {type: String},
  });
  return c;
}

/** A transaction of `c` on a stand-in connection: statements go through executeSQL, the lock is not released. */
function inTransaction(c: MySQL): Options {
  return {transaction: {connector: c, connection: {threadId: 1, query() {}}}};
}

describe('MySQL upsertWithWhere (statements)', () => {
  it('takes the where lock, reads the first match by id, patches that row while it still matches', async () => {
    const c = connector();
    c.rows = [{id: 3, email: 'a@x.io', name: 'A'}];
    const [data, info] = (await c.upsertWithWhereAsync(
      'Person',
      {email: 'a@x.io'},
      {name: 'B'},
      inTransaction(c),
    )) as [ModelData, {isNewInstance: boolean}];
    assert.deepEqual(data, {id: 3, email: 'a@x.io', name: 'B'});
    assert.deepEqual(info, {isNewInstance: false});
    assert.deepEqual(
      c.statements.map((s) => s.sql),
      [
        'SELECT GET_LOCK(?,?) AS locked',
        'SELECT `id`,`email`,`name` FROM `Person` WHERE `email`=? ORDER BY `id` LIMIT ?',
        'UPDATE `Person` SET `name`=? WHERE ((`email`=?) AND (`id`=?))',
      ],
    );
    assert.match(String(c.statements[0]?.params[0]), /^lb:[0-9a-f]{40}$/);
    assert.deepEqual(
      c.statements.slice(1).map((s) => s.params),
      [
        ['a@x.io', 1],
        ['B', 'a@x.io', 3],
      ],
    );
  });

  it('inserts with the where values when nothing matches; the lock is held to the end of the transaction', async () => {
    const c = connector();
    const [data, info] = (await c.upsertWithWhereAsync(
      'Person',
      {email: 'a@x.io'},
      {name: 'B'},
      inTransaction(c),
    )) as [ModelData, {isNewInstance: boolean}];
    assert.deepEqual(data, {id: 7, email: 'a@x.io', name: 'B'});
    assert.deepEqual(info, {isNewInstance: true});
    assert.deepEqual(c.statements[0]?.sql, 'SELECT GET_LOCK(?,?) AS locked');
    assert.deepEqual(c.statements.slice(1), [
      {
        sql: 'SELECT `id`,`email`,`name` FROM `Person` WHERE `email`=? ORDER BY `id` LIMIT ?',
        params: ['a@x.io', 1],
      },
      {sql: 'INSERT INTO `Person` (`email`,`name`) VALUES (?,?)', params: ['a@x.io', 'B']},
    ]);
    assert.ok(!c.statements.some((s) => s.sql.includes('RELEASE_LOCK')));
  });

  it('findOrCreate with the same where takes the same lock', async () => {
    const c = connector();
    await c.upsertWithWhereAsync('Person', {email: 'a@x.io'}, {name: 'B'}, inTransaction(c));
    await c.findOrCreateAsync('Person', {where: {email: 'a@x.io'}}, {name: 'B'}, inTransaction(c));
    const locks = c.statements.filter((s) => s.sql.startsWith('SELECT GET_LOCK'));
    assert.equal(locks.length, 2);
    assert.equal(locks[0]?.params[0], locks[1]?.params[0]);
  });
});
