/*
 * juggler's shared connector suites, from the installed loopback-datasource-juggler package, against the real
 * server. This is the one file that sets the globals those suites read.
 */
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import * as connector from '../../src';
import {admin, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';
import {type Capture, assertPrinted, startCapture} from '../helpers/output';

const requireJuggler = createRequire(require.resolve('loopback-datasource-juggler/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const juggler = require('loopback-datasource-juggler') as {
  DataSource: new (c: unknown, s: unknown) => {disconnect(): Promise<void>};
};

/** The capability flags juggler's suites read (`global.connectorCapabilities`); every opt-in flag is on. */
interface ConnectorCapabilities {
  ilike: boolean;
  nilike: boolean;
  replaceOrCreateReportsNewInstance: boolean;
  /** `inq` tests of basic-querying. */
  supportInq: boolean;
  /** `include` through polymorphic embedsMany and referencesMany relations (relations.test.js). */
  supportInclude: boolean;
  /** Dotted paths into Object properties, and through arrays of objects. */
  nestedProperty: boolean;
  /** A GeoPoint property on basic-querying's User. */
  geoPoint: boolean;
  /** `order` on any property, without an index for it, and on nested paths. */
  adhocSort: boolean;
  /** `connector.upsertWithWhere`: one atomic call that updates the first match by id. */
  atomicUpsertWithWhere: boolean;
  [flag: string]: boolean | undefined;
}

declare global {
  var getSchema: (settings?: Record<string, unknown>) => unknown;
  var getDataSource: (settings?: Record<string, unknown>) => unknown;
  var connectorCapabilities: ConnectorCapabilities;
}

const capabilities: ConnectorCapabilities = {
  ilike: true,
  nilike: true,
  replaceOrCreateReportsNewInstance: true,
  supportInq: true,
  supportInclude: true,
  nestedProperty: true,
  geoPoint: true,
  adhocSort: true,
  atomicUpsertWithWhere: true,
};

/**
 * Tests of the shared suites that contradict SQL semantics or each other, by the end of their full title, with why.
 * Each is covered instead by a test of ours asserting the behaviour we keep (test/integration/crud.test.ts).
 */
const KNOWN_CONFLICTS: readonly (readonly [RegExp, string])[] = [
  [
    /ilike should support "like" that is satisfied$|ilike should sanitize invalid usage of like$|ilike should support "ilike" that is satisfied$|nilike should support "n?i?like" that is satisfied$/,
    'asserts the memory connector\'s unanchored-regex `like` (`like: "John"` matching "John Lennon"); MySQL LIKE ' +
      'matches the whole value, as the official connector does, and widening it would widen destroyAll/updateAll',
  ],
  [
    /Persistence hooks PersistedModel\.findOrCreate (applies updates from `persist` hook|triggers `loaded` hook) when found$/,
    'asserts that an unset column reads back as undefined, while datatype.test.js "persistUndefinedAsNull" asserts ' +
      'null; SQL stores NULL, and we return null like the official connector',
  ],
  [
    /basic-querying find supports non-empty inq$/,
    'expects the rows in the order its seed called create(), but the seed runs its creates in parallel ' +
      '(async.each), so the generated ids follow the order the INSERTs finish on the pool; without an order, rows ' +
      'come by id',
  ],
];

/**
 * What the suites print on their own, captured and checked against this list instead of filling the test output:
 * juggler's notices for the deprecated hooks and the patterns it escapes, which its tests use on purpose, and the
 * warning of our autoupdate for a column a redefined model no longer has (kept, not dropped).
 */
const EXPECTED_OUTPUT: readonly RegExp[] = [
  /loopback-datasource-juggler deprecated Model hook "\w+\.\w+" is deprecated, use Operation hooks instead/,
  /^WARNING: id property cannot be changed from \S+ to \S+ for model:\w+ in '[\w ]+' operation hook$/,
  /^Auto-escaping invalid RegExp value "[\s\S]*" supplied by the caller\./,
  /^\[LB_MYSQL_COLUMN_KEPT\] Column \w+\.\w+ is not in model \w+ and was kept; set mysql\.allowDropColumns/,
  /^Ignoring validation errors in updateOrCreate\(\):$/,
  /^ {2}The `\w+` instance is not valid\. Details: /,
];

const DATABASE = `lbts_suites_${process.pid}`;
const dataSources: {disconnect(): Promise<void>}[] = [];

globalThis.getSchema = globalThis.getDataSource = (settings?: Record<string, unknown>) => {
  const ds = new juggler.DataSource(connector, dataSourceSettings(DATABASE, settings ?? {}));
  dataSources.push(ds);
  return ds;
};
globalThis.connectorCapabilities = capabilities;

describe('juggler shared suites', function () {
  let output: Capture | undefined;
  const conflictsSeen = new Set<RegExp>();

  before(async () => {
    // Fails with how to start a server, rather than with the first suite's connection error.
    await admin('SELECT 1');
    output = startCapture();
  });

  // Known conflicts are pending, not run; the README lists them with their reasons.
  beforeEach(function () {
    const title = this.currentTest?.fullTitle() ?? '';
    const conflict = KNOWN_CONFLICTS.find(([pattern]) => pattern.test(title));
    if (conflict) {
      conflictsSeen.add(conflict[0]);
      this.skip();
    }
  });

  after(async () => {
    const printed = output?.stop() ?? [];
    await Promise.all(dataSources.map((ds) => ds.disconnect().catch(() => undefined)));
    await dropDatabase(DATABASE);
    assertPrinted(printed, EXPECTED_OUTPUT, {optional: true});
    // Every listed conflict still names a test of the installed juggler (the list does not outlive its tests).
    assert.deepEqual(
      KNOWN_CONFLICTS.filter(([pattern]) => !conflictsSeen.has(pattern)).map(([p]) => String(p)),
      [],
    );
  });

  describe('common.batch + include', () => {
    requireJuggler('./test/common.batch.js');
    requireJuggler('./test/include.test.js');
  });

  describe('persistence hooks', () => {
    const suite = requireJuggler('./test/persistence-hooks.suite.js') as (
      ds: unknown,
      should: unknown,
      caps: unknown,
    ) => void;
    suite(globalThis.getDataSource(), requireJuggler('should'), capabilities);
  });
});
