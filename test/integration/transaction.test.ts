/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Transactions through juggler models, against the real server.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as connector from '../../src';
import {rejection} from '../helpers/assertions';
import {createDatabase, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

/** information_schema.INNODB_TRX is a snapshot refreshed at most every 0.1 s: wait for a fresh one. */
const TRX_LEVEL_SQL =
  'SELECT trx_isolation_level AS level FROM information_schema.INNODB_TRX ' +
  'WHERE trx_mysql_thread_id = CONNECTION_ID()';
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('transaction (integration)', function () {
  let db: string;
  const dataSources: any[] = [];

  /** A data source with an `Entry` model; its table is created by the first one. */
  function makeDataSource(overrides: Record<string, unknown> = {}): {ds: any; Entry: any} {
    const ds = new DataSource(connector, dataSourceSettings(db, overrides));
    dataSources.push(ds);
    const Entry = ds.define('Entry', {
      id: {type: Number, id: true, generated: true},
      name: String,
    });
    return {ds, Entry};
  }

  let ds: any;
  let Entry: any;

  before(async function () {
    db = await createDatabase('tx');
    ({ds, Entry} = makeDataSource());
    await ds.automigrate();
  });

  beforeEach(() => Entry.destroyAll());

  after(async function () {
    for (const d of dataSources) await d.disconnect();
    if (db) await dropDatabase(db);
  });

  function names(rows: any[]): string[] {
    return rows.map((r) => r.name as string).sort();
  }

  it('create + commit is visible', async function () {
    const tx = await Entry.beginTransaction({isolationLevel: 'READ COMMITTED'});
    const created = await Entry.create({name: 'committed'}, {transaction: tx});
    assert.equal(typeof created.id, 'number');
    await tx.commit();
    assert.deepEqual(names(await Entry.find()), ['committed']);
    assert.equal((await Entry.findById(created.id)).name, 'committed');
  });

  it('rollback is invisible', async function () {
    const tx = await Entry.beginTransaction({isolationLevel: 'READ COMMITTED'});
    await Entry.create({name: 'rolled back'}, {transaction: tx});
    assert.equal(await Entry.count({}, {transaction: tx}), 1);
    await tx.rollback();
    assert.equal(await Entry.count(), 0);
  });

  it('statements with {transaction} run on the transaction connection', async function () {
    await Entry.create({name: 'before'});
    const tx = await Entry.beginTransaction({isolationLevel: 'READ COMMITTED'});
    try {
      const opts = {transaction: tx};
      await Entry.create({name: 'inside'}, opts);
      await Entry.updateAll({name: 'before'}, {name: 'changed'}, opts);
      // Inside: the transaction's own writes.
      assert.deepEqual(names(await Entry.find({}, opts)), ['changed', 'inside']);
      assert.equal(await Entry.count({}, opts), 2);
      // Outside: nothing of it before the commit.
      assert.deepEqual(names(await Entry.find()), ['before']);
      assert.equal(await Entry.count({name: 'inside'}), 0);
      const [{id: txConnection}] = await ds.connector.execute(
        'SELECT CONNECTION_ID() AS id',
        [],
        opts,
      );
      assert.equal(txConnection, tx.connection.threadId);
      const [{n}] = await ds.connector.execute('SELECT COUNT(*) AS n FROM Entry', [], opts);
      assert.equal(Number(n), 2);
    } finally {
      await tx.commit();
    }
    assert.deepEqual(names(await Entry.find()), ['changed', 'inside']);
  });

  it('applies the isolation level to the transaction and does not leak it', async function () {
    const {ds: single, Entry: E1} = makeDataSource({connectionLimit: 1});
    const tx = await E1.beginTransaction({isolationLevel: 'SERIALIZABLE'});
    await E1.create({name: 'serial'}, {transaction: tx});
    await settle();
    const [{level}] = await single.connector.execute(TRX_LEVEL_SQL, [], {transaction: tx});
    assert.equal(level, 'SERIALIZABLE');
    await tx.commit();
    // MySQL 8+ and MariaDB 11.1+ name it transaction_isolation, MariaDB before 11.1 tx_isolation.
    const levels = await single.execute(
      "SHOW SESSION VARIABLES WHERE Variable_name IN ('transaction_isolation', 'tx_isolation')",
    );
    assert.ok(levels.length > 0);
    for (const {Value} of levels) assert.equal(Value, 'REPEATABLE-READ');
    // The next transaction on the single connection has the server's default level.
    await single.execute('START TRANSACTION');
    try {
      await single.execute('SELECT COUNT(*) FROM Entry FOR UPDATE');
      await settle();
      const [{level: next}] = await single.execute(TRX_LEVEL_SQL);
      assert.equal(next, 'REPEATABLE READ');
    } finally {
      await single.execute('COMMIT');
    }
    assert.deepEqual(names(await E1.find()), ['serial']);
  });

  it('a transaction of another data source is a 400 and leaks no connection', async function () {
    this.timeout(5000);
    const {ds: single, Entry: E1} = makeDataSource({connectionLimit: 1});
    const {Entry: E2} = makeDataSource();
    const foreign = await E2.beginTransaction({isolationLevel: 'READ COMMITTED'});
    try {
      const opts = {transaction: foreign};
      const errors = [
        await rejection(E1.create({name: 'x'}, opts)),
        await rejection(E1.find({}, opts)),
        await rejection(E1.updateAll({}, {name: 'y'}, opts)),
        await rejection(E1.destroyAll({}, opts)),
        await rejection(E1.findOrCreate({where: {name: 'x'}}, {name: 'x'}, opts)),
        await rejection(single.connector.execute('SELECT 1', [], opts)),
      ];
      for (const err of errors) {
        assert.equal(err.statusCode, 400, err.message);
        assert.equal(err.code, 'INVALID_TRANSACTION');
      }
      // The single connection is still free.
      assert.equal(await E1.count(), 0);
      await E1.create({name: 'after'});
      assert.deepEqual(names(await E1.find()), ['after']);
      // The foreign transaction itself is untouched.
      await E2.create({name: 'foreign'}, opts);
    } finally {
      await foreign.commit();
    }
    assert.deepEqual(names(await Entry.find()), ['after', 'foreign']);
  });

  it('a committed transaction reused is an error, without a hang', async function () {
    this.timeout(5000);
    const {ds: ds1, Entry: E1} = makeDataSource({connectionLimit: 1});
    const tx = await E1.beginTransaction({isolationLevel: 'READ COMMITTED'});
    await E1.create({name: 'one'}, {transaction: tx});
    await tx.commit();
    // juggler refuses an ended transaction before the connector sees it...
    const err = await rejection(E1.create({name: 'two'}, {transaction: tx}));
    assert.match(err.message, /transaction is not active/);
    const findErr = await rejection(E1.find({}, {transaction: tx}));
    assert.match(findErr.message, /transaction is not active/);
    // ...and the connector refuses it on paths juggler does not check.
    const rawErr = await rejection(ds1.connector.execute('SELECT 1', [], {transaction: tx}));
    assert.equal(rawErr.statusCode, 400);
    assert.equal(rawErr.code, 'INVALID_TRANSACTION');
    const commitErr = await rejection(
      new Promise((resolve, reject) =>
        ds1.connector.commit(null, (e: Error | null) => (e ? reject(e) : resolve(undefined))),
      ),
    );
    assert.equal(commitErr.statusCode, 400);
    await assert.rejects(tx.commit());
    await assert.rejects(tx.rollback());
    assert.deepEqual(names(await E1.find()), ['one']);
  });

  it('findOrCreate inside a transaction', async function () {
    this.timeout(10000);
    const tx = await Entry.beginTransaction({isolationLevel: 'READ COMMITTED'});
    const opts = {transaction: tx};
    const [made, created] = await Entry.findOrCreate({where: {name: 'foc'}}, {name: 'foc'}, opts);
    assert.equal(created, true);
    const [again, createdAgain] = await Entry.findOrCreate(
      {where: {name: 'foc'}},
      {name: 'foc'},
      opts,
    );
    assert.equal(createdAgain, false);
    assert.equal(again.id, made.id);
    assert.equal(await Entry.count({name: 'foc'}), 0);
    await tx.commit();
    assert.equal(await Entry.count({name: 'foc'}), 1);
    // The filter's lock ended with the transaction: another data source does not wait for it.
    const {Entry: other} = makeDataSource({connectionLimit: 1});
    const started = Date.now();
    const [found, createdOther] = await other.findOrCreate({where: {name: 'foc'}}, {name: 'foc'});
    assert.ok(Date.now() - started < 2000);
    assert.equal(createdOther, false);
    assert.equal(found.id, made.id);
  });

  it('findOrCreate rolled back creates nothing and releases its lock', async function () {
    this.timeout(10000);
    const tx = await Entry.beginTransaction({isolationLevel: 'READ COMMITTED'});
    const [, created] = await Entry.findOrCreate(
      {where: {name: 'rb'}},
      {name: 'rb'},
      {
        transaction: tx,
      },
    );
    assert.equal(created, true);
    await tx.rollback();
    assert.equal(await Entry.count({name: 'rb'}), 0);
    const {Entry: other} = makeDataSource({connectionLimit: 1});
    const started = Date.now();
    const [, createdOther] = await other.findOrCreate({where: {name: 'rb'}}, {name: 'rb'});
    assert.ok(Date.now() - started < 2000);
    assert.equal(createdOther, true);
    assert.equal(await Entry.count({name: 'rb'}), 1);
  });

  describe('upsertWithWhere', function () {
    let Tally: any;

    /** Which connection holds the GET_LOCK of `where` on Tally (null: none). */
    async function lockHolder(where: string): Promise<number | null> {
      const name = `lb:${createHash('sha1').update(`\`Tally\`:${where}`).digest('hex')}`;
      const [row] = await ds.connector.execute('SELECT IS_USED_LOCK(?) AS holder', [name]);
      return row.holder as number | null;
    }

    before(async function () {
      Tally = ds.define('Tally', {
        id: {type: Number, id: true, generated: true},
        key: String,
        n: Number,
      });
      await ds.automigrate('Tally');
    });

    beforeEach(() => Tally.destroyAll());

    it('inside a transaction: the row stays invisible and the where stays locked until commit', async function () {
      const tx = await Tally.beginTransaction({isolationLevel: 'READ COMMITTED'});
      const opts = {transaction: tx};
      const made = await Tally.upsertWithWhere({key: 'k'}, {n: 1}, opts);
      const again = await Tally.upsertWithWhere({key: 'k'}, {n: 2}, opts);
      assert.equal(again.id, made.id);
      assert.equal(again.n, 2);
      assert.equal(await Tally.count({key: 'k'}), 0);
      const [own] = await Tally.dataSource.connector.execute(
        'SELECT CONNECTION_ID() AS id',
        [],
        opts,
      );
      assert.equal(await lockHolder('{"key":"k"}'), own.id);
      await tx.commit();
      assert.equal(await lockHolder('{"key":"k"}'), null);
      assert.deepEqual(await ds.connector.execute('SELECT id, `key`, n FROM Tally'), [
        {id: made.id, key: 'k', n: 2},
      ]);
    });

    it('rolled back: writes nothing and releases the lock', async function () {
      const tx = await Tally.beginTransaction({isolationLevel: 'READ COMMITTED'});
      await Tally.upsertWithWhere({key: 'rb'}, {n: 1}, {transaction: tx});
      await tx.rollback();
      assert.equal(await lockHolder('{"key":"rb"}'), null);
      assert.equal(await Tally.count(), 0);
    });

    /** `count` concurrent calls with one where; `inTransaction(i)` says which run in a transaction of their own. */
    async function contend(
      count: number,
      inTransaction: (i: number) => boolean,
      isolationLevel = 'READ COMMITTED',
    ) {
      const news: boolean[] = [];
      const afterSave = (ctx: any, next: () => void) => {
        news.push(ctx.isNewInstance as boolean);
        next();
      };
      Tally.observe('after save', afterSave);
      try {
        const results = await Promise.all(
          Array.from({length: count}, async (_, i) => {
            if (!inTransaction(i)) return Tally.upsertWithWhere({key: 'hot'}, {n: i});
            const tx = await Tally.beginTransaction({isolationLevel});
            try {
              const result = await Tally.upsertWithWhere({key: 'hot'}, {n: i}, {transaction: tx});
              await tx.commit();
              return result;
            } catch (err) {
              await tx.rollback();
              throw err;
            }
          }),
        );
        const rows = await ds.connector.execute('SELECT id, `key`, n FROM Tally');
        assert.equal(rows.length, 1);
        for (const r of results) {
          assert.equal(r.id, rows[0].id);
          assert.equal(r.key, 'hot');
        }
        assert.deepEqual(
          news.filter((n) => n),
          [true],
        );
        assert.equal(news.length, count);
        assert.equal(await lockHolder('{"key":"hot"}'), null);
      } finally {
        Tally.removeObserver('after save', afterSave);
      }
    }

    it('20 concurrent calls, each in a READ COMMITTED transaction, leave one row, with no deadlock', async function () {
      this.timeout(20000);
      await contend(20, () => true);
    });

    it('20 concurrent calls, each in a REPEATABLE READ transaction, leave one row', async function () {
      this.timeout(20000);
      await contend(20, () => true, 'REPEATABLE READ');
    });

    it('20 concurrent calls, half of them in transactions, leave one row', async function () {
      this.timeout(20000);
      await contend(20, (i) => i % 2 === 0);
    });
  });
});
