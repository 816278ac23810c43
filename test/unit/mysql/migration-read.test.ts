import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import {
  READ_CONCURRENCY,
  readLiveTables,
  type MigrationRunner,
} from '../../../src/mysql/migration/runner';
import {describeServer, UNKNOWN_SERVER, type ServerInfo} from '../../../src/mysql/server';
import type {ParameterizedSQL} from '../../../src/sql-connector';
import {defineModel} from '../../helpers/fake-sql-connector';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A runner whose statements take a few ms each, answering that every second table exists with one column. */
function slowRunner(): MigrationRunner & {
  inFlight: number;
  most: number;
  asked: string[];
  connect(): void;
} {
  let server: ServerInfo = UNKNOWN_SERVER;
  const runner = {
    inFlight: 0,
    most: 0,
    asked: [] as string[],
    connect() {
      server = describeServer({version: '10.11.19-MariaDB'});
    },
    async query(stmt: ParameterizedSQL) {
      runner.inFlight++;
      runner.most = Math.max(runner.most, runner.inFlight);
      // The first statement connects a lazy data source: the server is known once one has run.
      runner.connect();
      await sleep(3 + (runner.asked.length % 3));
      runner.inFlight--;
      const table = String(stmt.params.find((p) => typeof p === 'string' && /^t\d+$/.test(p)));
      runner.asked.push(table);
      const exists = Number(table.slice(1)) % 2 === 0;
      if (/COLUMNS/.test(stmt.sql) && exists) {
        return [
          {
            COLUMN_NAME: 'id',
            COLUMN_TYPE: 'int(11)',
            DATA_TYPE: 'int',
            IS_NULLABLE: 'NO',
            COLUMN_DEFAULT: null,
            EXTRA: '',
            COLUMN_KEY: 'PRI',
          },
        ];
      }
      return [];
    },
    server: () => server,
  };
  return runner;
}

describe('migration: reading the live tables (readLiveTables)', () => {
  it(`reads ${READ_CONCURRENCY} tables at a time, and answers in the models' order`, async () => {
    const connector = new MySQL({});
    const names = Array.from({length: 13}, (_, i) => `t${i}`);
    for (const name of names) {
      defineModel(connector, name, {id: {type: Number, id: true}}, {mysql: {table: name}});
    }
    const runner = slowRunner();
    const tables = await readLiveTables(
      runner,
      names.map((n) => connector.getModelMapping(n)),
    );
    assert.deepEqual(
      tables.map((t) => t.mapping.model),
      names,
    );
    assert.deepEqual(
      tables.map((t) => t.live !== undefined),
      names.map((_, i) => i % 2 === 0),
    );
    assert.ok(runner.most > 1, `tables were read one at a time (most in flight: ${runner.most})`);
    assert.ok(runner.most <= READ_CONCURRENCY, `${runner.most} statements in flight`);
  });

  it('a failed statement fails the read, with that error', async () => {
    const connector = new MySQL({});
    for (const name of ['t0', 't1', 't2']) {
      defineModel(connector, name, {id: {type: Number, id: true}}, {mysql: {table: name}});
    }
    const runner = slowRunner();
    const failing: MigrationRunner = {
      server: () => runner.server(),
      query: async (stmt) => {
        if (stmt.params.includes('t1')) throw new Error('no access to t1');
        return runner.query(stmt);
      },
    };
    await assert.rejects(
      readLiveTables(
        failing,
        ['t0', 't1', 't2'].map((n) => connector.getModelMapping(n)),
      ),
      /no access to t1/,
    );
  });
});
