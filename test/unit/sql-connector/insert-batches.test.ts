import assert from 'node:assert/strict';
import {
  applyGeneratedIds,
  chunkRows,
  planInsertBatches,
  type InsertBatch,
  type StatementLimits,
} from '../../../src/sql-connector/insert-batches';
import type {ColumnMapping, ModelData} from '../../../src/sql-connector';
import {ParameterizedSQL} from '../../../src/sql-connector/parameterized-sql';
import {defineModel, FakeSqlConnector} from '../../helpers/fake-sql-connector';

function mapping() {
  const c = new FakeSqlConnector();
  defineModel(c, 'Item', {
    id: {type: Number, id: true, generated: true},
    name: {type: String},
    qty: {type: Number},
    total: {type: Number, fake: {generated: true}},
  });
  return c.getModelMapping('Item');
}

const NO_LIMITS: StatementLimits = {maxParams: 65535, maxBytes: 1 << 20};
const identity = (_c: ColumnMapping, v: unknown) => v;

/** The batches as plain data: column names, rows, indexes and whether ids are generated. */
function plan(data: ModelData[], limits = NO_LIMITS, toValue = identity) {
  return [...planInsertBatches(mapping(), data, toValue, () => limits)].map((b) => ({
    columns: b.columns.map((c) => c.property),
    rows: b.rows,
    indexes: b.indexes,
    generatesIds: b.generatesIds,
  }));
}

describe('planInsertBatches', () => {
  it('plans nothing for no rows', () => {
    assert.deepEqual(plan([]), []);
  });

  it('one column list for every row: the properties any row gives, NULL for the others', () => {
    assert.deepEqual(plan([{name: 'a'}, {qty: 2}]), [
      {
        columns: ['name', 'qty'],
        rows: [
          ['a', null],
          [null, 2],
        ],
        indexes: [0, 1],
        generatesIds: true,
      },
    ]);
  });

  it('rows with an id and rows without go in separate batches, those with an id first', () => {
    assert.deepEqual(plan([{name: 'a'}, {id: 7, name: 'b'}, {name: 'c', id: null}]), [
      {columns: ['id', 'name'], rows: [[7, 'b']], indexes: [1], generatesIds: false},
      {columns: ['name'], rows: [['a'], ['c']], indexes: [0, 2], generatesIds: true},
    ]);
  });

  it('never writes a column the database computes', () => {
    assert.deepEqual(plan([{name: 'a', total: 9}]), [
      {columns: ['name'], rows: [['a']], indexes: [0], generatesIds: true},
    ]);
  });

  it('splits under the parameter limit, keeping the order', () => {
    const data = [1, 2, 3, 4, 5].map((qty) => ({id: qty, qty}));
    const batches = plan(data, {maxParams: 4, maxBytes: 1 << 20});
    assert.deepEqual(
      batches.map((b) => b.indexes),
      [[0, 1], [2, 3], [4]],
    );
    assert.deepEqual(batches[2]?.rows, [[5, 5]]);
  });

  it('splits under the byte limit, estimated from the values', () => {
    const data = [
      {id: 1, name: 'x'.repeat(100)},
      {id: 2, name: 'y'.repeat(100)},
      {id: 3, name: 'z'},
    ];
    assert.deepEqual(
      plan(data, {maxParams: 65535, maxBytes: 400}).map((b) => b.indexes),
      [[0], [1, 2]],
    );
  });

  it('a row over the limits still gets a batch of its own', () => {
    assert.deepEqual(
      plan([{id: 1, name: 'long'}], {maxParams: 1, maxBytes: 1}).map((b) => b.indexes),
      [[0]],
    );
  });

  it('converts values with toValue, leaving null and undefined as NULL', () => {
    const seen: string[] = [];
    const toValue = (c: ColumnMapping, v: unknown) => {
      seen.push(c.property);
      return `<${String(v)}>`;
    };
    assert.deepEqual(plan([{name: 'a', qty: null}, {qty: 3}], NO_LIMITS, toValue)[0]?.rows, [
      ['<a>', null],
      [null, '<3>'],
    ]);
    assert.deepEqual(seen, ['name', 'qty']);
  });

  it('converts one kind of row at a time, as the batches are consumed', () => {
    let converted = 0;
    const toValue = (_c: ColumnMapping, v: unknown) => {
      converted++;
      return v;
    };
    const batches = planInsertBatches(
      mapping(),
      [{id: 1, name: 'a'}, {name: 'b'}],
      toValue,
      () => NO_LIMITS,
    );
    assert.equal(converted, 0);
    batches.next();
    assert.equal(converted, 2, 'the row with an id');
    batches.next();
    assert.equal(converted, 3, 'then the row without');
  });

  it('reads the limits once per kind of row', () => {
    let reads = 0;
    const limits = () => {
      reads++;
      return NO_LIMITS;
    };
    [...planInsertBatches(mapping(), [{id: 1}, {name: 'b'}], identity, limits)];
    assert.equal(reads, 2);
  });
});

describe('applyGeneratedIds', () => {
  it('puts each id first in a new object at the row position', () => {
    const out: ModelData[] = [{name: 'a'}, {id: 7, name: 'b'}, {name: 'c'}];
    const first = out[0];
    const batch: InsertBatch = {columns: [], rows: [[], []], indexes: [0, 2], generatesIds: true};
    applyGeneratedIds(out, batch, 'id', [10, 11]);
    assert.deepEqual(out, [
      {id: 10, name: 'a'},
      {id: 7, name: 'b'},
      {id: 11, name: 'c'},
    ]);
    assert.deepEqual(Object.keys(out[0] ?? {}), ['id', 'name']);
    assert.notEqual(out[0], first);
  });
});

describe('chunkRows', () => {
  it('counts the SQL of a value that is SQL (82 bytes a row here: 8 + 10 + 2 x 32)', () => {
    const point = new ParameterizedSQL('POINT(?,?)', [1, 2]);
    const chunks = [...chunkRows([[point], [point], [point]], 65535, 170)];
    assert.deepEqual(
      chunks.map((c) => [c.start, c.rows.length]),
      [
        [0, 2],
        [2, 1],
      ],
    );
  });
});
