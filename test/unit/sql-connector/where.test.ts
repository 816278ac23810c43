import assert from 'node:assert/strict';
import {MySQL} from '../../../src';
import type {
  JugglerType,
  ParameterizedSQL,
  PropertyDefinition,
  SqlConnector,
} from '../../../src/sql-connector';
import {
  defineModel,
  FakeJsonSqlConnector,
  FakeSqlConnector,
} from '../../helpers/fake-sql-connector';

/** juggler's GeoPoint class, by name (class constructors need a cast to JugglerType). */
const GeoPoint = class GeoPoint {} as unknown as JugglerType;

const PROPERTIES: Record<string, PropertyDefinition> = {
  id: {type: Number, id: true},
  name: {type: String},
  age: {type: Number},
  active: {type: Boolean},
  born: {type: Date},
  meta: {type: Object},
  tags: {type: [String]},
  location: {type: GeoPoint},
  firstName: {type: String, mysql: {columnName: 'first_name'}, fake: {columnName: 'first_name'}},
};

function connectors(): {mysql: MySQL; fake: FakeSqlConnector} {
  const mysql = new MySQL({});
  const fake = new FakeSqlConnector();
  for (const c of [mysql, fake]) defineModel(c, 'Person', PROPERTIES);
  return {mysql, fake};
}

interface Expected {
  /** undefined: the where is empty (no WHERE clause). */
  sql: string | undefined;
  params: unknown[];
}

/** The fake dialect rejects this where with a 400 (it has no JSON functions, REGEXP or case-insensitive LIKE). */
const REJECTED = 'rejected';
/** The case is about a MySQL-only feature the fake dialect leaves to the base's fallback; not asserted there. */
const NOT_APPLICABLE = 'n/a';

interface Case extends Expected {
  name: string;
  where: unknown;
  /** The fake dialect's result, when it differs from the MySQL one beyond quoting and `$n` placeholders. */
  fake?: Expected | typeof REJECTED | typeof NOT_APPLICABLE;
}

const BORN = new Date('2020-01-02T03:04:05.678Z');

/*
 * Golden table: one row per where form. `sql`/`params` is the MySQL dialect; the fake dialect's expectation is
 * the same statement with "double quotes" and `$n` placeholders unless `fake` says otherwise.
 */
const CASES: Case[] = [
  // equality
  {name: 'plain value', where: {name: 'a'}, sql: '`name`=?', params: ['a']},
  {name: '{eq}', where: {name: {eq: 'a'}}, sql: '`name`=?', params: ['a']},
  {name: 'number', where: {age: 3}, sql: '`age`=?', params: [3]},
  {
    name: 'boolean is converted by the column type',
    where: {active: true},
    sql: '`active`=?',
    params: [1],
    fake: {sql: '"active"=$1', params: [true]},
  },
  {
    name: 'date is converted by the column type',
    where: {born: BORN},
    sql: '`born`=?',
    params: [BORN],
    fake: {sql: '"born"=$1', params: ['2020-01-02T03:04:05.678Z']},
  },
  {name: 'null', where: {name: null}, sql: '`name` IS NULL', params: []},
  {name: 'undefined', where: {name: undefined}, sql: '`name` IS NULL', params: []},
  {name: '{eq: null}', where: {name: {eq: null}}, sql: '`name` IS NULL', params: []},
  {
    name: 'two properties are ANDed',
    where: {name: 'a', age: 3},
    sql: '`name`=? AND `age`=?',
    params: ['a', 3],
  },
  {name: 'empty where', where: {}, sql: undefined, params: []},

  // neq
  {name: 'neq value', where: {name: {neq: 'a'}}, sql: '`name`!=?', params: ['a']},
  {name: 'neq null', where: {name: {neq: null}}, sql: '`name` IS NOT NULL', params: []},

  // ranges
  {name: 'gt', where: {age: {gt: 1}}, sql: '`age`>?', params: [1]},
  {name: 'gte', where: {age: {gte: 1}}, sql: '`age`>=?', params: [1]},
  {name: 'lt', where: {age: {lt: 1}}, sql: '`age`<?', params: [1]},
  {name: 'lte', where: {age: {lte: 1}}, sql: '`age`<=?', params: [1]},
  {name: 'gt null matches nothing', where: {age: {gt: null}}, sql: '1=0', params: []},
  {name: 'lte null matches nothing', where: {age: {lte: null}}, sql: '1=0', params: []},
  {
    name: 'between',
    where: {age: {between: [1, 5]}},
    sql: '`age` BETWEEN ? AND ?',
    params: [1, 5],
  },
  {
    name: 'several operators on one property are ANDed',
    where: {age: {gt: 1, lt: 10}},
    sql: '`age`>? AND `age`<?',
    params: [1, 10],
  },

  // lists
  {name: 'inq', where: {age: {inq: [1, 2, 3]}}, sql: '`age` IN (?,?,?)', params: [1, 2, 3]},
  {name: 'inq empty matches nothing', where: {age: {inq: []}}, sql: '1=0', params: []},
  {
    name: 'inq with a null member',
    where: {age: {inq: [1, null]}},
    sql: '(`age` IN (?) OR `age` IS NULL)',
    params: [1],
  },
  {name: 'inq with only null', where: {age: {inq: [null]}}, sql: '`age` IS NULL', params: []},
  {name: 'nin', where: {age: {nin: [1, 2]}}, sql: '`age` NOT IN (?,?)', params: [1, 2]},
  {name: 'nin empty excludes nothing', where: {age: {nin: []}}, sql: '1=1', params: []},
  {
    name: 'nin with a null member',
    where: {age: {nin: [1, null]}},
    sql: '`age` NOT IN (?) AND `age` IS NOT NULL',
    params: [1],
  },

  // patterns
  {name: 'like', where: {name: {like: 'a%'}}, sql: '`name` LIKE ?', params: ['a%']},
  {name: 'nlike', where: {name: {nlike: 'a%'}}, sql: '`name` NOT LIKE ?', params: ['a%']},
  {
    name: 'ilike',
    where: {name: {ilike: 'a%'}},
    sql: 'LOWER(`name`) LIKE LOWER(?)',
    params: ['a%'],
    fake: REJECTED,
  },
  {
    name: 'nilike',
    where: {name: {nilike: 'a%'}},
    sql: 'LOWER(`name`) NOT LIKE LOWER(?)',
    params: ['a%'],
    fake: REJECTED,
  },
  {
    name: "like with options 'i'",
    where: {name: {like: 'a%', options: 'i'}},
    sql: 'LOWER(`name`) LIKE LOWER(?)',
    params: ['a%'],
    fake: REJECTED,
  },
  {
    name: "nlike with options 'i'",
    where: {name: {nlike: 'a%', options: 'i'}},
    sql: 'LOWER(`name`) NOT LIKE LOWER(?)',
    params: ['a%'],
    fake: REJECTED,
  },
  {
    name: 'regexp RegExp without flags is case-sensitive',
    where: {name: {regexp: /^a.c$/}},
    sql: '`name` REGEXP ?',
    params: ['(?-i)^a.c$'],
    fake: REJECTED,
  },
  {
    name: 'regexp RegExp with i',
    where: {name: {regexp: /^abc/i}},
    sql: '`name` REGEXP ?',
    params: ['(?i)^abc'],
    fake: REJECTED,
  },
  {
    name: 'regexp RegExp with m',
    where: {name: {regexp: /^abc$/m}},
    sql: '`name` REGEXP ?',
    params: ['(?-i)(?m)^abc$'],
    fake: REJECTED,
  },
  {
    name: 'regexp RegExp with i and m',
    where: {name: {regexp: /x/im}},
    sql: '`name` REGEXP ?',
    params: ['(?i)(?m)x'],
    fake: REJECTED,
  },
  {
    name: 'regexp string',
    where: {name: {regexp: '^a+$'}},
    sql: '`name` REGEXP ?',
    params: ['(?-i)^a+$'],
    fake: REJECTED,
  },
  {
    name: "regexp string with options 'i'",
    where: {name: {regexp: '^a+$', options: 'i'}},
    sql: '`name` REGEXP ?',
    params: ['(?i)^a+$'],
    fake: REJECTED,
  },

  // logical
  {
    name: 'and',
    where: {and: [{name: 'a'}, {age: 1}]},
    sql: '((`name`=?) AND (`age`=?))',
    params: ['a', 1],
  },
  {
    name: 'or',
    where: {or: [{name: 'a'}, {age: {gt: 1}}]},
    sql: '((`name`=?) OR (`age`>?))',
    params: ['a', 1],
  },
  {
    name: 'nor',
    where: {nor: [{name: 'a'}, {age: 1}]},
    sql: 'NOT ((`name`=?) OR (`age`=?))',
    params: ['a', 1],
  },
  {name: 'and []: no condition', where: {and: []}, sql: undefined, params: []},
  {name: 'or []: nothing matches', where: {or: []}, sql: '1=0', params: []},
  {name: 'nor []: no condition', where: {nor: []}, sql: undefined, params: []},
  {
    name: 'or with an empty branch is always true',
    where: {or: [{}, {name: 'a'}]},
    sql: undefined,
    params: [],
  },
  {name: 'nor with an empty branch is always false', where: {nor: [{}]}, sql: '1=0', params: []},
  {
    name: 'and with an empty branch keeps the others',
    where: {and: [{}, {name: 'a'}]},
    sql: '(`name`=?)',
    params: ['a'],
  },
  {
    name: 'property ANDed with or',
    where: {name: 'a', or: [{age: 1}, {age: {inq: [2, null]}}]},
    sql: '`name`=? AND ((`age`=?) OR ((`age` IN (?) OR `age` IS NULL)))',
    params: ['a', 1, 2],
  },
  {
    name: 'nested and/or',
    where: {or: [{and: [{name: 'a'}, {age: {gt: 1, lt: 9}}]}, {name: 'b'}]},
    sql: '((((`name`=?) AND (`age`>? AND `age`<?))) OR (`name`=?))',
    params: ['a', 1, 9, 'b'],
  },

  // JSON and arrays
  {
    name: 'nested path on an Object property',
    where: {'meta.a.b': 'x'},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?))=?',
    params: ['$."a"."b"', 'x'],
    fake: REJECTED,
  },
  {
    name: 'nested path with an array index and an operator',
    where: {'meta.items.0': {gt: 5}},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?))>?',
    params: ['$."items"[0]', 5],
    fake: REJECTED,
  },
  {
    name: 'nested path with inq: path parameter first',
    where: {'meta.a': {inq: ['x', 'y']}},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?)) IN (?,?)',
    params: ['$."a"', 'x', 'y'],
    fake: REJECTED,
  },
  {
    name: 'nested path compares booleans as text',
    where: {'meta.ok': true},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?))=?',
    params: ['$."ok"', 'true'],
    fake: REJECTED,
  },
  {
    name: 'nested path null',
    where: {'meta.a': null},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?)) IS NULL',
    params: ['$."a"'],
    fake: REJECTED,
  },
  {
    name: 'nested path key cannot break out of the JSON path',
    where: {'meta.a"b': 'x'},
    sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?))=?',
    params: ['$."a\\"b"', 'x'],
    fake: REJECTED,
  },
  {
    name: 'Object property equals an object: compared as JSON',
    where: {meta: {a: 1}},
    sql: '`meta`=?',
    params: ['{"a":1}'],
  },
  {
    name: 'array property contains a scalar',
    where: {tags: 'red'},
    sql: 'JSON_CONTAINS(`tags`,?)',
    params: ['"red"'],
    fake: NOT_APPLICABLE,
  },
  {
    name: 'array property contains a number',
    where: {tags: 5},
    sql: 'JSON_CONTAINS(`tags`,?)',
    params: ['5'],
    fake: NOT_APPLICABLE,
  },
  {
    name: 'array property contains a string with a lone surrogate: U+FFFD, as the driver sends it',
    where: {tags: 'a\udfff'},
    sql: 'JSON_CONTAINS(`tags`,?)',
    params: ['"a\uFFFD"'],
    fake: NOT_APPLICABLE,
  },
  {
    name: 'array property equals an array',
    where: {tags: ['a', 'b']},
    sql: '`tags`=?',
    params: ['["a","b"]'],
  },

  // mapping
  {
    name: 'column name mapping',
    where: {firstName: 'Ann'},
    sql: '`first_name`=?',
    params: ['Ann'],
  },
  {
    name: 'column name mapping with an operator',
    where: {firstName: {inq: ['a', 'b']}},
    sql: '`first_name` IN (?,?)',
    params: ['a', 'b'],
  },
];

/** The MySQL statement in the fake dialect's syntax: "double quotes" and `$n` placeholders. */
function inFakeSyntax(expected: Expected): Expected {
  if (expected.sql === undefined) return expected;
  let n = 0;
  return {
    sql: expected.sql.replace(/`/g, '"').replace(/\?/g, () => `$${++n}`),
    params: expected.params,
  };
}

function rendered(stmt: ParameterizedSQL | undefined): Expected {
  return stmt === undefined
    ? {sql: undefined, params: []}
    : {sql: stmt.sql, params: [...stmt.params]};
}

function assertInvalidFilter(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'expected an Error');
    assert.equal(
      err.name,
      'InvalidFilterError',
      `expected InvalidFilterError, got ${err.name}: ${err.message}`,
    );
    assert.equal((err as {statusCode?: unknown}).statusCode, 400);
    return true;
  });
}

describe('buildWhere', () => {
  const {mysql, fake} = connectors();

  describe('golden table: MySQL dialect', () => {
    for (const c of CASES) {
      it(c.name, () => {
        assert.deepEqual(rendered(mysql.buildWhere('Person', c.where)), {
          sql: c.sql,
          params: c.params,
        });
      });
    }
  });

  describe('golden table: fake dialect', () => {
    for (const c of CASES) {
      if (c.fake === NOT_APPLICABLE) continue;
      const expected = c.fake;
      it(c.name, () => {
        if (expected === REJECTED) {
          assertInvalidFilter(() => fake.buildWhere('Person', c.where));
          return;
        }
        const want = inFakeSyntax(expected ?? {sql: c.sql, params: c.params});
        const stmt = fake.buildWhere('Person', c.where);
        const got = stmt === undefined ? {sql: undefined, params: []} : fake.render(stmt);
        assert.deepEqual({sql: got.sql, params: [...got.params]}, want);
      });
    }
  });

  it('undefined and null where are empty', () => {
    assert.equal(mysql.buildWhere('Person', undefined), undefined);
    assert.equal(mysql.buildWhere('Person', null), undefined);
  });

  describe('table mapping', () => {
    it('qualifies the table with the schema in SELECT', () => {
      for (const [connector, sql] of [
        [
          new MySQL({}),
          'SELECT `id`,`first_name` AS `firstName` FROM `crm`.`people` WHERE `first_name`=? ORDER BY `id`',
        ],
        [
          new FakeSqlConnector(),
          'SELECT "id","first_name" AS "firstName" FROM "crm"."people" WHERE "first_name"=? ORDER BY "id"',
        ],
      ] as const) {
        defineModel(
          connector,
          'Customer',
          {
            id: {type: Number, id: true},
            firstName: {
              type: String,
              mysql: {columnName: 'first_name'},
              fake: {columnName: 'first_name'},
            },
          },
          {mysql: {table: 'people', schema: 'crm'}, fake: {table: 'people', schema: 'crm'}},
        );
        const stmt = connector.buildSelect('Customer', {where: {firstName: 'Ann'}});
        assert.equal(stmt.sql, sql);
        assert.deepEqual(stmt.params, ['Ann']);
      }
    });

    it('uses the model name when no table is given', () => {
      const stmt = mysql.buildSelect('Person', {fields: ['name']});
      assert.equal(stmt.sql, 'SELECT `name` FROM `Person` ORDER BY `id`');
    });
  });

  describe('rejections (400 InvalidFilterError)', () => {
    const deep = (levels: number): Record<string, unknown> => {
      let where: Record<string, unknown> = {name: 'x'};
      for (let i = 0; i < levels; i++) where = {and: [where]};
      return where;
    };

    const rejected: {name: string; where: unknown}[] = [
      {name: 'unknown property', where: {nope: 1}},
      {name: 'unknown property beside a known one', where: {name: 'a', nope: 1}},
      {name: '__proto__ key', where: JSON.parse('{"__proto__": {"gt": 1}}')},
      {name: '__proto__ key with a scalar', where: JSON.parse('{"__proto__": 1}')},
      {name: 'constructor key', where: JSON.parse('{"constructor": "x"}')},
      {name: 'toString key', where: {toString: 'x'}},
      {name: '__proto__ as an operator', where: {name: JSON.parse('{"__proto__": {"gt": 1}}')}},
      {name: 'unknown operator', where: {name: {foo: 1}}},
      {name: 'unknown operator beside a known one', where: {age: {gt: 1, foo: 2}}},
      {name: 'object on a scalar property without operator', where: {name: {x: 0}}},
      {name: 'object value of lt on a number property', where: {age: {lt: {x: 0}}}},
      {name: 'object value of eq on a string property', where: {name: {eq: {x: 0}}}},
      {name: 'object value of a string property in inq', where: {name: {inq: [{x: 0}]}}},
      {name: 'between with one item', where: {age: {between: [1]}}},
      {name: 'between with three items', where: {age: {between: [1, 2, 3]}}},
      {name: 'between with a null bound', where: {age: {between: [1, null]}}},
      {name: 'between not an array', where: {age: {between: 1}}},
      {name: 'inq not an array', where: {age: {inq: 1}}},
      {name: 'nin not an array', where: {age: {nin: 'a'}}},
      {name: 'like with a number', where: {name: {like: 5}}},
      {name: 'like with a RegExp', where: {name: {like: /a/}}},
      {name: 'nlike with null', where: {name: {nlike: null}}},
      {name: 'regexp with a number', where: {name: {regexp: 5}}},
      {name: 'and not an array', where: {and: {name: 'a'}}},
      {name: 'or not an array', where: {or: {name: 'a'}}},
      {name: 'nor not an array', where: {nor: 'x'}},
      {name: 'or with a non-object branch', where: {or: ['name']}},
      {name: 'where is a string', where: 'name = 1'},
      {name: 'where is an array', where: [{name: 'a'}]},
      {name: 'nesting deeper than 32 levels', where: deep(33)},
      {name: 'nesting 1000 levels', where: deep(1000)},
      {name: 'nested path on a non-object property', where: {'name.first': 'x'}},
      {name: 'nested path on a number property', where: {'age.x': {gt: 1}}},
      {name: 'nested path with an empty segment', where: {'meta..a': 'x'}},
      {name: 'nested path on an unknown property', where: {'nope.a': 'x'}},
    ];

    for (const c of rejected) {
      it(`MySQL: ${c.name}`, () => {
        assertInvalidFilter(() => mysql.buildWhere('Person', c.where));
      });
      it(`fake: ${c.name}`, () => {
        assertInvalidFilter(() => fake.buildWhere('Person', c.where));
      });
    }

    it('MySQL: nested path with an object value', () => {
      assertInvalidFilter(() => mysql.buildWhere('Person', {'meta.a': {x: 1}}));
      assertInvalidFilter(() => mysql.buildWhere('Person', {'meta.a': {gt: {x: 1}}}));
    });

    it('accepts nesting up to 32 levels', () => {
      const stmt = mysql.buildWhere('Person', deep(32));
      assert.equal(stmt?.sql, `${'('.repeat(64)}\`name\`=?${')'.repeat(64)}`);
      assert.deepEqual(stmt?.params, ['x']);
    });

    it('an object value never becomes a column comparison', () => {
      for (const connector of [mysql, fake] as SqlConnector[]) {
        let stmt: ParameterizedSQL | undefined;
        try {
          stmt = connector.buildWhere('Person', {age: {lt: {x: 0}}});
        } catch {
          continue;
        }
        assert.fail(`built ${stmt?.sql} with ${JSON.stringify(stmt?.params)}`);
      }
    });
  });
});

describe('buildWhere: nested paths through arrays', () => {
  /** A juggler model class as a property type: juggler's anonymous model for `{name: String}`, or a named one. */
  const modelType = (properties: Record<string, PropertyDefinition>) =>
    Object.assign(function AnonymousModel() {}, {
      modelName: 'AnonymousModel',
      definition: {properties},
    }) as unknown as JugglerType;
  const Pet = modelType({kind: {type: String}});
  const Friend = modelType({name: {type: String}, age: {type: Number}, pets: {type: [Pet]}});
  const Tag = modelType({tag: {type: String}});
  const MEMBER: Record<string, PropertyDefinition> = {
    id: {type: Number, id: true},
    name: {type: String},
    friends: {type: [Friend]},
    address: {type: modelType({city: {type: String}, tags: {type: [Tag]}})},
    contact: {type: modelType({emails: {type: [String]}})},
    // LoopBack 4's @property.array(Friend)
    buddies: {type: Array, itemType: Friend},
    notes: {type: [Object]},
    meta: {type: Object},
  };

  const mysql = new MySQL({});
  const fake = new FakeJsonSqlConnector();
  for (const c of [mysql, fake]) defineModel(c, 'Member', MEMBER);

  /** The MySQL dialect's "some value of `column` at the path passes `test`" (`V` in `test` is the value). */
  const some = (column: string, test: string) =>
    `(SELECT 1 FROM JSON_TABLE(JSON_EXTRACT(\`${column}\`,?),'$[*]' ` +
    "COLUMNS (`v` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) AS `_lb_e` " +
    `WHERE ${test.replace(/V/g, '`_lb_e`.`v`')} LIMIT 1) IS NOT NULL`;
  /** The same in the fake dialect (`?` placeholders, renumbered by the fake's render). */
  const fakeSome = (column: string, test: string) =>
    `EXISTS (SELECT 1 FROM jsonb_path_query("${column}",?) AS "e"("v") WHERE ${test.replace(/V/g, `("e"."v" #>> '{}')`)})`;

  interface ArrayCase {
    name: string;
    where: unknown;
    sql: string;
    params: unknown[];
    /** The fake dialect's SQL with `?` placeholders (renumbered below), or {@link REJECTED}. */
    fake: string;
    /** The fake dialect's params, when they differ from MySQL's. */
    fakeParams?: unknown[];
  }

  const FRIEND_NAME = '$[*]."name"';
  const CASES: ArrayCase[] = [
    {
      name: 'equality: some friend is named Ringo',
      where: {'friends.name': 'Ringo'},
      sql: some('friends', 'V=?'),
      params: [FRIEND_NAME, 'Ringo'],
      fake: fakeSome('friends', 'V=?'),
    },
    {
      name: 'regexp over an array (juggler: "nested property with regex over arrays")',
      where: {'friends.name': {regexp: /^Ringo/}},
      sql: some('friends', 'V REGEXP ?'),
      params: [FRIEND_NAME, '(?-i)^Ringo'],
      fake: REJECTED,
    },
    {
      name: 'an array inside an object (juggler: "multi-level nested array property")',
      where: {'address.tags.tag': 'business'},
      sql: some('address', 'V=?'),
      params: ['$."tags"[*]."tag"', 'business'],
      fake: fakeSome('address', 'V=?'),
    },
    {
      name: 'an array inside an array element',
      where: {'friends.pets.kind': 'cat'},
      sql: some('friends', 'V=?'),
      params: ['$[*]."pets"[*]."kind"', 'cat'],
      fake: fakeSome('friends', 'V=?'),
    },
    {
      name: 'a path ending on an array of strings compares each string',
      where: {'contact.emails': 'a@x.io'},
      sql: some('contact', 'V=?'),
      params: ['$."emails"[*]', 'a@x.io'],
      fake: fakeSome('contact', 'V=?'),
    },
    {
      name: "LoopBack 4's {type: Array, itemType} is an array of that model",
      where: {'buddies.name': 'Ringo'},
      sql: some('buddies', 'V=?'),
      params: [FRIEND_NAME, 'Ringo'],
      fake: fakeSome('buddies', 'V=?'),
    },
    {
      name: '[Object]: the array is known, the objects inside are not',
      where: {'notes.a.b': 'x'},
      sql: some('notes', 'V=?'),
      params: ['$[*]."a"."b"', 'x'],
      fake: fakeSome('notes', 'V=?'),
    },
    {
      name: 'a member the embedded model does not declare is still a member',
      where: {'friends.nick': 'R'},
      sql: some('friends', 'V=?'),
      params: ['$[*]."nick"', 'R'],
      fake: fakeSome('friends', 'V=?'),
    },
    {
      name: 'a path key cannot break out of the JSON path',
      where: {'friends.a"]b': 'x'},
      sql: some('friends', 'V=?'),
      params: ['$[*]."a\\"]b"', 'x'],
      fake: fakeSome('friends', 'V=?'),
    },
    {
      name: 'an index picks one element: a plain path',
      where: {'friends.0.name': 'Ringo'},
      sql: 'JSON_UNQUOTE(JSON_EXTRACT(`friends`,?))=?',
      params: ['$[0]."name"', 'Ringo'],
      fake: '("friends" #>> ?)=?',
      fakeParams: [['0', 'name'], 'Ringo'],
    },
    {
      name: 'an untyped Object stays a plain path',
      where: {'meta.friends.name': 'x'},
      sql: 'JSON_UNQUOTE(JSON_EXTRACT(`meta`,?))=?',
      params: ['$."friends"."name"', 'x'],
      fake: '("meta" #>> ?)=?',
      fakeParams: [['friends', 'name'], 'x'],
    },
    {
      name: 'neq: some friend has another name',
      where: {'friends.name': {neq: 'Ringo'}},
      sql: some('friends', 'V!=?'),
      params: [FRIEND_NAME, 'Ringo'],
      fake: fakeSome('friends', 'V!=?'),
    },
    {
      name: 'no friend named Ringo is a nor',
      where: {nor: [{'friends.name': 'Ringo'}]},
      sql: `NOT ((${some('friends', 'V=?')}))`,
      params: [FRIEND_NAME, 'Ringo'],
      fake: `NOT ((${fakeSome('friends', 'V=?')}))`,
    },
    {
      name: 'gt compares numbers',
      where: {'friends.age': {gt: 30}},
      sql: some('friends', 'V>?'),
      params: ['$[*]."age"', 30],
      fake: fakeSome('friends', 'V>?'),
    },
    {
      name: 'between holds for one element',
      where: {'friends.age': {between: [20, 30]}},
      sql: some('friends', 'V BETWEEN ? AND ?'),
      params: ['$[*]."age"', 20, 30],
      fake: fakeSome('friends', 'V BETWEEN ? AND ?'),
    },
    {
      name: 'two operators: each holds for some element',
      where: {'friends.age': {gt: 20, lt: 30}},
      sql: `${some('friends', 'V>?')} AND ${some('friends', 'V<?')}`,
      params: ['$[*]."age"', 20, '$[*]."age"', 30],
      fake: `${fakeSome('friends', 'V>?')} AND ${fakeSome('friends', 'V<?')}`,
    },
    {
      name: 'inq',
      where: {'friends.name': {inq: ['a', 'b']}},
      sql: some('friends', 'V IN (?,?)'),
      params: [FRIEND_NAME, 'a', 'b'],
      fake: fakeSome('friends', 'V IN (?,?)'),
    },
    {
      name: 'inq with null: some element in the list, or no element with a value',
      where: {'friends.name': {inq: ['a', null]}},
      sql: `(${some('friends', 'V IN (?)')} OR NOT (${some('friends', 'V IS NOT NULL')}))`,
      params: [FRIEND_NAME, 'a', FRIEND_NAME],
      fake: `(${fakeSome('friends', 'V IN (?)')} OR NOT (${fakeSome('friends', 'V IS NOT NULL')}))`,
    },
    {
      name: 'inq empty matches nothing',
      where: {'friends.name': {inq: []}},
      sql: '1=0',
      params: [],
      fake: '1=0',
    },
    {
      name: 'nin: some element outside the list',
      where: {'friends.name': {nin: ['a', null]}},
      sql: some('friends', 'V NOT IN (?) AND V IS NOT NULL'),
      params: [FRIEND_NAME, 'a'],
      fake: fakeSome('friends', 'V NOT IN (?) AND V IS NOT NULL'),
    },
    {
      name: 'like / nlike',
      where: {'friends.name': {like: 'Ri%', nlike: '%o'}},
      sql: `${some('friends', 'V LIKE ?')} AND ${some('friends', 'V NOT LIKE ?')}`,
      params: [FRIEND_NAME, 'Ri%', FRIEND_NAME, '%o'],
      fake: `${fakeSome('friends', 'V LIKE ?')} AND ${fakeSome('friends', 'V NOT LIKE ?')}`,
    },
    {
      name: 'ilike',
      where: {'friends.name': {ilike: 'ri%'}},
      sql: some('friends', 'LOWER(V) LIKE LOWER(?)'),
      params: [FRIEND_NAME, 'ri%'],
      fake: REJECTED,
    },
    {
      name: 'nilike',
      where: {'friends.name': {nilike: 'ri%'}},
      sql: some('friends', 'LOWER(V) NOT LIKE LOWER(?)'),
      params: [FRIEND_NAME, 'ri%'],
      fake: REJECTED,
    },
    {
      name: 'null: no element has a value',
      where: {'friends.name': null},
      sql: `NOT (${some('friends', 'V IS NOT NULL')})`,
      params: [FRIEND_NAME],
      fake: `NOT (${fakeSome('friends', 'V IS NOT NULL')})`,
    },
    {
      name: '{eq: null} is null',
      where: {'friends.name': {eq: null}},
      sql: `NOT (${some('friends', 'V IS NOT NULL')})`,
      params: [FRIEND_NAME],
      fake: `NOT (${fakeSome('friends', 'V IS NOT NULL')})`,
    },
    {
      name: '{neq: null}: some element has a value',
      where: {'friends.name': {neq: null}},
      sql: some('friends', 'V IS NOT NULL'),
      params: [FRIEND_NAME],
      fake: fakeSome('friends', 'V IS NOT NULL'),
    },
    {
      name: 'a boolean is compared as text, as on a plain path',
      where: {'friends.vip': true},
      sql: some('friends', 'V=?'),
      params: ['$[*]."vip"', 'true'],
      fake: fakeSome('friends', 'V=?'),
    },
  ];

  describe('golden table: MySQL dialect', () => {
    for (const c of CASES) {
      it(c.name, () => {
        assert.deepEqual(rendered(mysql.buildWhere('Member', c.where)), {
          sql: c.sql,
          params: c.params,
        });
      });
    }
  });

  describe('golden table: fake dialect', () => {
    for (const c of CASES) {
      it(c.name, () => {
        if (c.fake === REJECTED) {
          assertInvalidFilter(() => fake.buildWhere('Member', c.where));
          return;
        }
        const stmt = fake.buildWhere('Member', c.where);
        assert.ok(stmt);
        const got = fake.render(stmt);
        assert.deepEqual(
          {sql: got.sql, params: [...got.params]},
          inFakeSyntax({sql: c.fake, params: c.fakeParams ?? c.params}),
        );
      });
    }
  });

  describe('rejections (400 InvalidFilterError)', () => {
    const rejected: {name: string; where: unknown}[] = [
      {name: 'unknown operator', where: {'friends.name': {foo: 1}}},
      {name: 'unknown operator beside a known one', where: {'friends.name': {gt: 1, foo: 1}}},
      {name: 'an object value', where: {'friends.name': {x: 1}}},
      {name: 'an empty object', where: {'friends.name': {}}},
      {name: 'an object as an operator value', where: {'friends.name': {gt: {a: 1}}}},
      {name: 'an array as an equality value', where: {'friends.name': {eq: ['a']}}},
      {name: 'an object in inq', where: {'friends.name': {inq: [{a: 1}]}}},
      {name: 'inq not an array', where: {'friends.name': {inq: 'a'}}},
      {name: 'between with one bound', where: {'friends.age': {between: [1]}}},
      {name: 'like with a number', where: {'friends.name': {like: 5}}},
      {name: 'a non-finite number', where: {'friends.age': Infinity}},
      {name: 'an empty segment', where: {'friends..name': 'x'}},
      {name: 'a lone surrogate in a segment', where: {'friends.\udfff': 'x'}},
      {name: 'a lone surrogate in an Object path', where: {"meta.a\ud800'": 'x'}},
    ];
    for (const c of rejected) {
      it(`MySQL: ${c.name}`, () => assertInvalidFilter(() => mysql.buildWhere('Member', c.where)));
      it(`fake: ${c.name}`, () => assertInvalidFilter(() => fake.buildWhere('Member', c.where)));
    }

    it('order on a path through an array is a 400; on one element it is a plain path', () => {
      for (const c of [mysql, fake] as SqlConnector[]) {
        assertInvalidFilter(() => c.buildSelect('Member', {order: 'friends.name DESC'}));
        assertInvalidFilter(() => c.buildSelect('Member', {order: 'address.tags.tag'}));
        assertInvalidFilter(() => c.buildSelect('Member', {order: "meta.'\udfff"}));
      }
      const stmt = mysql.buildSelect('Member', {order: 'friends.0.name DESC'});
      assert.match(stmt.sql, / ORDER BY JSON_UNQUOTE\(JSON_EXTRACT\(`friends`,\?\)\) DESC$/);
      assert.deepEqual(stmt.params, ['$[0]."name"']);
    });

    it('a dialect without JSON functions rejects a path through an array', () => {
      const plain = new FakeSqlConnector();
      defineModel(plain, 'Member', MEMBER);
      assertInvalidFilter(() => plain.buildWhere('Member', {'friends.name': 'x'}));
      assertInvalidFilter(() => plain.buildWhere('Member', {'friends.name': null}));
    });
  });
});
