import assert from 'node:assert/strict';
import {
  compileRowConverter,
  convertInPlace,
  type ColumnReader,
} from '../../../src/sql-connector/statements';

const toNumber: ColumnReader = (v) => Number(v);
const toBoolean: ColumnReader = (v) => v !== 0;
const parse: ColumnReader = (v) => JSON.parse(String(v)) as unknown;

function driverRows(): Record<string, unknown>[] {
  return [
    {id: 1, price: '10.50', active: 1, meta: '{"a":[1,2]}', name: 'x'},
    {id: 2, price: null, active: 0, meta: undefined, name: 'y'},
    {id: 3, price: '0.00', active: null, meta: 'null', name: 'z'},
  ];
}

describe('compileRowConverter', () => {
  const converters = [
    ['price', toNumber],
    ['active', toBoolean],
    ['meta', parse],
  ] as const;

  it('converts every listed property in place, leaving null and undefined alone', () => {
    const rows = driverRows();
    const out = compileRowConverter(converters)(rows);
    assert.equal(out, rows, 'the same array, converted in place');
    assert.deepEqual(rows, [
      {id: 1, price: 10.5, active: true, meta: {a: [1, 2]}, name: 'x'},
      {id: 2, price: null, active: false, meta: undefined, name: 'y'},
      {id: 3, price: 0, active: null, meta: null, name: 'z'},
    ]);
  });

  it('does what the generic loop does', () => {
    assert.deepEqual(
      compileRowConverter(converters)(driverRows()),
      convertInPlace(driverRows(), converters),
    );
  });

  it('takes property names that are not identifiers, and never evaluates them', () => {
    const names = [
      'first name',
      'quote"d',
      "single'quoted",
      'back\\slash',
      'line\u2028separator',
      '"]; globalThis.pwned = true; //',
      '${`template`}',
    ];
    const row: Record<string, unknown> = Object.fromEntries(names.map((n) => [n, '7']));
    compileRowConverter(names.map((n) => [n, toNumber] as const))([row]);
    for (const n of names) assert.equal(row[n], 7, n);
    assert.equal((globalThis as {pwned?: unknown}).pwned, undefined);
  });

  it('returns the rows untouched when no property needs converting', () => {
    const rows = driverRows();
    assert.deepEqual(compileRowConverter([])(rows), driverRows());
  });
});
