/*
 * juggler's shared connector suites, from the installed loopback-datasource-juggler package, against the real
 * server. This is the one file that sets the globals those suites read.
 */
import {createRequire} from 'node:module';
import * as connector from '../../src';
import {admin, dataSourceSettings, dropDatabase} from '../helpers/mysql-config';

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

const DATABASE = `lbts_suites_${process.pid}`;
const dataSources: {disconnect(): Promise<void>}[] = [];

globalThis.getSchema = globalThis.getDataSource = (settings?: Record<string, unknown>) => {
  const ds = new juggler.DataSource(connector, dataSourceSettings(DATABASE, settings ?? {}));
  dataSources.push(ds);
  return ds;
};
globalThis.connectorCapabilities = capabilities;

describe('juggler shared suites', function () {
  // Fails with how to start a server, rather than with the first suite's connection error.
  before(() => admin('SELECT 1'));

  beforeEach(function () {
    const title = this.currentTest?.fullTitle() ?? '';
    const conflict = KNOWN_CONFLICTS.find(([pattern]) => pattern.test(title));
    if (conflict) {
      console.log(
        `\n    known conflict, asserted differently in crud.test.ts: ${title}\n      (${conflict[1]})`,
      );
      this.skip();
    }
  });

  after(async () => {
    await Promise.all(dataSources.map((ds) => ds.disconnect().catch(() => undefined)));
    await dropDatabase(DATABASE);
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
