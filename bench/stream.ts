/*
 * Streaming reads: this connector's `stream()` against raw mysql2's row stream, on the benchmark's model.
 *
 *   npx tsx bench/stream.ts [--rounds N] [--rows N]
 *
 * Two measures, each contender in its own child process (fork of this file, honest peak RSS), alternating, the
 * order rotating with the round; the tables report medians over rounds, and ratios as the median of the single-round
 * ratios (the contenders of a round ran seconds apart; a shared VM's speed drifts over a run) with their range:
 * - `--rows` rows (1,000,000 by default) read through one streamed `SELECT ... ORDER BY id`: rows/s, client CPU per
 *   row and the process's peak RSS. Raw mysql2 is `query(sql).stream()` consumed by `for await`, each row decoded
 *   into a plain object as the main benchmark's raw contender does; this connector is `connector.stream(model)`
 *   through a juggler data source, as an application would hold it.
 * - 5000 rows: `Model.find({order: 'id ASC', limit: 5000})` through juggler, against the same rows through
 *   `connector.stream`, and through raw mysql2 (`query(sql)` on one connection, its rows taken from the `result`
 *   events and decoded as the main benchmark's raw contender does: what reading them costs with no connector and
 *   no iterator), each way in a process of its own (30 timed operations after 5 untimed ones), the order rotating
 *   with the round.
 * Database lbts_bench_stream, created fresh and dropped at the end (kept with BENCH_KEEP=1).
 */
import {fork} from 'node:child_process';
import mysql2 from 'mysql2';
import type {RowDataPacket} from 'mysql2/promise';
import {
  BULK_ROWS,
  JugglerContender,
  MODEL_NAME,
  SELECT,
  TABLE,
  decode,
  digest,
  rows as makeRows,
  serverConfig,
  type RawRow,
} from './workloads';
import {median} from './stats';

const DATABASE = 'lbts_bench_stream';
/** 5000-row operations timed in each process of the 5000-row measure, after WARM_UP untimed ones (bulkChild). */
const FIND_OPS = 30;
const WARM_UP = 5;

type Contender = 'raw' | 'ts';

interface StreamResult {
  rows: number;
  seconds: number;
  cpuMicros: number;
  maxRssKiB: number;
  /** Peak RSS once connected, before the rows: what the process holds anyway (code, juggler, the pool). */
  baseRssKiB: number;
  /** A digest of what was read (ids and quantities), the same for both contenders. */
  checksum: number;
}
type BulkWay = 'find' | 'stream' | 'raw';
interface BulkResult {
  /** Of the timed operations, BULK_ROWS rows each. */
  rowsPerSecond: number;
  /** Rows of the last operation. */
  rows: number;
  /** A digest of the rows in JSON, the same every way. */
  digest: string;
}

const gc = (globalThis as {gc?: () => void}).gc ?? (() => undefined);

function parseArgs(argv: string[]): {rounds: number; rows: number} {
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    const n = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer`);
    return n;
  };
  return {rounds: value('--rounds', 5), rows: value('--rows', 1_000_000)};
}

interface StreamingConnector {
  stream(model: string, filter?: object, options?: object): AsyncIterable<Record<string, unknown>>;
}

/** Raw mysql2's connection to the benchmark's database, DATETIME read as UTC as this connector reads it. */
function rawConnection(): mysql2.Connection {
  return mysql2.createConnection({...serverConfig(), database: DATABASE, timezone: 'Z'});
}

function ourContender(): JugglerContender {
  // The built package, as users load it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return new JugglerContender(require('../dist'), DATABASE);
}

// ---------------------------------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------------------------------

async function streamChild(contender: Contender): Promise<StreamResult> {
  let rows = 0;
  let checksum = 0;
  const sink = (r: Record<string, unknown>) => {
    rows++;
    checksum = (checksum + (r.id as number) * 31 + ((r.qty as number) ?? 0)) % 1_000_000_007;
  };
  let baseRssKiB = 0;
  const measure = async (
    read: () => Promise<void>,
  ): Promise<Omit<StreamResult, 'maxRssKiB' | 'baseRssKiB'>> => {
    gc();
    baseRssKiB = process.resourceUsage().maxRSS;
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await read();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    return {rows, seconds, cpuMicros: used.user + used.system, checksum};
  };
  let result: Omit<StreamResult, 'maxRssKiB' | 'baseRssKiB'>;
  if (contender === 'raw') {
    const connection = rawConnection();
    result = await measure(async () => {
      for await (const r of connection.query(`${SELECT} ORDER BY id`).stream())
        sink(decode(r as RawRow));
    });
    await connection.promise().end();
  } else {
    const c = ourContender();
    const connector = c.ds.connector as unknown as StreamingConnector;
    await c.count(0, true); // connected, as an application's data source is
    result = await measure(async () => {
      for await (const r of connector.stream(MODEL_NAME, {order: 'id ASC'})) sink(r);
    });
    await c.close();
  }
  return {...result, maxRssKiB: process.resourceUsage().maxRSS, baseRssKiB};
}

/**
 * One way of reading the first 5000 rows, alone in its process: WARM_UP operations, one collection, then FIND_OPS
 * timed operations. Alone, each way pays for its own garbage only: run one after another in one process, a way paid
 * for the previous one's (find leaves 5000 model instances behind, raw mysql2 5000 decoded copies), which put the
 * stream anywhere between 2.1x and 3.0x find depending on the order.
 */
async function bulkChild(way: BulkWay): Promise<BulkResult> {
  let read: () => Promise<unknown[]>;
  let close: () => Promise<void>;
  if (way === 'raw') {
    const connection = rawConnection();
    read = () =>
      new Promise((resolve, reject) => {
        const out: Record<string, unknown>[] = [];
        connection
          .query(`${SELECT} ORDER BY id LIMIT ${BULK_ROWS}`)
          .on('result', (r) => out.push(decode(r as RawRow)))
          .on('error', reject)
          .on('end', () => resolve(out));
      });
    close = () => connection.promise().end();
  } else {
    const c = ourContender();
    const connector = c.ds.connector as unknown as StreamingConnector;
    const filter = {order: 'id ASC', limit: BULK_ROWS};
    read =
      way === 'find'
        ? () => c.findMany(BULK_ROWS)
        : async () => {
            const out: Record<string, unknown>[] = [];
            for await (const r of connector.stream(MODEL_NAME, filter)) out.push(r);
            return out;
          };
    close = () => c.close();
  }
  let rows: unknown[] = [];
  for (let k = 0; k < WARM_UP; k++) rows = await read();
  // The same data every way: model instances as find's callers see them in JSON.
  const data = digest(JSON.stringify(rows));
  // One collection before the timed operations, as bench/worker.ts does: a forced full collection before each
  // operation made every way about twice as slow.
  gc();
  const t = process.hrtime.bigint();
  for (let k = 0; k < FIND_OPS; k++) rows = await read();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await close();
  return {rowsPerSecond: (FIND_OPS * BULK_ROWS) / seconds, rows: rows.length, digest: data};
}

// ---------------------------------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------------------------------

async function admin<T = unknown>(sql: string, database?: string): Promise<T> {
  const connection = mysql2.createConnection({...serverConfig(), database}).promise();
  try {
    const [result] = await connection.query(sql);
    return result as T;
  } finally {
    await connection.end();
  }
}

/** The table through our automigrate, 1000 rows through createAll, then copies of them up to `count` rows. */
async function seed(count: number): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4`);
  const c = ourContender();
  await c.migrate();
  await c.createAll(makeRows(1, 1000, false));
  await c.close();
  // Copies through a cross join of two other tables: an INSERT ... SELECT from its own table needs a temporary table.
  const columns = '`name`,`qty`,`price`,`active`,`created`,`meta`,`notes`';
  await admin(`CREATE TABLE bench_seed AS SELECT ${columns} FROM \`${TABLE}\``, DATABASE);
  await admin('CREATE TABLE bench_copies (k INT PRIMARY KEY)', DATABASE);
  await admin(
    `INSERT INTO bench_copies VALUES ${Array.from({length: 100}, (_, k) => `(${k})`).join(',')}`,
    DATABASE,
  );
  for (let have = 1000; have < count;) {
    const add = Math.min(100_000, count - have);
    await admin(
      `INSERT INTO \`${TABLE}\` (${columns}) SELECT ${columns.replace(/`(\w+)`/g, 's.`$1`')} ` +
        `FROM bench_seed s CROSS JOIN bench_copies c LIMIT ${add}`,
      DATABASE,
    );
    have += add;
  }
  const [found] = await admin<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${TABLE}\``, DATABASE);
  if (Number(found?.n) !== count) throw new Error(`seeded ${String(found?.n)} rows, not ${count}`);
}

function child<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = fork(__filename, ['--child', ...args], {
      execArgv: ['--require', require.resolve('tsx/cjs'), '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    p.on('message', (m) => (result = m as T));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 && result !== undefined
        ? resolve(result)
        : reject(new Error(`child ${args.join(' ')} exited with ${code}`)),
    );
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number) => `${n.toFixed(2)}×`;
const range = (v: number[]) => `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;

async function main(): Promise<void> {
  const {rounds, rows} = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  await seed(rows);
  console.error(`seeded ${fmt(rows)} rows in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const [version] = await admin<RowDataPacket[]>('SELECT VERSION() AS v');
  try {
    const streams: Record<Contender, StreamResult[]> = {raw: [], ts: []};
    const bulk: Record<BulkWay, BulkResult[]> = {find: [], stream: [], raw: []};
    const ways: BulkWay[] = ['find', 'stream', 'raw'];
    for (let round = 0; round < rounds; round++) {
      const order: Contender[] = round % 2 === 0 ? ['raw', 'ts'] : ['ts', 'raw'];
      for (const c of order) streams[c].push(await child<StreamResult>(['stream', c]));
      for (let w = 0; w < ways.length; w++) {
        const way = ways[(round + w) % ways.length] as BulkWay;
        bulk[way].push(await child<BulkResult>(['bulk', way]));
      }
      console.error(`round ${round + 1}/${rounds} done`);
    }
    const checksums = new Set(
      [...streams.raw, ...streams.ts].map((r) => `${r.rows}:${r.checksum}`),
    );
    const rate = (r: StreamResult) => r.rows / r.seconds;
    const med = (c: Contender, f: (r: StreamResult) => number) => median(streams[c].map(f));
    const single = streams.ts.map((r, i) => rate(r) / rate(streams.raw[i] as StreamResult));
    console.log(
      `\n### Streaming (${rounds} rounds, medians; ${String(version?.v)}, Node ${process.version})\n`,
    );
    console.log(
      '| streamed SELECT, ' +
        fmt(rows) +
        ' rows | raw mysql2 | this connector | this / raw | (single rounds) |',
    );
    console.log('|---|--:|--:|--:|--:|');
    console.log(
      `| rows/s | ${fmt(med('raw', rate))} | ${fmt(med('ts', rate))} | ` +
        `${ratio(median(single))} | ${range(single)} |`,
    );
    const cpu = (r: StreamResult) => r.cpuMicros / r.rows;
    console.log(
      `| client CPU per row, µs | ${med('raw', cpu).toFixed(2)} | ${med('ts', cpu).toFixed(2)} | ` +
        `${ratio(med('ts', cpu) / med('raw', cpu))} | |`,
    );
    const rss = (r: StreamResult) => r.maxRssKiB / 1024;
    const base = (r: StreamResult) => r.baseRssKiB / 1024;
    console.log(
      `| peak RSS once connected, before the rows, MiB (highest round) | ${Math.max(...streams.raw.map(base)).toFixed(0)} | ` +
        `${Math.max(...streams.ts.map(base)).toFixed(0)} | | |`,
    );
    console.log(
      `| peak RSS of the process, MiB (highest round) | ${Math.max(...streams.raw.map(rss)).toFixed(0)} | ` +
        `${Math.max(...streams.ts.map(rss)).toFixed(0)} | | |`,
    );
    console.log('');
    console.log(
      '| 5000 rows | Model.find | connector.stream | raw mysql2 rows | stream / find | (single rounds) | raw / find | stream / raw |',
    );
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
    // Ratios of one round's processes (seconds apart), then their median.
    const perRound = (a: BulkWay, b: BulkWay) =>
      bulk[a].map((r, i) => r.rowsPerSecond / (bulk[b][i] as BulkResult).rowsPerSecond);
    const streamFind = perRound('stream', 'find');
    const bulkRate = (way: BulkWay) => fmt(median(bulk[way].map((r) => r.rowsPerSecond)));
    console.log(
      `| rows/s | ${bulkRate('find')} | ${bulkRate('stream')} | ${bulkRate('raw')} | ` +
        `${ratio(median(streamFind))} | ${range(streamFind)} | ` +
        `${ratio(median(perRound('raw', 'find')))} | ${ratio(median(perRound('stream', 'raw')))} |`,
    );
    const all = [...bulk.find, ...bulk.stream, ...bulk.raw];
    const sameBulk = all.every((r) => r.rows === BULK_ROWS && r.digest === all[0]?.digest);
    console.log('');
    console.log(
      `Same rows streamed by both (count and digest): ${checksums.size === 1 ? 'yes' : 'NO'}; ` +
        `stream and raw mysql2 equal find on 5000 rows: ${sameBulk ? 'yes' : 'NO'}`,
    );
    console.log('');
    const targets = [
      [
        'peak RSS streaming ' + fmt(rows) + ' rows, MiB (at most)',
        120,
        Math.max(...streams.ts.map(rss)),
        true,
      ],
      ['streaming rows/s, this / raw mysql2', 0.8, median(single), false],
      ['find of 5000 rows, stream / find', 3, median(streamFind), false],
    ] as const;
    console.log('| target | goal | measured | met |');
    console.log('|---|--:|--:|---|');
    for (const [what, goal, measured, atMost] of targets)
      console.log(
        `| ${what} | ${goal} | ${measured.toFixed(2)} | ${(atMost ? measured <= goal : measured >= goal) ? 'yes' : 'no'} |`,
      );
    if (checksums.size !== 1 || !sameBulk) process.exitCode = 1;
  } finally {
    if (!process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  const run =
    args[1] === 'bulk' ? bulkChild(args[2] as BulkWay) : streamChild(args[2] as Contender);
  run.then(
    (result) => process.send?.(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
