/*
 * A connector's own cost: CPU per call with the driver stubbed, for this connector, the benchmark's reference
 * connector (bench/reference-connector.ts) and the official one.
 *
 *   npx tsx bench/own-cost.ts [--rounds N] [--only <workload key prefix>]
 *   node --cpu-prof --require tsx/cjs bench/own-cost.ts --child ts --only createAll   (a profile of one contender)
 *
 * Each contender's connector is created by juggler as usual, then its `executeSQL` (the one method that talks to
 * mysql2; the reference's pool) is replaced by a stub that answers at once with a result of the driver's shape, and the connector's
 * juggler methods are called directly with the data juggler would pass them. What is left is the connector's work
 * alone: building SQL, reading results, converting rows. No server, no socket and no juggler, so its medians move
 * far less between runs than the full benchmark's, which move by tens of percent on a shared VM.
 *
 * Each round runs every contender in its own child process (fork of this file), alternating; the table reports
 * medians across rounds. No database is needed.
 */
import {fork} from 'node:child_process';
import mysql2 from 'mysql2';
import {
  BULK_ROWS,
  MODEL_NAME,
  MODEL_PROPERTIES,
  MODEL_SETTINGS,
  jugglerDataSource,
  row,
} from './workloads';
import {referenceConnectorModule} from './reference-connector';
import {median} from './stats';

type Contender = 'ts' | 'reference' | 'official';
const CONTENDERS: readonly Contender[] = ['ts', 'reference', 'official'];
const LABEL: Record<Contender, string> = {
  ts: 'this connector',
  reference: 'reference',
  official: 'official',
};

type Cb = (err: Error | null | undefined, ...results: unknown[]) => void;

/** The connector methods juggler calls, by the names and arities both connectors implement. */
interface JugglerConnector {
  create(model: string, data: object, options: object, cb: Cb): void;
  createAll(model: string, data: object[], options: object, cb: Cb): void;
  all(model: string, filter: object, options: object, cb: Cb): void;
  count(model: string, where: object, options: object, cb: Cb): void;
  update(model: string, where: object, data: object, options: object, cb: Cb): void;
  updateAttributes(model: string, id: unknown, data: object, options: object, cb: Cb): void;
  updateOrCreate(model: string, data: object, options: object, cb: Cb): void;
  destroyAll(model: string, where: object, options: object, cb: Cb): void;
  executeSQL: unknown;
}

/** A row as mysql2's text protocol returns it: DECIMAL as a string, TINYINT(1) as a number, JSON text. */
function driverRow(i: number): Record<string, unknown> {
  const r = row(i, i);
  return {...r, price: r.price.toFixed(2), active: r.active ? 1 : 0, meta: JSON.stringify(r.meta)};
}

/** Built once: the stub hands out shallow copies (connectors convert rows in place), a small cost for both. */
const DRIVER_ROWS = Array.from({length: BULK_ROWS}, (_, k) => driverRow(k + 1));

/** What the stubbed driver answers to a statement, by its first word (and, for SELECTs, its LIMIT). */
function driverResult(sql: string, params: readonly unknown[]): unknown {
  if (/^\s*SELECT\s+COUNT\(\*\)/i.test(sql)) return [{cnt: 42, n: 0}];
  if (/^\s*SELECT/i.test(sql)) {
    // One row for findById, 50 for the filtered find, 5000 for the bulk read: the LIMIT is a literal (official)
    // or the last parameter (this connector).
    const literal = /\bLIMIT\s+(\d+)/i.exec(sql);
    const limit = Number(literal ? literal[1] : params[params.length - 1]);
    const count = Number.isInteger(limit) && limit > 0 ? Math.min(limit, BULK_ROWS) : 1;
    const rows: Record<string, unknown>[] = [];
    for (let k = 0; k < count; k++) rows.push({...DRIVER_ROWS[k]});
    return rows;
  }
  if (/^\s*INSERT/i.test(sql)) return {insertId: 1000, affectedRows: 1, info: ''};
  return {affectedRows: 10, changedRows: 10, info: 'Rows matched: 10  Changed: 10  Warnings: 0'};
}

/** juggler's data for a create: Object properties JSON-encoded, as DataAccessObject._forDB does. */
function writeData(i: number, id?: number): Record<string, unknown> {
  const r = row(i, id);
  return {...r, meta: JSON.stringify(r.meta)};
}

/** Inputs built before the timed loops (connectors do not change them), so they measure the connector alone. */
const WRITES = Array.from({length: 1000}, (_, k) => writeData(k));
const UPSERTS = Array.from({length: 1000}, (_, k) => ({...row(k + 7, k + 1)}));
const BULK = [0, 1].map((b) =>
  Array.from({length: BULK_ROWS}, (_, j) => writeData(b * BULK_ROWS + j)),
);
const NAMES = Array.from({length: 50}, (_, k) =>
  Array.from({length: 10}, (_, j) => `name-${(k + j) % 50}`),
);
const at = <T>(list: readonly T[], k: number): T => list[k % list.length] as T;

interface Workload {
  key: string;
  /** Rows per call for the bulk workloads (CPU is reported per row). */
  rows: number;
  calls: number;
  call: (c: JugglerConnector, k: number, cb: Cb) => void;
}

const M = MODEL_NAME;
const WORKLOADS: Workload[] = [
  {key: 'create', rows: 1, calls: 40_000, call: (c, k, cb) => c.create(M, at(WRITES, k), {}, cb)},
  {
    key: `createAll ${BULK_ROWS}`,
    rows: BULK_ROWS,
    calls: 10,
    call: (c, k, cb) => c.createAll(M, at(BULK, k), {}, cb),
  },
  {
    key: 'findById',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) => c.all(M, {where: {id: k}, limit: 1}, {}, cb),
  },
  {
    key: 'find range+eq+inq limit 50',
    rows: 1,
    calls: 4_000,
    call: (c, k, cb) =>
      c.all(
        M,
        {
          where: {
            qty: {between: [k % 50, (k % 50) + 49]},
            active: k % 2 === 0,
            name: {inq: at(NAMES, k)},
          },
          order: ['price DESC', 'id ASC'],
          limit: 50,
        },
        {},
        cb,
      ),
  },
  {
    key: `find ${BULK_ROWS} rows`,
    rows: BULK_ROWS,
    calls: 40,
    call: (c, _k, cb) => c.all(M, {order: 'id ASC', limit: BULK_ROWS}, {}, cb),
  },
  {
    key: 'count where',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) => c.count(M, {qty: {lt: k % 100}, active: k % 2 === 0}, {}, cb),
  },
  {
    key: 'updateAll where',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) =>
      c.update(M, {id: {between: [k, k + 9]}}, {notes: `bulk ${k}`, active: k % 3 === 0}, {}, cb),
  },
  {
    key: 'updateAttributes',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) => c.updateAttributes(M, k, {qty: k % 100, notes: `upd ${k}`}, {}, cb),
  },
  {
    key: 'upsert',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) => c.updateOrCreate(M, at(UPSERTS, k), {}, cb),
  },
  {
    key: 'destroyAll where',
    rows: 1,
    calls: 40_000,
    call: (c, k, cb) => c.destroyAll(M, {id: {between: [k, k + 3]}}, {}, cb),
  },
];

/** A connector of `contender` whose driver is the stub above. */
function stubbedConnector(contender: Contender): JugglerConnector {
  /* eslint-disable @typescript-eslint/no-require-imports -- the built package, as users load it */
  const module: unknown =
    contender === 'ts'
      ? require('../dist')
      : contender === 'reference'
        ? referenceConnectorModule
        : require('loopback-connector-mysql');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const DataSource = jugglerDataSource();
  const ds = new DataSource(module, {database: 'unused', lazyConnect: true});
  ds.define(MODEL_NAME, MODEL_PROPERTIES, MODEL_SETTINGS);
  // Both connectors wait for a connected data source before they run anything.
  (ds as unknown as {connected: boolean}).connected = true;
  const connector = ds.connector as unknown as JugglerConnector & {
    client?: unknown;
    pool?: unknown;
  };
  if (contender === 'reference') {
    // The reference calls its mysql2 pool directly: the pool is the stub, answering as mysql2 does, by callback.
    const answer = (sql: string, params: readonly unknown[], cb: Cb) =>
      cb(null, driverResult(sql, params));
    void (connector.pool as {end(): void}).end();
    connector.pool = {query: answer, execute: answer};
    return connector;
  }
  // The official connector quotes names with its pool's escapeId; a pool that never connects is enough.
  if (contender === 'official') connector.client = mysql2.createPool({});
  connector.executeSQL =
    contender === 'ts'
      ? (sql: string, params: readonly unknown[]) => Promise.resolve(driverResult(sql, params))
      : (sql: string, params: readonly unknown[], _options: unknown, cb: Cb) =>
          cb(null, driverResult(sql, params));
  return connector;
}

function callOnce(c: JugglerConnector, w: Workload, k: number): Promise<void> {
  return new Promise((resolve, reject) => w.call(c, k, (err) => (err ? reject(err) : resolve())));
}

/** In a child process: µs of CPU per call (per row for bulk workloads), by workload key. */
async function measure(contender: Contender, only?: string): Promise<Record<string, number>> {
  const c = stubbedConnector(contender);
  const out: Record<string, number> = {};
  for (const w of WORKLOADS.filter((x) => only === undefined || x.key.startsWith(only))) {
    // Warm-up: the JIT compiles the path, the connector builds what it caches.
    for (let k = 0; k < Math.ceil(w.calls / 10); k++) await callOnce(c, w, k);
    const cpu = process.cpuUsage();
    for (let k = 0; k < w.calls; k++) await callOnce(c, w, k);
    const used = process.cpuUsage(cpu);
    out[w.key] = (used.user + used.system) / (w.calls * w.rows);
  }
  return out;
}

function runChild(contender: Contender, only?: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', contender, ...(only ? ['--only', only] : [])], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: Record<string, number> | undefined;
    child.on('message', (m) => (result = m as Record<string, number>));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 && result ? resolve(result) : reject(new Error(`${contender} exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = option('--only');
  if (args[0] === '--child') {
    const result = await measure(args[1] as Contender, only);
    // Forked by the parent: report over IPC; run by hand (to profile it): print.
    if (!process.send) console.log(JSON.stringify(result, null, 1));
    else await new Promise<void>((resolve) => process.send?.(result, () => resolve()));
    return;
  }
  const rounds = Number(option('--rounds') ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a positive integer');
  const results: Record<Contender, Record<string, number>[]> = {
    ts: [],
    reference: [],
    official: [],
  };
  for (let r = 1; r <= rounds; r++) {
    for (const c of CONTENDERS) {
      results[c].push(await runChild(c, only));
      console.error(`round ${r}/${rounds} ${LABEL[c]} done`);
    }
  }
  const f = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
  console.log(
    `\n### A connector's own cost (driver stubbed, no juggler; ${rounds} round${rounds > 1 ? 's' : ''}, medians)\n`,
  );
  console.log(
    '| call | this connector, µs CPU | reference, µs CPU | official, µs CPU | this − reference, µs | ' +
      'this / official |',
  );
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const w of WORKLOADS.filter((x) => only === undefined || x.key.startsWith(only))) {
    const [ours, reference, theirs] = CONTENDERS.map(
      (c) => median(results[c].map((r) => r[w.key] ?? NaN)) ?? NaN,
    ) as [number, number, number];
    const unit = w.rows > 1 ? ' (per row)' : '';
    console.log(
      `| ${w.key}${unit} | ${f(ours)} | ${f(reference)} | ${f(theirs)} | ${(ours - reference).toFixed(1)} | ` +
        `${(ours / theirs).toFixed(2)}× |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
