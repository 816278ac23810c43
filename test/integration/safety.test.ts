/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: models, instances and rows are dynamic */
/*
 * Property-based safety tests (fast-check), against the real server: thousands of hostile filters (quotes,
 * backticks, comments, `; DROP TABLE x`, NUL bytes, 10k-character strings, unicode, objects and arrays where scalars
 * belong, own `__proto__` / `constructor` keys, NaN / Infinity / -0 / 1e308, 5000-item `inq` lists, deeply nested
 * and/or/nor) go through juggler models and straight to the connector. For every call:
 *
 * - the data is intact: the row count and a checksum of every row, the canary table `x` and the list of tables are
 *   unchanged (a destroyAll/updateAll changes exactly the rows its where legitimately matches);
 * - at most one statement ran, of the kind the call makes (SELECT / SELECT COUNT / DELETE / UPDATE), made only of
 *   the connector's own SQL vocabulary and the model's identifiers: no generated string is in the SQL text, and no
 *   object or array is among its parameters;
 * - the call returns rows, or fails with a 4xx error (a data error of the server is a MySqlError with 422): never
 *   ER_PARSE_ERROR, never a 500, never a crash or a hang.
 *
 * Every property runs with a fixed seed: a failure prints the seed and the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import util from 'node:util';
import createDebug from 'debug';
import {type Capture, assertPrinted, startCapture} from '../helpers/output';
import fc from 'fast-check';
import mysql2 from 'mysql2';
import * as connector from '../../src';
import {STANDARD_OPERATORS} from '../../src/sql-connector';
import {
  createDatabase,
  dataSourceSettings,
  dropDatabase,
  serverConfig,
} from '../helpers/mysql-config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');

const SEED = 0x5afe;
const MODEL = 'Target';
const SECRET = 'S3cret-Pa55';
/** Longest a single call may take before it counts as a hang. */
const CALL_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------------------------------
// Hostile building blocks
// ---------------------------------------------------------------------------------------------------------------------

const PROPERTIES = ['id', 'name', 'age', 'active', 'born', 'meta', 'tags'] as const;
const SCALAR_PROPERTIES = ['id', 'name', 'age', 'active', 'born'] as const;
const LOGICAL = ['and', 'or', 'nor'] as const;
/** The standard operators but regexp, whose invalid patterns have a test of their own. */
const OPERATORS = STANDARD_OPERATORS.filter((op) => op !== 'regexp');
const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  '__lookupGetter__',
] as const;

const LONG = 'x'.repeat(10_000);
const PAYLOADS: readonly string[] = [
  "'",
  '"',
  '`',
  '\\',
  "\\'",
  "''",
  "' OR '1'='1",
  "' OR 1=1 -- ",
  '" OR ""="',
  '`) OR 1=1 #',
  'name`=`name',
  '`name`',
  '-- ',
  '--',
  '/*',
  '*/',
  '/*!50000 OR 1=1*/',
  '#',
  '; DROP TABLE x',
  "'; DROP TABLE x; -- ",
  '`; DROP TABLE x; #',
  '"; DELETE FROM Target; --',
  '\0',
  'a\0b',
  '\x1a',
  '?',
  '??',
  '%',
  '_',
  '%_\\%',
  'NULL',
  '\n',
  '\r\n',
  '\t',
  '😀',
  '👨‍👩‍👧‍👦',
  '\ud800',
  '\udfff',
  'ß',
  'İı',
  '\u202e',
  '\u2028',
  '\ufeff',
  '０',
  "' AND SLEEP(5) -- ",
  'SLEEP(5)',
  ' UNION SELECT 1',
  '0x27',
  'CHAR(39)',
  '$.a',
  '$[*]',
  '**',
  LONG,
  "';--".repeat(2500),
];

/** An object whose keys are own properties, `__proto__` included: the keys come from JSON.parse. */
function own(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const skeleton = entries.map(([key], i) => `${JSON.stringify(key)}:${i}`).join(',');
  const obj = JSON.parse(`{${skeleton}}`) as Record<string, unknown>;
  // Assigning to an own `__proto__` data property sets that property, not the prototype.
  for (const [key, value] of entries) obj[key] = value;
  return obj;
}

const hostileString: fc.Arbitrary<string> = fc.oneof(
  {weight: 3, arbitrary: fc.constantFrom(...PAYLOADS)},
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...PAYLOADS), fc.string({maxLength: 6}), fc.constantFrom(...PAYLOADS))
      .map(([a, b, c]) => a + b + c),
  },
  {weight: 1, arbitrary: fc.string({unit: 'binary', maxLength: 12})},
  {weight: 1, arbitrary: fc.string({unit: 'grapheme', maxLength: 12})},
);
const shortHostileString = hostileString.filter((s) => s.length <= 64);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    1e308,
    -1e308,
    5e-324,
    2 ** 53 + 2,
    -(2 ** 63),
    2 ** 64,
    0.1 + 0.2,
  ),
  fc.integer({min: -3, max: 23}),
  fc.double(),
);

const hostileDate: fc.Arbitrary<Date> = fc
  .constantFrom(0, NaN, 8.64e15, -8.64e15, Date.UTC(2000, 0, 5), Date.UTC(9999, 11, 31))
  .map((t) => new Date(t));

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTO_KEYS),
  fc.constantFrom('', ' ', 'name ', 'Name', 'NAME', 'id`', '`id`', 'meta.', '.meta', 'meta..a'),
  fc.constantFrom('age.x', 'name.x', 'id.', 'tags.', 'name,age', 'name`,`age', 'and ', 'OR'),
  hostileString,
);

/** A key that is neither a property, a nested path nor a logical operator: a where holding it must be a 400. */
const unknownKey = hostileKey.filter(
  (k) =>
    !(PROPERTIES as readonly string[]).includes(k) &&
    !(LOGICAL as readonly string[]).includes(k) &&
    !/^(meta|tags)\.[^.]/.test(k),
);

const nestedKey: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('meta', 'tags'), fc.array(hostileString, {minLength: 1, maxLength: 3}))
  .map(([root, path]) => [root, ...path].join('.'));

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Patterns valid in both JS and PCRE (invalid ones are covered by their own test below). */
const safeRegexp: fc.Arbitrary<unknown> = fc.oneof(
  hostileString.map(escapeRegExp),
  fc
    .tuple(hostileString, fc.constantFrom('', 'i', 'm', 's', 'gimsy'))
    .map(([s, flags]) => new RegExp(escapeRegExp(s), flags)),
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  {weight: 4, arbitrary: hostileString},
  {weight: 3, arbitrary: hostileNumber},
  {weight: 1, arbitrary: fc.boolean()},
  {weight: 1, arbitrary: fc.constantFrom(null, undefined)},
  {weight: 1, arbitrary: hostileDate},
  {weight: 1, arbitrary: fc.constantFrom(/a/, /'; DROP TABLE x/i, /\0/m)},
);

/** 5000 items (hostile strings and numbers) for `inq` / `nin`. */
const hugeList: fc.Arbitrary<unknown[]> = fc
  .tuple(shortHostileString, fc.integer({min: -5, max: 25}), fc.boolean())
  .map(([s, n, withNull]) =>
    Array.from({length: 5000}, (_, i) =>
      i === 4999 && withNull ? null : i % 3 === 0 ? `${s}${i}` : n + i,
    ),
  );

const {value} = fc.letrec<{value: unknown}>((tie) => ({
  value: fc.oneof(
    {depthSize: 'small', maxDepth: 3},
    {weight: 5, arbitrary: scalar},
    {weight: 1, arbitrary: fc.array(tie('value'), {maxLength: 3})},
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...PROPERTIES)), tie('value')), {
          maxLength: 3,
        })
        .map(own),
    },
  ),
}));

const operatorEntry: fc.Arbitrary<[string, unknown]> = fc.oneof(
  {weight: 6, arbitrary: fc.tuple(fc.constantFrom(...OPERATORS), value)},
  {weight: 1, arbitrary: fc.tuple(fc.constantFrom('inq', 'nin', 'between'), hugeList)},
  {weight: 1, arbitrary: fc.tuple(fc.constant('regexp'), safeRegexp)},
  {weight: 1, arbitrary: fc.tuple(fc.constant('options'), value)},
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.oneof(
        fc.constantFrom(...PROTO_KEYS, 'EQ', 'in', 'exists', 'near', 'and', 'or'),
        hostileString,
      ),
      value,
    ),
  },
);

const condition: fc.Arbitrary<unknown> = fc.oneof(
  {weight: 3, arbitrary: value},
  {weight: 3, arbitrary: fc.array(operatorEntry, {minLength: 1, maxLength: 3}).map(own)},
  {weight: 1, arbitrary: hugeList},
);

/** A where nested `depth` levels deep in and/or/nor, around one hostile condition. */
const deepWhere: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.integer({min: 1, max: 60}),
    fc.array(fc.constantFrom(...LOGICAL), {minLength: 1, maxLength: 3}),
    fc.constantFrom(...PROPERTIES),
    condition,
  )
  .map(([depth, logical, key, cond]) => {
    let where: unknown = own([[key, cond]]);
    for (let i = 0; i < depth; i++) where = own([[logical[i % logical.length] as string, [where]]]);
    return where;
  });

const {where} = fc.letrec<{where: unknown}>((tie) => ({
  where: fc.oneof(
    {depthSize: 'small', maxDepth: 3},
    {
      weight: 6,
      arbitrary: fc
        .array(
          fc.oneof(
            {weight: 6, arbitrary: fc.tuple(fc.constantFrom(...PROPERTIES), condition)},
            {weight: 2, arbitrary: fc.tuple(nestedKey, condition)},
            {weight: 2, arbitrary: fc.tuple(hostileKey, condition)},
            {
              weight: 2,
              arbitrary: fc.tuple(
                fc.constantFrom(...LOGICAL),
                fc.oneof({weight: 4, arbitrary: fc.array(tie('where'), {maxLength: 3})}, value),
              ),
            },
          ),
          {maxLength: 4},
        )
        .map(own),
    },
    {weight: 1, arbitrary: deepWhere},
    {weight: 1, arbitrary: value},
  ),
}));

const orderItem: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.oneof(fc.constantFrom(...PROPERTIES), nestedKey, hostileKey),
      fc.oneof(
        fc.constantFrom('', ' ASC', ' DESC', ' desc', '  DESC  ', ' ASC DESC', ' ; DROP TABLE x'),
        hostileString.map((s) => ` ${s}`),
      ),
    )
    .map(([p, d]) => p + d),
  hostileString,
);

const order: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  orderItem,
  fc.array(orderItem, {maxLength: 3}).map((items) => items.join(',')),
  fc.array(fc.oneof({weight: 3, arbitrary: orderItem}, value), {maxLength: 4}),
  value,
);

const fields: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.oneof(fc.constantFrom(...PROPERTIES), hostileKey), {maxLength: 4}),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...PROPERTIES), hostileKey),
        fc.oneof(fc.constantFrom(true, false, 1, 0, 'true', 'false'), value),
      ),
      {maxLength: 4},
    )
    .map(own),
  hostileString,
  value,
);

const pageValue: fc.Arbitrary<unknown> = fc.oneof(
  {weight: 3, arbitrary: fc.constant(undefined)},
  {weight: 2, arbitrary: fc.integer({min: 0, max: 30})},
  {weight: 1, arbitrary: hostileNumber},
  {weight: 1, arbitrary: hostileString},
  {weight: 1, arbitrary: fc.constantFrom('10', ' 5 ', '1e3', '-1', '18446744073709551616', 1.5)},
  {weight: 1, arbitrary: value},
);

const hostileFilter: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      where: fc.oneof({weight: 5, arbitrary: where}, fc.constant(undefined)),
      order,
      fields,
      limit: pageValue,
      skip: pageValue,
      offset: pageValue,
      extra: fc.option(fc.tuple(fc.constantFrom(...PROTO_KEYS, 'where ', 'Where'), value), {
        nil: undefined,
      }),
    },
    {requiredKeys: ['where']},
  )
  .map(({extra, ...parts}) =>
    own([...Object.entries(parts).filter(([, v]) => v !== undefined), ...(extra ? [extra] : [])]),
  );

/*
 * Plausible filters: well-formed, with hostile values the connector must accept and bind as parameters, so that most
 * of them reach the server.
 */
const finiteNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({min: -3, max: 23}),
  fc.constantFrom(-0, 0.5, 1e308, -1e308, 5e-324, 2 ** 53 + 2),
  fc.double({noNaN: true, noDefaultInfinity: true}),
);
const stringCondition: fc.Arbitrary<unknown> = fc.oneof(
  {weight: 3, arbitrary: hostileString},
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'nlike', 'ilike', 'nilike'),
        hostileString,
      )
      .map(([op, v]) => own([[op, v]])),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('inq', 'nin'), fc.array(hostileString, {maxLength: 5}))
      .map(([op, v]) => own([[op, v]])),
  },
  {weight: 1, arbitrary: fc.tuple(shortHostileString, hostileString).map((b) => ({between: b}))},
  {weight: 1, arbitrary: safeRegexp.map((r) => ({regexp: r}))},
  {weight: 1, arbitrary: fc.constantFrom(null, {neq: null})},
);
const numberCondition: fc.Arbitrary<unknown> = fc.oneof(
  {weight: 3, arbitrary: finiteNumber},
  {weight: 1, arbitrary: fc.constantFrom(' 12 ', '1e3', '-0', '0.5', '99999999999999999999999')},
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), finiteNumber)
      .map(([op, v]) => own([[op, v]])),
  },
  {weight: 1, arbitrary: fc.tuple(finiteNumber, finiteNumber).map((b) => ({between: b}))},
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('inq', 'nin'), fc.array(finiteNumber, {maxLength: 5}))
      .map(([op, v]) => own([[op, v]])),
  },
);
const plausibleEntry: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom('name', 'tags'), stringCondition),
  fc.tuple(nestedKey, fc.oneof(stringCondition, numberCondition)),
  fc.tuple(fc.constantFrom('id', 'age'), numberCondition),
  fc.tuple(fc.constant('active'), fc.constantFrom<unknown>(true, false, 'true', 0, 1, null)),
  fc.tuple(
    fc.constant('born'),
    fc.oneof(
      hostileDate.filter((d) => !Number.isNaN(d.getTime())),
      fc.constantFrom('2000-01-05T12:00:00.123Z', '2000-01-05'),
      hostileDate.filter((d) => !Number.isNaN(d.getTime())).map((d) => ({gt: d})),
    ),
  ),
  fc.tuple(
    fc.constant('meta'),
    fc
      .array(fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...PROPERTIES)), hostileString), {
        maxLength: 3,
      })
      .map(own),
  ),
  fc.tuple(
    fc.constantFrom('name', 'id'),
    hugeList.map((list) => ({inq: list.map(String)})),
  ),
);
const {plausibleWhere} = fc.letrec<{plausibleWhere: Record<string, unknown>}>((tie) => ({
  plausibleWhere: fc
    .array(
      fc.oneof(
        {depthSize: 'small', maxDepth: 3},
        {weight: 4, arbitrary: plausibleEntry},
        {
          weight: 1,
          arbitrary: fc.tuple(
            fc.constantFrom(...LOGICAL),
            fc.array(tie('plausibleWhere'), {maxLength: 3}),
          ),
        },
      ),
      {maxLength: 3},
    )
    .map(own),
}));
const plausibleFilter: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      where: plausibleWhere,
      order: fc.oneof(
        fc.constantFrom('name DESC', 'age', 'born ASC, id DESC', ['active desc', 'name']),
        fc
          .tuple(nestedKey, fc.constantFrom('', ' ASC', ' DESC'))
          .filter(([k]) => !/\s|,/.test(k))
          .map(([k, d]) => k + d),
      ),
      fields: fc.subarray([...PROPERTIES]),
      limit: fc.oneof(fc.integer({min: 0, max: 30}), fc.constantFrom('5', 2 ** 53 - 1)),
      skip: fc.integer({min: 0, max: 30}),
    },
    {requiredKeys: ['where']},
  )
  .map((parts) => own(Object.entries(parts)));

const filter = fc.oneof(hostileFilter, plausibleFilter);
const anyWhere = fc.oneof(where, plausibleWhere);

// ---------------------------------------------------------------------------------------------------------------------
// What a statement may contain
// ---------------------------------------------------------------------------------------------------------------------

const IDENTIFIERS = new Set([MODEL, ...PROPERTIES].map((n) => `\`${n}\``));
const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'NULL',
  'LIKE',
  'BETWEEN',
  'ORDER',
  'BY',
  'ASC',
  'DESC',
  'LIMIT',
  'OFFSET',
  'COUNT',
  'AS',
  'cnt',
  'LOWER',
  'REGEXP',
  'JSON_UNQUOTE',
  'JSON_EXTRACT',
  'JSON_CONTAINS',
  'JSON_TABLE',
  'DELETE',
  'UPDATE',
  'SET',
  '0',
  '1',
  '18446744073709551615',
]);
const PUNCTUATION = new Set(['(', ')', ',', '=', '!', '<', '>', '*', '?']);

const STATEMENT_KINDS = {
  find: /^SELECT `/,
  count: /^SELECT COUNT\(\*\) AS cnt FROM `Target`(?: WHERE |$)/,
  destroy: /^DELETE FROM `Target`(?: WHERE |$)/,
  update: /^(?:UPDATE `Target` SET `|SELECT COUNT\(\*\) AS cnt FROM `Target`(?: WHERE |$))/,
} as const;
type CallKind = keyof typeof STATEMENT_KINDS;

/** The constant text of a where on a path through an array (src/mysql/operators.ts, buildSomeElement). */
const ELEMENT_TABLE =
  "'$[*]' COLUMNS (`v` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) AS `_lb_e`";
const ELEMENT_VALUE = '`_lb_e`.`v`';

/** The SQL without the connector's constant fragments that hold more than words and identifiers. */
function withoutConstants(sql: string): string {
  return sql.split(ELEMENT_TABLE).join(' ').split(ELEMENT_VALUE).join(' ');
}

/** Every identifier is the model's, every word is the connector's: nothing from the request is in the text. */
function assertSqlShape(sql: string): void {
  const rest = withoutConstants(sql).replace(/`(?:[^`]|``)*`/g, (ident) => {
    assert.ok(IDENTIFIERS.has(ident), `unexpected identifier ${ident} in ${sql}`);
    return ' ';
  });
  for (const token of rest.match(/[A-Za-z_]+|\d+|\S/g) ?? []) {
    assert.ok(
      KEYWORDS.has(token) || PUNCTUATION.has(token),
      `unexpected token ${JSON.stringify(token)} in ${sql}`,
    );
  }
}

/** The strings of a generated input: its keys, values and RegExp sources. */
function collectStrings(input: unknown, out = new Set<string>(), seen = new Set<unknown>()) {
  if (typeof input === 'string') out.add(input);
  else if (input instanceof RegExp) out.add(input.source);
  else if (input !== null && typeof input === 'object' && !seen.has(input)) {
    seen.add(input);
    for (const key of Object.keys(input)) {
      out.add(key);
      collectStrings((input as Record<string, unknown>)[key], out, seen);
    }
  }
  return out;
}

function assertNoGeneratedString(sql: string, strings: Set<string>): void {
  for (const s of strings) {
    // A string made only of characters the connector's own SQL uses (`name`,`age`, `SELECT`...) may be in the text
    // legitimately: assertSqlShape checks those words and identifiers. Any other string must not be there.
    if (/^[\w\s`(),=!<>*?.]*$/.test(s)) continue;
    assert.ok(
      !withoutConstants(sql).includes(s),
      `generated string ${JSON.stringify(s.slice(0, 80))} is in ${sql}`,
    );
  }
}

function isScalarParam(p: unknown): boolean {
  return (
    p === null ||
    ['string', 'number', 'boolean', 'bigint'].includes(typeof p) ||
    p instanceof Date ||
    Buffer.isBuffer(p)
  );
}

/**
 * A request error (4xx), or an error of the server about the request: a filter it rejects (MySqlError 400, e.g. an
 * invalid regexp) or data it cannot store (422). Never a syntax error, never a 500.
 */
function assertClientError(err: any, what: string): void {
  assert.notEqual(err?.code, 'ER_PARSE_ERROR', `${what}: SQL syntax error: ${err?.message}`);
  const status = err?.statusCode;
  if (err?.name === 'MySqlError') {
    assert.ok(status === 400 || status === 422, `${what}: ${err.code} ${status}: ${err.message}`);
    return;
  }
  assert.ok(
    typeof status === 'number' && status >= 400 && status <= 499,
    `${what}: expected a 4xx error, got ${util.inspect(err).slice(0, 600)}`,
  );
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle in ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------------------
// Seed data
// ---------------------------------------------------------------------------------------------------------------------

/** Distinct under the case- and accent-insensitive default collation; none starts with `~~`. */
const SEED_NAMES: readonly (string | null)[] = [
  'alpha',
  "O'Brien",
  'back`tick',
  'dq"x',
  '-- dash',
  '/* c */',
  '#hash',
  '; DROP TABLE x',
  'semi;colon',
  'nul\0byte',
  'emoji 😀',
  'ünïcödé',
  'percent%',
  'under_score',
  'back\\slash',
  'question?',
  `long ${'y'.repeat(400)}`,
  null,
  'Zed',
  'zz top',
];
interface SeedRow {
  id: number;
  name: string | null;
  age: number | null;
  active: boolean | null;
  born: Date | null;
  meta: unknown;
  tags: string[] | null;
}
const SEED_ROWS: readonly SeedRow[] = SEED_NAMES.map((name, i) => {
  const id = i + 1;
  return {
    id,
    name,
    age: id % 7 === 3 ? null : id - 1,
    active: id % 5 === 0 ? null : id % 2 === 0,
    born: id % 6 === 0 ? null : new Date(Date.UTC(2000, 0, id, 12, 0, 0, 123)),
    meta:
      id % 4 === 0
        ? null
        : own([
            ['i', id],
            ['s', PAYLOADS[id] ?? ''],
            ['__proto__', own([['polluted', true]])],
            ['nested', {deep: [id, "'", '`']}],
          ]),
    tags: id % 3 === 0 ? null : [`t${id}`, "'; DROP TABLE x", '😀'],
  };
});

// ---------------------------------------------------------------------------------------------------------------------
// Expected matches of a simple where, evaluated in JS
// ---------------------------------------------------------------------------------------------------------------------

const numValue: fc.Arbitrary<number> = fc.oneof(
  {weight: 4, arbitrary: fc.integer({min: -3, max: 23})},
  {weight: 1, arbitrary: fc.constantFrom(-0, 0.5, 2.5, 1e308, -1e308, 2 ** 53)},
);
const numOrNull = fc.oneof({weight: 5, arbitrary: numValue}, fc.constant(null));
const numCondition: fc.Arbitrary<unknown> = fc.oneof(
  numOrNull,
  fc
    .tuple(fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), numOrNull)
    .map(([op, v]) => own([[op, v]])),
  fc.tuple(numValue, numValue).map((b) => ({between: b})),
  fc
    .tuple(fc.constantFrom('inq', 'nin'), fc.array(numOrNull, {maxLength: 5}))
    .map(([op, list]) => own([[op, list]])),
);
/** Either exactly a seeded name, or a hostile string that can match no row (`~~` starts no seeded name). */
const strValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SEED_NAMES.filter((n): n is string => n !== null)),
  hostileString.map((s) => `~~${s}`),
);
const strOrNull = fc.oneof({weight: 5, arbitrary: strValue}, fc.constant(null));
const strCondition: fc.Arbitrary<unknown> = fc.oneof(
  strOrNull,
  fc.tuple(fc.constantFrom('eq', 'neq'), strOrNull).map(([op, v]) => own([[op, v]])),
  fc
    .tuple(fc.constantFrom('inq', 'nin'), fc.array(strOrNull, {maxLength: 5}))
    .map(([op, list]) => own([[op, list]])),
);
const {simpleWhere} = fc.letrec<{simpleWhere: Record<string, unknown>}>((tie) => ({
  simpleWhere: fc
    .array(
      fc.oneof(
        {depthSize: 'small', maxDepth: 3},
        {weight: 3, arbitrary: fc.tuple(fc.constantFrom('age', 'id'), numCondition)},
        {weight: 3, arbitrary: fc.tuple(fc.constant('name'), strCondition)},
        {
          weight: 1,
          arbitrary: fc.tuple(
            fc.constantFrom('and', 'or'),
            fc.array(tie('simpleWhere'), {maxLength: 3}),
          ),
        },
      ),
      {minLength: 1, maxLength: 3},
    )
    .map(own),
}));

function leafMatches(actual: unknown, cond: unknown): boolean {
  const isNull = actual === null || actual === undefined;
  if (cond === null) return isNull;
  if (typeof cond !== 'object' || Array.isArray(cond)) return !isNull && actual === cond;
  const [op, v] = Object.entries(cond as Record<string, unknown>)[0] as [string, unknown];
  switch (op) {
    case 'eq':
      return v === null ? isNull : !isNull && actual === v;
    case 'neq':
      return v === null ? !isNull : !isNull && actual !== v;
    case 'gt':
      return !isNull && v !== null && (actual as number) > (v as number);
    case 'gte':
      return !isNull && v !== null && (actual as number) >= (v as number);
    case 'lt':
      return !isNull && v !== null && (actual as number) < (v as number);
    case 'lte':
      return !isNull && v !== null && (actual as number) <= (v as number);
    case 'between': {
      const [a, b] = v as [number, number];
      return !isNull && (actual as number) >= a && (actual as number) <= b;
    }
    case 'inq': {
      const list = v as unknown[];
      return isNull ? list.includes(null) : list.includes(actual);
    }
    case 'nin': {
      const list = v as unknown[];
      const nonNull = list.filter((x) => x !== null);
      if (isNull) return nonNull.length === 0 && !list.includes(null);
      return !nonNull.includes(actual);
    }
    default:
      throw new Error(`not a simple operator: ${op}`);
  }
}

function whereMatches(w: Record<string, unknown>, row: SeedRow): boolean {
  return Object.keys(w).every((key) => {
    const cond = w[key];
    if (key === 'and')
      return (cond as Record<string, unknown>[]).every((c) => whereMatches(c, row));
    if (key === 'or') return (cond as Record<string, unknown>[]).some((c) => whereMatches(c, row));
    return leafMatches(row[key as 'id' | 'name' | 'age'], cond);
  });
}

/** Data for updateAll: hostile but storable values (or 422 for a too long name / an out-of-range age). */
const updateData: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      name: hostileString,
      age: fc.oneof(fc.integer({min: -1000, max: 1000}), fc.constantFrom(-0, 1e308)),
      active: fc.boolean(),
      meta: fc
        .array(fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...PROPERTIES)), shortHostileString), {
          maxLength: 3,
        })
        .map(own),
      tags: fc.array(shortHostileString, {maxLength: 3}),
    },
    {requiredKeys: []},
  )
  .map((data) => own(Object.entries(data)));

// ---------------------------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------------------------

describe('safety (integration, property-based)', function () {
  this.timeout(120_000);

  let db: string;
  let ds: any;
  let Target: any;
  let check: ReturnType<mysql2.Connection['promise']>;
  let pristine: string;
  let executed: {sql: string; params: readonly unknown[]}[] = [];
  const counts = {
    find: 0,
    count: 0,
    destroy: 0,
    update: 0,
    rejected: 0,
    succeeded: 0,
    statements: 0,
    rowsChanged: 0,
  };
  const startedAt = Date.now();

  const COLUMNS = ['id', 'name', 'age', 'active', 'born', 'meta', 'tags'];
  const rowHash = (alias: string, columns: readonly string[]) =>
    `SHA2(CONCAT_WS(0x1f, ${columns.map((c) => `IFNULL(${alias}.\`${c}\`, 0x00)`).join(', ')}), 256)`;

  /** Row count, checksum of every row, the canary table and the list of tables. */
  async function fingerprint(): Promise<string> {
    const [rows] = await check.query(
      `SELECT (SELECT COUNT(*) FROM \`${MODEL}\`) AS n,
        (SELECT SHA2(GROUP_CONCAT(${rowHash('t', COLUMNS)} ORDER BY t.id SEPARATOR ','), 256) FROM \`${MODEL}\` t) AS h,
        (SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE()) AS tables,
        (SELECT GROUP_CONCAT(v) FROM x) AS canary`,
    );
    return JSON.stringify((rows as unknown[])[0]);
  }

  async function restore(): Promise<void> {
    await check.query(`DELETE FROM \`${MODEL}\``);
    await check.query(`INSERT INTO \`${MODEL}\` SELECT * FROM seed_copy`);
  }

  async function assertIntact(what: string): Promise<void> {
    const now = await fingerprint();
    if (now !== pristine) {
      await restore();
      assert.fail(`${what}: the table changed: ${now} != ${pristine}`);
    }
  }

  /**
   * Errors juggler itself throws on hostile input before the connector sees it (`Invalid date: x` from its Date
   * coercion, a TypeError from its geo `near` scan of a where holding null or an own `hasOwnProperty`): outside this
   * package, they are tallied and reported, not failed. They must come from juggler's code and run no statement.
   */
  const jugglerErrors = new Map<string, number>();

  function isJugglerError(err: any): boolean {
    if (!(err instanceof Error) || (err as any).statusCode !== undefined) return false;
    // The first frame in a file (a TypeError's first frame may be a builtin such as `Object.keys`).
    const firstFrame =
      (err.stack ?? '').split('\n').find((line) => /^\s+at .*\/.*:\d+:\d+\)?$/.test(line)) ?? '';
    return firstFrame.includes('loopback-datasource-juggler');
  }

  /**
   * Runs one call and checks its statements and outcome (not the data: the caller does). Returns the result, or the
   * (acceptable) error.
   */
  async function attempt(
    kind: CallKind,
    input: unknown,
    call: () => Promise<unknown>,
    viaJuggler = false,
  ): Promise<{ok: true; result: unknown} | {ok: false; error: any}> {
    const strings = collectStrings(input);
    const what = `${viaJuggler ? 'juggler' : 'connector'} ${kind}(${util.inspect(input, {depth: 6, maxStringLength: 80, maxArrayLength: 5})})`;
    executed = [];
    counts[kind]++;
    let outcome: {ok: true; result: unknown} | {ok: false; error: any};
    try {
      outcome = {ok: true, result: await withTimeout(call(), what)};
    } catch (error) {
      outcome = {ok: false, error};
    }
    const statements = executed;
    counts.statements += statements.length;
    assert.ok(statements.length <= 1, `${what} ran ${statements.length} statements`);
    for (const {sql, params} of statements) {
      assert.match(sql, STATEMENT_KINDS[kind], `${what}: unexpected statement ${sql}`);
      assertSqlShape(sql);
      assertNoGeneratedString(sql, strings);
      for (const p of params) {
        assert.ok(isScalarParam(p), `${what}: parameter ${util.inspect(p)} is not a scalar`);
      }
    }
    if (outcome.ok) {
      counts.succeeded++;
      if (kind === 'find') assert.ok(Array.isArray(outcome.result), `${what}: not an array`);
      if (kind === 'count') assert.equal(typeof outcome.result, 'number', what);
    } else {
      counts.rejected++;
      if (viaJuggler && statements.length === 0 && isJugglerError(outcome.error)) {
        const key = `${outcome.error.name}: ${String(outcome.error.message).replace(/:.*$/s, ': ...')}`;
        jugglerErrors.set(key, (jugglerErrors.get(key) ?? 0) + 1);
      } else {
        assertClientError(outcome.error, what);
      }
    }
    return outcome;
  }

  /** Puts the seeded rows back when a failed run (or its shrinking) left them changed. */
  async function ensurePristine(): Promise<void> {
    if ((await fingerprint()) !== pristine) await restore();
  }

  before(async function () {
    db = await createDatabase('safety');
    ds = new DataSource(connector, dataSourceSettings(db));
    Target = ds.define(
      MODEL,
      {
        id: {type: Number, id: true, generated: true},
        name: String,
        age: Number,
        active: Boolean,
        born: Date,
        meta: Object,
        tags: [String],
      },
      {forceId: false},
    );
    await ds.automigrate();
    for (const row of SEED_ROWS) await Target.create(row);
    const {host, port, user, password} = serverConfig();
    check = mysql2.createConnection({host, port, user, password, database: db}).promise();
    await check.query('SET SESSION group_concat_max_len = 16777216');
    await check.query('CREATE TABLE x (v INT)');
    await check.query('INSERT INTO x VALUES (42)');
    await check.query(`CREATE TABLE seed_copy LIKE \`${MODEL}\``);
    await check.query(`INSERT INTO seed_copy SELECT * FROM \`${MODEL}\``);
    const [distinct] = await check.query(`SELECT COUNT(DISTINCT name) AS n FROM \`${MODEL}\``);
    assert.equal((distinct as {n: number}[])[0]?.n, SEED_NAMES.length - 1, 'seeded names collide');
    pristine = await fingerprint();
    ds.connector.observe('before execute', (ctx: any, next: () => void) => {
      executed.push({sql: ctx.req.sql, params: ctx.req.params});
      next();
    });
  });

  after(async function () {
    if (ds) await ds.disconnect();
    if (check) await check.end();
    if (db) await dropDatabase(db);
    if (!process.env.SAFETY_VERBOSE) return;
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.log(`      safety: ${JSON.stringify(counts)} in ${seconds} s`);
    if (jugglerErrors.size > 0) {
      console.log(
        `      juggler's own errors: ${JSON.stringify(Object.fromEntries(jugglerErrors))}`,
      );
    }
  });

  /**
   * juggler warns on the console when it escapes a string pattern that is not a valid JS RegExp: that is the only
   * output these tests may cause, and the regexp test below asserts it.
   */
  const JUGGLER_REGEXP_WARNING =
    /^Auto-escaping invalid RegExp value "[\s\S]*" supplied by the caller\./;
  let output: Capture;
  beforeEach(function () {
    output = startCapture();
  });
  afterEach(function () {
    assertPrinted(output.stop(), [JUGGLER_REGEXP_WARNING], {optional: true});
  });

  afterEach(function () {
    // No generated `__proto__` key reached a prototype.
    for (const key of ['polluted', 'where', 'x', 'a', 'name']) {
      assert.equal((Object.prototype as any)[key], undefined, `Object.prototype.${key} was set`);
    }
  });

  it('the statement checks catch an injected value', function () {
    assert.throws(() => assertSqlShape("SELECT `id` FROM `Target` WHERE `name`='x'"));
    assert.throws(() => assertSqlShape('SELECT `id` FROM `Target` WHERE `name`=? OR SLEEP(5)'));
    assert.throws(() => assertSqlShape('SELECT `id`,`x` FROM `Target`'));
    assert.throws(() => assertSqlShape('DELETE FROM `Target`; DROP TABLE x'));
    assert.throws(() =>
      assertNoGeneratedString("... `name`='; DROP TABLE x'", new Set(['; DROP'])),
    );
    assertSqlShape('SELECT COUNT(*) AS cnt FROM `Target` WHERE (`age`>? OR `name` IN (?,?))');
  });

  it('find: hostile filters through juggler', async function () {
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        await ensurePristine();
        await attempt('find', f, () => Target.find(structuredClone(f)), true);
        await assertIntact('find');
      }),
      {numRuns: 1500, seed: SEED},
    );
  });

  it('find: hostile filters straight to the connector', async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {weight: 20, arbitrary: filter},
          {
            weight: 1,
            arbitrary: fc.constantFrom<unknown>(
              [],
              'where',
              42,
              JSON.parse('{"__proto__": {"where": {"x": 1}}}'),
            ),
          },
        ),
        async (f) => {
          await ensurePristine();
          await attempt('find', f, () => ds.connector.all(MODEL, f, {}));
          await assertIntact('all');
        },
      ),
      {numRuns: 1500, seed: SEED},
    );
  });

  it('count: hostile wheres through juggler and straight to the connector', async function () {
    await fc.assert(
      fc.asyncProperty(anyWhere, fc.boolean(), async (w, viaJuggler) => {
        await ensurePristine();
        await attempt(
          'count',
          w,
          () => (viaJuggler ? Target.count(structuredClone(w)) : ds.connector.count(MODEL, w, {})),
          viaJuggler,
        );
        await assertIntact('count');
      }),
      {numRuns: 1000, seed: SEED},
    );
  });

  it('destroyAll/updateAll: a where with an unknown key is a 400 and touches nothing', async function () {
    const withUnknownKey = fc
      // juggler drops a key whose value is undefined, which is then no condition at all.
      .tuple(
        simpleWhere,
        unknownKey,
        condition.filter((c) => c !== undefined),
        fc.integer({min: 0, max: 2}),
      )
      .map(([simple, key, cond, placement]) => {
        const bad = own([[key, cond]]);
        if (placement === 0) return own([...Object.entries(simple), [key, cond]]);
        if (placement === 1) return own([['and', [simple, bad]]]);
        return own([['or', [bad, simple]]]);
      });
    await fc.assert(
      fc.asyncProperty(withUnknownKey, updateData, fc.boolean(), async (w, data, viaJuggler) => {
        await ensurePristine();
        const destroyed = await attempt(
          'destroy',
          w,
          () =>
            viaJuggler
              ? Target.destroyAll(structuredClone(w))
              : ds.connector.destroyAll(MODEL, w, {}),
          viaJuggler,
        );
        assert.equal(destroyed.ok, false, 'destroyAll with an unknown key succeeded');
        assert.equal(executed.length, 0, 'destroyAll with an unknown key ran a statement');
        await assertIntact('destroyAll');
        const updated = await attempt(
          'update',
          {w, data},
          () =>
            viaJuggler
              ? Target.updateAll(structuredClone(w), structuredClone(data))
              : ds.connector.updateAll(MODEL, w, data, {}),
          viaJuggler,
        );
        assert.equal(updated.ok, false, 'updateAll with an unknown key succeeded');
        assert.equal(executed.length, 0, 'updateAll with an unknown key ran a statement');
        await assertIntact('updateAll');
      }),
      {numRuns: 300, seed: SEED},
    );
  });

  it('destroyAll/updateAll: hostile values change exactly the rows the where matches', async function () {
    await fc.assert(
      fc.asyncProperty(
        simpleWhere,
        fc.option(updateData, {nil: undefined}),
        fc.boolean(),
        async (w, data, viaJuggler) => {
          await ensurePristine();
          const expected = SEED_ROWS.filter((row) => whereMatches(w, row)).map((r) => r.id);
          const kind: CallKind = data ? 'update' : 'destroy';
          const outcome = await attempt(
            kind,
            {w, data},
            () => {
              if (data) {
                return viaJuggler
                  ? Target.updateAll(structuredClone(w), structuredClone(data))
                  : ds.connector.updateAll(MODEL, w, data, {});
              }
              return viaJuggler
                ? Target.destroyAll(structuredClone(w))
                : ds.connector.destroyAll(MODEL, w, {});
            },
            viaJuggler,
          );
          try {
            if (!outcome.ok) {
              // Only a value the column cannot hold may fail (or, through juggler, data keys it prohibits such as
              // `$x`, before any statement), and then nothing changed.
              assert.ok(data, `destroyAll failed: ${outcome.error?.message}`);
              const prohibited =
                viaJuggler &&
                executed.length === 0 &&
                outcome.error.statusCode === 400 &&
                /are not allowed in query/.test(outcome.error.message);
              if (!prohibited) assert.equal(outcome.error.statusCode, 422, outcome.error.message);
              assert.equal(await fingerprint(), pristine, 'a failed updateAll changed rows');
              return;
            }
            const result = outcome.result as {count: number};
            counts.rowsChanged += expected.length;
            assert.equal(result.count, expected.length, `count for ${util.inspect(w)}`);
            const kept = COLUMNS.filter((c) => !data || !Object.keys(data).includes(c));
            const [rows] = await check.query(
              `SELECT s.id, t.id AS tid, ${rowHash('t', COLUMNS)} = ${rowHash('s', COLUMNS)} AS same,
                ${rowHash('t', kept)} = ${rowHash('s', kept)} AS sameKept
               FROM seed_copy s LEFT JOIN \`${MODEL}\` t ON t.id = s.id ORDER BY s.id`,
            );
            for (const row of rows as {
              id: number;
              tid: number | null;
              same: 0 | 1;
              sameKept: 0 | 1;
            }[]) {
              const matched = expected.includes(row.id);
              if (kind === 'destroy') {
                assert.equal(row.tid === null, matched, `row ${row.id} deleted: ${!matched}`);
                if (!matched) assert.equal(row.same, 1, `row ${row.id} changed`);
              } else {
                assert.equal(row.tid, row.id, `row ${row.id} disappeared`);
                if (matched) assert.equal(row.sameKept, 1, `row ${row.id}: other columns changed`);
                else assert.equal(row.same, 1, `row ${row.id} changed but does not match`);
              }
            }
            const [[{n}]] = (await check.query(`SELECT COUNT(*) AS n FROM \`${MODEL}\``)) as any;
            assert.equal(
              n,
              kind === 'destroy' ? SEED_ROWS.length - expected.length : SEED_ROWS.length,
            );
          } finally {
            if ((await fingerprint()) !== pristine) await restore();
          }
          assert.equal(await fingerprint(), pristine, 'restore failed');
        },
      ),
      {numRuns: 600, seed: SEED},
    );
  });

  it('an object where a scalar belongs is a 400, never a column comparison', async function () {
    const objectValue = fc.oneof(
      fc.constantFrom<unknown>(
        {x: 0},
        {name: 'alpha'},
        {id: 1},
        {age: 1},
        JSON.parse('{"__proto__": {"x": 0}}'),
        JSON.parse('{"toString": "alpha"}'),
        JSON.parse('{"constructor": {"name": "alpha"}}'),
        [{name: 'alpha'}],
      ),
      fc
        .array(fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...PROPERTIES)), scalar), {
          minLength: 1,
          maxLength: 3,
        })
        .map(own),
    );
    const placed = fc
      .tuple(
        fc.constantFrom(...SCALAR_PROPERTIES),
        fc.constantFrom('value', 'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'inq', 'nin'),
        objectValue,
      )
      .map(([property, op, v]) => {
        let cond: unknown;
        if (op === 'value') cond = v;
        else if (op === 'between') cond = {between: [0, v]};
        else if (op === 'inq' || op === 'nin') cond = own([[op, [1, v]]]);
        else cond = own([[op, v]]);
        return {property, where: own([[property, cond]])};
      });
    await fc.assert(
      fc.asyncProperty(placed, async ({where: w}) => {
        const outcome = await attempt('find', w, () => ds.connector.all(MODEL, {where: w}, {}));
        assert.equal(outcome.ok, false, `accepted ${util.inspect(w)}`);
        if (!outcome.ok) assert.equal(outcome.error.statusCode, 400);
        assert.equal(executed.length, 0);
        await assertIntact('object value');
      }),
      {numRuns: 500, seed: SEED},
    );

    // Through juggler, which turns some objects into strings first: never an object among the parameters.
    for (const [w, rejected] of [
      [{age: {lt: {x: 0}}}, true],
      [{id: {x: 0}}, true],
      [{age: JSON.parse('{"__proto__": {"x": 0}}')}, true],
      [{name: {eq: {name: 'alpha'}}}, false],
    ] as const) {
      const outcome = await attempt('find', w, () => Target.find({where: structuredClone(w)}));
      if (rejected) {
        assert.equal(outcome.ok, false, `accepted ${util.inspect(w)}`);
        if (!outcome.ok) assert.equal(outcome.error.statusCode, 400);
        assert.equal(executed.length, 0);
      } else if (outcome.ok) {
        assert.deepEqual(outcome.result, []);
      }
    }
    await assertIntact('object value through juggler');
  });

  it('an invalid regexp pattern is a 400, not a 500', async function () {
    for (const pattern of ['(', '[[:alpha:]', 'a{99999}', '\\', '*', '(?<', '[z-a]']) {
      for (const viaJuggler of [false, true]) {
        const w = {name: {regexp: pattern}};
        const outcome = await attempt(
          'find',
          w,
          () =>
            viaJuggler
              ? Target.find({where: structuredClone(w)})
              : ds.connector.all(MODEL, {where: w}, {}),
          viaJuggler,
        );
        // juggler turns a string pattern into a JS RegExp first: one JS rejects fails there, before any SQL.
        if (outcome.ok) continue;
        const rejectedByJuggler = viaJuggler && outcome.error?.name === 'SyntaxError';
        if (!rejectedByJuggler) {
          assert.equal(outcome.error.statusCode, 400, outcome.error.message);
        }
      }
    }
    assert.ok(
      output.lines.some((line) => /^Auto-escaping invalid RegExp value "\[z-a\]"/.test(line)),
      'juggler warned about the pattern it escaped',
    );
    await assertIntact('regexp');
  });

  it('execute() never turns an object parameter into SQL', async function () {
    executed = [];
    const rows = await ds.connector.execute('SELECT ? AS v', [{a: 1}]);
    assert.equal(executed[0]?.sql, 'SELECT ? AS v');
    assert.deepEqual(rows, [{v: '[object Object]'}]);
    const matching = await ds.connector.execute(`SELECT id FROM \`${MODEL}\` WHERE ?`, [
      {name: 'alpha'},
    ]);
    assert.deepEqual(matching, [], 'the object became `name` = ...');
    const proto = await ds.connector.execute('SELECT ? AS v', [
      JSON.parse('{"__proto__": {"toString": 1}, "a": "\'; DROP TABLE x; --"}'),
    ]);
    assert.deepEqual(proto, [{v: '[object Object]'}]);
    await assertIntact('execute');
  });

  describe('the password never shows', function () {
    let captured: string[];
    let restoreOutput: () => void;

    beforeEach(function () {
      captured = [];
      const previous = createDebug.disable();
      const log = createDebug.log;
      const {error, warn, log: consoleLog} = console;
      createDebug.enable('loopback:connector:*');
      createDebug.log = (...args: unknown[]) => captured.push(util.format(...args));
      console.error =
        console.warn =
        console.log =
          (...args: unknown[]) => captured.push(util.format(...args));
      restoreOutput = () => {
        createDebug.log = log;
        createDebug.disable();
        if (previous) createDebug.enable(previous);
        Object.assign(console, {error, warn, log: consoleLog});
      };
    });

    afterEach(function () {
      restoreOutput();
    });

    async function connectFails(settings: Record<string, unknown>): Promise<void> {
      const bad = new DataSource(connector, {connectTimeout: 5000, ...settings});
      bad.on('error', () => undefined);
      try {
        const errors: any[] = [];
        await bad.connect().catch((err: unknown) => errors.push(err));
        await bad.connector.execute('SELECT 1').catch((err: unknown) => errors.push(err));
        await bad.connector.all(MODEL, {}, {}).catch((err: unknown) => errors.push(err));
        assert.ok(errors.length >= 2, 'connecting with a wrong password succeeded');
        for (const err of errors) {
          assert.ok(err instanceof Error);
          for (const text of [
            err.message,
            String(err.stack),
            util.inspect(err, {depth: Infinity, showHidden: true}),
            JSON.stringify(err),
          ]) {
            assert.ok(!text.includes(SECRET), `the password is in ${text}`);
          }
        }
      } finally {
        await bad.disconnect();
      }
      for (const line of captured) assert.ok(!line.includes(SECRET), `the password is in ${line}`);
    }

    it('not with a wrong password', async function () {
      const {host, port} = serverConfig();
      await connectFails({host, port, user: 'nobody_x', password: SECRET, database: 'db'});
    });

    it('not with a url to a closed port', async function () {
      await connectFails({url: `mysql://nobody_x:${SECRET}@127.0.0.1:1/db`});
    });
  });
});
