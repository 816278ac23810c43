/*
 * Direct users of the connector: every method that takes a callback returns a promise when called without one.
 */
import assert from 'node:assert/strict';
import {MySQL} from '../../src';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

describe('promise API (integration)', () => {
  let db: string;
  let connector: MySQL;

  before(async () => {
    db = await createDatabase('promise');
    connector = new MySQL(dataSourceSettings(db));
    connector.define({
      model: {modelName: 'Note'},
      properties: {id: {type: Number, id: true, generated: true}, text: {type: String}},
      settings: {},
    });
    await connector.connect();
    await connector.automigrate(['Note']);
  });

  after(async () => {
    await connector.disconnect();
    if (db) await dropDatabase(db);
  });

  it('answers CRUD calls made without a callback with promises', async () => {
    const id = await connector.create('Note', {text: 'a'}, {});
    assert.equal(typeof id, 'number');
    const all = await connector.createAll('Note', [{text: 'b'}, {text: 'c'}], {});
    assert.deepEqual(
      all?.map((r) => r.text),
      ['b', 'c'],
    );
    assert.deepEqual(
      (await connector.all('Note', {where: {text: 'a'}}, {}))?.map((r) => r.id),
      [id],
    );
    assert.equal(await connector.count('Note', {}, {}), 3);
    assert.equal(await connector.exists('Note', id, {}), true);
    assert.deepEqual(await connector.update('Note', {text: 'b'}, {text: 'bb'}, {}), {count: 1});
    assert.deepEqual(await connector.updateOrCreate('Note', {id, text: 'aa'}, {}), [
      {id, text: 'aa'},
      {isNewInstance: false},
    ]);
    const [found, created] =
      (await connector.findOrCreate('Note', {where: {text: 'aa'}}, {text: 'aa'}, {})) ?? [];
    assert.equal(created, false);
    assert.equal(found?.id, id);
    assert.deepEqual(await connector.destroyAll('Note', {text: 'c'}, {}), {count: 1});
    assert.equal(await connector.count('Note', {}, {}), 2);
    const rows = (await connector.execute('SELECT COUNT(*) AS n FROM Note', [], {})) as {
      n: number;
    }[];
    assert.equal(Number(rows[0]?.n), 2);
    await connector.ping();
  });

  it('runs transactions with promises', async () => {
    const connection = await connector.beginTransaction('READ COMMITTED');
    await connector.execute('INSERT INTO Note (text) VALUES (?)', ['in-tx'], {
      transaction: {connector, connection},
    });
    await connector.rollback(connection);
    assert.equal(await connector.count('Note', {text: 'in-tx'}, {}), 0);
  });
});
