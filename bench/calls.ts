/*
 * Client CPU per call, this connector against the reference connector (bench/reference-connector.ts), through juggler,
 * on one server, in one process: both data sources alternate call batch by call batch, so the VM's drift hits both
 * alike. A quick instrument for changes to the hot path; `npm run bench` remains the measure.
 *
 *   npx tsx bench/calls.ts [--rounds N] [--only <workload prefix>] [--concurrency N] [--src]
 *   (--src: the TypeScript sources, not dist/; --concurrency: operations in flight, 1 by default)
 *
 * This connector runs twice, with `preparedStatements: true` and `false`: the comparison shows what prepared
 * statements change, whatever the default.
 *
 * Database lbts_bench_calls, created fresh and dropped at the end.
 */
import mysql2 from 'mysql2';
import {
  JugglerContender,
  SEED_ROWS,
  BULK_ROWS,
  queryParams,
  row,
  rows,
  serverConfig,
  type Contender,
} from './workloads';
import {referenceConnectorModule} from './reference-connector';
import {median} from './stats';

const DATABASE = 'lbts_bench_calls';
const BATCH = 200;

async function admin(sql: string): Promise<void> {
  const c = mysql2.createConnection(serverConfig()).promise();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Instances for updateAttributes, loaded per contender (juggler's instances belong to their data source). */
const handles = new Map<Contender, unknown[]>();

/**
 * A mark of the contender in the values it writes. The contenders share one table and alternate with the same call
 * numbers: without it the second to write a row would write what the first just wrote, an UPDATE that changes
 * nothing and costs the server far less (once measured as a 1.5× "gain" of prepared UPDATEs).
 */
const marks = new Map<Contender, string>();
const mark = (c: Contender): string => {
  let m = marks.get(c);
  if (m === undefined) marks.set(c, (m = `c${marks.size}`));
  return m;
};

const CALLS: [string, (c: Contender, k: number) => Promise<unknown>][] = [
  ['create', (c, k) => c.create(row(SEED_ROWS + k))],
  [
    'updateAttributes',
    async (c, k) => {
      let mine = handles.get(c);
      if (!mine) handles.set(c, (mine = await c.loadHandles(1, BATCH)));
      return c.updateAttributes(mine[k % mine.length], {
        qty: k % 1000,
        notes: `call ${k} ${mark(c)}`,
      });
    },
  ],
  [
    'upsert',
    (c, k) =>
      c.upsert({
        ...row(SEED_ROWS + k, k % 2 === 0 ? 1 + (k % SEED_ROWS) : undefined),
        notes: `upsert ${k} ${mark(c)}`,
      }),
  ],
  ['findById', (c, k) => c.findById(1 + ((k * 7919) % SEED_ROWS))],
  ['find range+eq+inq limit 50', (c, k) => c.findQuery(queryParams(k))],
  ['count where', (c, k) => c.count(k % 100, k % 2 === 0)],
  [
    'updateAll where',
    (c, k) => {
      const from = 1 + ((k * 10) % (SEED_ROWS - 10));
      return c.updateAll(from, from + 9, {notes: `bulk ${k} ${mark(c)}`, active: k % 3 === 0});
    },
  ],
  [
    'destroyAll where (nothing to delete)',
    (c, k) => c.destroyRange(SEED_ROWS + 10 + k, SEED_ROWS + 12 + k),
  ],
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(argv[i + 1]) : 5;
  const j = argv.indexOf('--only');
  const only = j >= 0 ? argv[j + 1] : undefined;
  const l = argv.indexOf('--concurrency');
  const concurrency = l >= 0 ? Number(argv[l + 1]) : 1;
  await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module: unknown = require(argv.includes('--src') ? '../src' : '../dist');
  const ours = new JugglerContender(module, DATABASE, {preparedStatements: true});
  const reference = new JugglerContender(referenceConnectorModule, DATABASE);
  const text = new JugglerContender(module, DATABASE, {preparedStatements: false});
  try {
    await ours.migrate();
    for (let from = 1; from <= SEED_ROWS; from += BULK_ROWS)
      await ours.createAll(rows(from, BULK_ROWS, true));
    const contenders: [string, Contender][] = [
      ['ts', ours],
      ['reference', reference],
      ['text', text],
    ];
    console.log(
      `| call, c${concurrency} | this connector prepared, µs CPU | reference | this connector as text | ` +
        'prepared / reference, CPU | prepared / reference, ops/s | prepared / text, CPU | prepared / text, ops/s | ' +
        'text / reference, CPU | text / reference, ops/s |',
    );
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const [name, call] of CALLS) {
      if (only && !name.startsWith(only)) continue;
      const cpu: Record<string, number[]> = {ts: [], reference: [], text: []};
      const rate: Record<string, number[]> = {ts: [], reference: [], text: []};
      for (const [, c] of contenders) for (let k = 0; k < 20; k++) await call(c, k); // warm-up
      for (let round = 0; round < rounds * 4; round++) {
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
        for (const [who, c] of order as [string, Contender][]) {
          const before = process.cpuUsage();
          const started = process.hrtime.bigint();
          let next = 0;
          const lane = async () => {
            while (next < BATCH) await call(c, round * BATCH + next++);
          };
          await Promise.all(Array.from({length: concurrency}, lane));
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const used = process.cpuUsage(before);
          cpu[who]?.push((used.user + used.system) / BATCH);
          rate[who]?.push(BATCH / seconds);
        }
      }
      const ratio = (m: Record<string, number[]>, a: string, b: string) =>
        median((m[a] ?? []).map((v, r) => v / (m[b]?.[r] ?? NaN))).toFixed(2) + '×';
      console.log(
        `| ${name} | ${median(cpu.ts ?? []).toFixed(0)} | ${median(cpu.reference ?? []).toFixed(0)} | ` +
          `${median(cpu.text ?? []).toFixed(0)} | ${ratio(cpu, 'ts', 'reference')} | ` +
          `${ratio(rate, 'ts', 'reference')} | ${ratio(cpu, 'ts', 'text')} | ${ratio(rate, 'ts', 'text')} | ` +
          `${ratio(cpu, 'text', 'reference')} | ${ratio(rate, 'text', 'reference')} |`,
      );
    }
  } finally {
    await ours.close();
    await reference.close();
    await text.close();
    await admin(`DROP DATABASE IF EXISTS ${DATABASE}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
