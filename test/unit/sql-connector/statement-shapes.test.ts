import assert from 'node:assert/strict';
import fc from 'fast-check';
import {MySQL} from '../../../src';
import {ParameterizedSQL} from '../../../src/sql-connector/parameterized-sql';
import {ShapeCache, sameParams, whereShape} from '../../../src/sql-connector/statement-shapes';
import {defineModel, FakeSqlConnector} from '../../helpers/fake-sql-connector';

const PROPERTIES = {
  id: {type: Number, id: true},
  name: {type: String},
  qty: {type: Number},
  active: {type: Boolean},
  at: {type: Date},
  meta: {type: Object},
  tags: {type: [String]},
};

function mysql(): MySQL {
  const c = new MySQL({});
  defineModel(c, 'Item', PROPERTIES);
  return c;
}

function fake(): FakeSqlConnector {
  const c = new FakeSqlConnector({});
  defineModel(c, 'Item', PROPERTIES);
  return c;
}

const scalarOf: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.integer({min: 1, max: 1e6}),
  name: fc.string({maxLength: 8}),
  qty: fc.oneof(
    fc.integer({min: -1000, max: 1000}),
    fc.double({noNaN: true, noDefaultInfinity: true}),
  ),
  active: fc.boolean(),
  at: fc.date({min: new Date('1980-01-01'), max: new Date('2030-01-01'), noInvalidDate: true}),
};

/** A where of plain comparisons, with a second one of the same shape and other values. */
const sameShapeWheres = fc
  .uniqueArray(fc.constantFrom(...Object.keys(scalarOf)), {minLength: 0, maxLength: 4})
  .chain((props) =>
    fc
      .tuple(
        ...props.map((p) =>
          fc
            .constantFrom('=', 'eq', 'neq', 'gt', 'lte', 'between', 'inq', 'nin')
            .chain((op) => fc.integer({min: 1, max: 4}).map((n) => [p, op, n] as const)),
        ),
      )
      .chain((shape) => {
        const whereOf = fc.tuple(
          ...shape.map(([p, op, n]) => {
            const v = scalarOf[p] as fc.Arbitrary<unknown>;
            if (op === '=') return v;
            if (op === 'between') return fc.tuple(v, v).map((b) => ({between: b}));
            if (op === 'inq' || op === 'nin')
              return fc.array(v, {minLength: n, maxLength: n}).map((l) => ({[op]: l}));
            return v.map((x) => ({[op]: x}));
          }),
        );
        const build = (values: unknown[]) =>
          Object.fromEntries(shape.map(([p], i) => [p, values[i]]));
        return fc.tuple(whereOf.map(build), whereOf.map(build));
      }),
  );

const orders = fc.constantFrom(undefined, 'qty DESC', ['name ASC', 'id DESC'], 'at');
const pages = fc.record(
  {limit: fc.integer({min: 0, max: 500}), skip: fc.integer({min: 0, max: 500})},
  {requiredKeys: []},
);

describe('statement shapes', function () {
  for (const [dialect, make] of [
    ['MySQL', mysql],
    ['the neutral base', fake],
  ] as const) {
    it(`${dialect}: a cached shape gives what the general builders give, for select, count, update, delete`, function () {
      fc.assert(
        fc.property(sameShapeWheres, orders, pages, ([first, second], order, page) => {
          const cached = make();
          const filter = (where: unknown) => ({where, order, ...page}) as Record<string, unknown>;
          // The first call builds and checks the shape; the second takes the cached text.
          const check = (build: (c: MySQL | FakeSqlConnector, w: unknown) => unknown) => {
            build(cached, first);
            const viaCache = build(cached, second) as ParameterizedSQL | undefined;
            const general = build(make(), second) as ParameterizedSQL | undefined;
            assert.equal(viaCache?.sql, general?.sql);
            assert.ok(sameParams(viaCache?.params ?? [], general?.params ?? []));
          };
          check((c, w) => c.buildSelect('Item', filter(w)));
          check((c, w) => c.buildCount('Item', w as never));
          check((c, w) => c.buildDelete('Item', w as never));
          // The values set differ between the two calls as the where's do: the cached text takes both.
          check((c, w) =>
            c.buildUpdate('Item', w as never, {name: w === first ? 'x' : 'y', qty: 3}, 'patch'),
          );
          check((c, w) =>
            c.buildUpdate('Item', w as never, {name: 'z', active: w === first}, 'replace'),
          );
        }),
        {numRuns: 300},
      );
    });
  }

  it('takes the text from the cache after the first build', function () {
    const cache = new ShapeCache();
    const first = cache.statement('M\0k', [1], () => new ParameterizedSQL('`a`=?', [1]));
    assert.equal(first?.sql, '`a`=?');
    const again = cache.statement('M\0k', [2], () => assert.fail('built again'));
    assert.deepEqual([again?.sql, again?.params], ['`a`=?', [2]]);
  });

  it('remembers a shape whose first build gave no statement (an empty where)', function () {
    const cache = new ShapeCache();
    assert.equal(
      cache.statement('M\0k', [], () => undefined),
      undefined,
    );
    assert.equal(
      cache.statement('M\0k', [], () => assert.fail('built again')),
      undefined,
    );
  });

  it('builds every time a shape whose first build had other values than the computed ones', function () {
    const cache = new ShapeCache();
    let builds = 0;
    const build = () => {
      builds++;
      return new ParameterizedSQL('JSON_CONTAINS(`a`, ?)', ['"x"']);
    };
    cache.statement('M\0k', ['x'], build);
    cache.statement('M\0k', ['y'], build);
    assert.equal(builds, 2);
  });

  it('forgets the shapes of a model whose definition changed', function () {
    const c = mysql();
    assert.equal(c.buildWhere('Item', {qty: 1})?.sql, '`qty`=?');
    c.defineProperty('Item', 'qty', {type: Number, mysql: {columnName: 'quantity'}});
    assert.equal(c.buildWhere('Item', {qty: 1})?.sql, '`quantity`=?');
  });

  describe('whereShape', function () {
    const c = mysql();
    const mapping = c.getModelMapping('Item');
    const shape = (where: unknown) =>
      whereShape(mapping, where, (col, v) => c.toColumnValue(col, v));

    it('plain comparisons of plain columns, values converted', function () {
      assert.deepEqual(shape({id: 3, active: true}), {
        key: 'id\0=\0active\0=\0',
        params: [3, 1],
      });
      assert.deepEqual(
        shape({qty: {between: [1, 2]}, name: {inq: ['a', 'b', 'c']}})?.key,
        'qty\0between\x002\0name\0inq\x003\0',
      );
    });

    for (const where of [
      {nope: 1},
      {meta: {a: 1}},
      {tags: 'x'},
      {'meta.a': 1},
      {name: null},
      {name: {neq: null}},
      {qty: {gt: 1, lt: 5}},
      {name: {like: 'a%'}},
      {name: {inq: []}},
      {qty: {between: [1]}},
      {qty: {between: [1, null]}},
      {qty: Number.NaN},
      {or: [{id: 1}]},
      {name: {inq: ['a', null]}},
      {at: 'not a date'},
      {name: {regexp: '^a', options: 'i'}},
      [],
      'id = 1',
    ])
      it(`not ${JSON.stringify(where)}`, function () {
        assert.equal(shape(where), undefined);
      });
  });
});
