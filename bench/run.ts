/*
 * Benchmark: raw mysql2 (the limit) vs this connector vs the official loopback-connector-mysql, both through juggler,
 * a minimal reference connector through juggler (bench/reference-connector.ts, for the benchmark only: the measured
 * limit of a connector through juggler), and juggler alone (a connector that does nothing, bench/null-connector.ts:
 * the ceiling for any connector).
 *
 *   npx tsx bench/run.ts [--quick] [--rounds N]
 *
 * Each round starts a child process per contender (bench/worker.ts) and runs every workload in each of them in turn
 * (who goes first rotates with the round), so that the contenders' runs of the same workload are seconds apart, not
 * the half minute a whole workload set takes: a shared VM's speed drifts. The tables report medians across rounds.
 * Afterwards every contender's database must hold the same rows after the same deterministic sequence of operations
 * (exit code 1 otherwise).
 * Server: MYSQL_URL, or MYSQL_HOST / MYSQL_PORT / MYSQL_USER / MYSQL_PASSWORD (default root@127.0.0.1:3306).
 * The databases lbts_bench_raw, lbts_bench_ts, lbts_bench_reference and lbts_bench_official are created fresh and dropped at the end
 * (kept with BENCH_KEEP=1, to look at them).
 */
import {fork, type ChildProcess} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import mysql2 from 'mysql2';
import type {RowDataPacket} from 'mysql2/promise';
import {
  CONTENDERS,
  DATABASE_CONTENDERS,
  JugglerContender,
  TABLE,
  TIME_CAP_SECONDS,
  databaseOf,
  serverConfig,
  tableChecksum,
  type ContenderName,
  type WorkerReport,
  type WorkloadResult,
  workloads,
} from './workloads';
import type {WorkerCommand, WorkerMessage} from './worker';
import {median} from './stats';

const LABEL: Record<ContenderName, string> = {
  raw: 'raw mysql2',
  ts: 'this connector',
  reference: 'reference (bench only)',
  official: 'official',
  floor: 'juggler alone',
};

function parseArgs(argv: string[]): {quick: boolean; rounds: number} {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--rounds');
  const rounds = i >= 0 ? Number(argv[i + 1]) : quick ? 1 : 5;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a positive integer');
  return {quick, rounds};
}

async function admin<T = unknown>(sql: string): Promise<T> {
  const connection = mysql2.createConnection({...serverConfig(), connectTimeout: 5000}).promise();
  try {
    const [result] = await connection.query(sql);
    return result as T;
  } finally {
    await connection.end();
  }
}

/** The CREATE TABLE our connector's automigrate produces: raw uses the same DDL. */
async function ourDdl(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ours = new JugglerContender(require('../src'), databaseOf('raw'));
  try {
    await ours.migrate();
  } finally {
    await ours.close();
  }
  const found = await admin<RowDataPacket[]>(
    `SHOW CREATE TABLE \`${databaseOf('raw')}\`.\`${TABLE}\``,
  );
  const ddl = found[0]?.['Create Table'] as string | undefined;
  if (!ddl) throw new Error('No DDL for the raw table');
  return ddl;
}

/**
 * One contender's worker process for one round, driven one workload at a time, so that the contenders' runs of the
 * same workload follow each other within seconds.
 */
class Worker {
  private readonly child: ChildProcess;
  private readonly inbox: WorkerMessage[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(
    readonly contender: ContenderName,
    quick: boolean,
    ddl: string,
  ) {
    this.child = fork(path.join(__dirname, 'worker.ts'), [contender, quick ? 'quick' : 'full'], {
      execArgv: ['--require', require.resolve('tsx/cjs'), '--expose-gc'],
      env: {...process.env, BENCH_DDL: ddl},
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const wake = () => this.wake?.();
    this.child.on('message', (message) => {
      this.inbox.push(message as WorkerMessage);
      wake();
    });
    this.child.on('error', (err) => {
      this.failure ??= err;
      wake();
    });
    this.child.on('exit', (code) => {
      if (code !== 0) this.failure ??= new Error(`${contender} worker exited with code ${code}`);
      wake();
    });
  }

  private async receive(): Promise<WorkerMessage> {
    for (;;) {
      const message = this.inbox.shift();
      if (message) return message;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async ready(): Promise<void> {
    const message = await this.receive();
    if (!('ready' in message)) throw new Error(`${this.contender}: expected ready`);
  }

  async run(workload: number): Promise<WorkloadResult> {
    this.child.send({run: workload} satisfies WorkerCommand);
    const message = await this.receive();
    if (!('result' in message)) throw new Error(`${this.contender}: expected a result`);
    return message.result;
  }

  async finish(): Promise<WorkerReport> {
    this.child.send({finish: true} satisfies WorkerCommand);
    const message = await this.receive();
    if (!('report' in message)) throw new Error(`${this.contender}: expected its report`);
    return message.report;
  }
}

/**
 * One round: a worker per contender, each workload run by every contender in turn (who goes first rotates with the
 * round), then every worker's closing checks.
 */
async function runRound(round: number, quick: boolean, ddl: string): Promise<WorkerReport[]> {
  const order = CONTENDERS.map(
    (_, i) => CONTENDERS[(i + round) % CONTENDERS.length] as ContenderName,
  );
  const workers = order.map((c) => new Worker(c, quick, ddl));
  await Promise.all(workers.map((w) => w.ready()));
  const count = workloads().length;
  for (let i = 0; i < count; i++) for (const w of workers) await w.run(i);
  const reports: WorkerReport[] = [];
  for (const w of workers) reports.push(await w.finish());
  return reports;
}

function fmtRate(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function fmtRatio(n: number): string {
  return `${n.toFixed(2)}×`;
}

function fmtMiB(kib: number): string {
  return (kib / 1024).toFixed(0);
}

interface Summary {
  keys: string[];
  unit: Map<string, 'ops' | 'rows'>;
  /** Median throughput per contender and workload. */
  rate: Record<ContenderName, Map<string, number>>;
  /** Median client CPU per operation (per row for bulk), µs. */
  cpu: Record<ContenderName, Map<string, number>>;
  maxRssKiB: Record<ContenderName, number>;
  baseRssKiB: Record<ContenderName, number>;
  /** The workload during which each contender's process first reached its peak RSS (in its highest round). */
  peakDuring: Record<ContenderName, string>;
  /** The lowest and highest this / official throughput ratio of a single round, per workload: how noisy it is. */
  officialSpread: Map<string, [number, number]>;
  /** The same against the reference connector, with the median of the single-round ratios. */
  referenceSpread: Map<string, [number, number, number]>;
}

function summarize(reports: WorkerReport[]): Summary {
  const first = reports[0]?.results ?? [];
  const keys = first.map((r) => r.key);
  const unit = new Map(first.map((r) => [r.key, r.unit]));
  const empty = () => ({
    raw: new Map(),
    ts: new Map(),
    reference: new Map(),
    official: new Map(),
    floor: new Map(),
  });
  const zero = () => ({raw: 0, ts: 0, reference: 0, official: 0, floor: 0});
  const s: Summary = {
    keys,
    unit,
    rate: empty(),
    cpu: empty(),
    maxRssKiB: zero(),
    baseRssKiB: zero(),
    peakDuring: {raw: '', ts: '', reference: '', official: '', floor: ''},
    officialSpread: new Map(),
    referenceSpread: new Map(),
  };
  for (const contender of CONTENDERS) {
    const mine = reports.filter((r) => r.contender === contender);
    s.maxRssKiB[contender] = Math.max(...mine.map((r) => r.maxRssKiB));
    const highest = mine.find((r) => r.maxRssKiB === s.maxRssKiB[contender]);
    const at = highest?.results.find((r) => r.maxRssKiB >= highest.maxRssKiB);
    s.peakDuring[contender] = !at
      ? 'the final checks'
      : at.preparedRssKiB >= at.maxRssKiB
        ? `${at.key} (its untimed preparation)`
        : at.key;
    s.baseRssKiB[contender] = median(mine.map((r) => r.baseRssKiB));
    for (const key of keys) {
      const results = mine
        .map((r) => r.results.find((x) => x.key === key))
        .filter((x): x is WorkloadResult => !!x);
      s.rate[contender].set(key, median(results.map((r) => r.units / r.seconds)));
      s.cpu[contender].set(key, median(results.map((r) => r.cpuMicros / r.units)));
    }
  }
  // Each round ran its contenders back to back: the ratio within a round is the one the machine's drift moves least.
  const byRound = (c: ContenderName) => reports.filter((r) => r.contender === c);
  const [ours, theirs, reference] = [byRound('ts'), byRound('official'), byRound('reference')];
  for (const key of keys) {
    const rateOf = (r: WorkerReport | undefined) => {
      const found = r?.results.find((x) => x.key === key);
      return found ? found.units / found.seconds : NaN;
    };
    const ratios = ours.map((r, i) => rateOf(r) / rateOf(theirs[i]));
    s.officialSpread.set(key, [Math.min(...ratios), Math.max(...ratios)]);
    const vsReference = ours.map((r, i) => rateOf(r) / rateOf(reference[i]));
    s.referenceSpread.set(key, [
      Math.min(...vsReference),
      Math.max(...vsReference),
      median(vsReference),
    ]);
  }
  return s;
}

function geomean(values: number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

function markdown(s: Summary): string {
  const out: string[] = [];
  const rate = (c: ContenderName, key: string) => s.rate[c].get(key) ?? NaN;
  const cpu = (c: ContenderName, key: string) => s.cpu[c].get(key) ?? NaN;
  const spread = (key: string) => {
    const [low, high] = s.officialSpread.get(key) ?? [NaN, NaN];
    return `${low.toFixed(2)}–${high.toFixed(2)}`;
  };
  const vsReference = (key: string) => {
    const [low, high, mid] = s.referenceSpread.get(key) ?? [NaN, NaN, NaN];
    return `${fmtRatio(mid)} | ${low.toFixed(2)}–${high.toFixed(2)}`;
  };
  out.push(
    '| workload | unit | raw mysql2 | this connector | reference | official | juggler alone | this / raw | reference / raw | this / reference | (single rounds) | this / official | (single rounds) | this / juggler alone |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const key of s.keys) {
    const [raw, ts, reference, official, floor] = CONTENDERS.map((c) => rate(c, key)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    out.push(
      `| ${key} | ${s.unit.get(key) === 'rows' ? 'rows/s' : 'ops/s'} | ${fmtRate(raw)} | ${fmtRate(ts)} | ` +
        `${fmtRate(reference)} | ${fmtRate(official)} | ${fmtRate(floor)} | ${fmtRatio(ts / raw)} | ` +
        `${fmtRatio(reference / raw)} | ${vsReference(key)} | ${fmtRatio(ts / official)} | ${spread(key)} | ` +
        `${fmtRatio(ts / floor)} |`,
    );
  }
  out.push('');
  out.push(
    '| client CPU per op, µs (per row for bulk) | raw mysql2 | this connector | reference | official | juggler alone | this / reference | this / official |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  );
  const f = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
  for (const key of s.keys) {
    const [raw, ts, reference, official, floor] = CONTENDERS.map((c) => cpu(c, key)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    out.push(
      `| ${key} | ${f(raw)} | ${f(ts)} | ${f(reference)} | ${f(official)} | ${f(floor)} | ` +
        `${fmtRatio(ts / reference)} | ${fmtRatio(ts / official)} |`,
    );
  }
  out.push('');
  out.push(
    '| contender | geomean throughput vs raw | geomean CPU/op vs raw | peak RSS (MiB) | peak reached during | RSS after connect (MiB) |',
    '|---|--:|--:|--:|---|--:|',
  );
  for (const c of CONTENDERS) {
    const g = geomean(s.keys.map((k) => rate(c, k) / rate('raw', k)));
    const gc = geomean(s.keys.map((k) => cpu(c, k) / cpu('raw', k)));
    out.push(
      `| ${LABEL[c]} | ${fmtRatio(g)} | ${fmtRatio(gc)} | ${fmtMiB(s.maxRssKiB[c])} | ${s.peakDuring[c]} | ` +
        `${fmtMiB(s.baseRssKiB[c])} |`,
    );
  }
  return out.join('\n');
}

/** A target of the benchmark (issues #5 and #15), with what this run measured. */
interface Target {
  what: string;
  goal: number;
  measured: number;
  /** About what any connector could reach through juggler, by the same measure (see {@link targets}). */
  limit?: number;
  /** Workloads that miss the goal, for a target over several workloads. */
  misses?: string[];
  /** The goal is an upper bound (memory), not a lower one. */
  atMost?: boolean;
}

/**
 * The performance targets, checked against this run's medians. The limit through juggler of a workload is the
 * throughput of juggler's own work (juggler alone) and raw mysql2's work (driver and server) done one after the
 * other, their times per operation added up: no connector does less than the driver, and juggler's share is the same
 * for everyone. For memory, it is juggler alone's peak.
 */
function targets(s: Summary): Target[] {
  const rate = (c: ContenderName, key: string) => s.rate[c].get(key) ?? NaN;
  const limitRate = (key: string) => 1 / (1 / rate('floor', key) + 1 / rate('raw', key));
  const vsOfficial = (key: string, goal: number, what = `${key}, this / official`): Target => ({
    what,
    goal,
    measured: rate('ts', key) / rate('official', key),
    limit: limitRate(key) / rate('official', key),
  });
  const ratios = s.keys.map((k) => rate('ts', k) / rate('official', k));
  const reads = s.keys.filter((k) => /^(findById|find range|count where)/.test(k));
  const vsReference = s.keys.map((k) => s.referenceSpread.get(k)?.[2] ?? NaN);
  return [
    // Issue #15: at the measured limit of a connector through juggler (the reference), with every feature on.
    {
      what: 'every workload, this / reference (the lowest median of single-round ratios)',
      goal: 0.95,
      measured: Math.min(...vsReference),
      misses: s.keys
        .map((k, i) => `${k} ${fmtRatio(vsReference[i] ?? NaN)}`)
        .filter((_, i) => (vsReference[i] ?? 0) < 0.95),
    },
    {
      what: 'geometric mean throughput vs raw, this / reference',
      goal: 1,
      measured:
        geomean(s.keys.map((k) => rate('ts', k) / rate('raw', k))) /
        geomean(s.keys.map((k) => rate('reference', k) / rate('raw', k))),
    },
    {
      what: 'peak RSS, this / raw mysql2 (at most, issue #15)',
      goal: 1.2,
      atMost: true,
      measured: s.maxRssKiB.ts / s.maxRssKiB.raw,
      limit: s.maxRssKiB.reference / s.maxRssKiB.raw,
    },
    // Issue #5.
    {
      what: 'geometric mean throughput, this / raw mysql2',
      goal: 0.6,
      measured: geomean(s.keys.map((k) => rate('ts', k) / rate('raw', k))),
      limit: geomean(s.keys.map((k) => limitRate(k) / rate('raw', k))),
    },
    {
      what: 'every workload, this / official (the lowest)',
      goal: 1,
      measured: Math.min(...ratios),
      misses: s.keys
        .map((k, i) => `${k} ${fmtRatio(ratios[i] ?? NaN)}`)
        .filter((_, i) => (ratios[i] ?? 0) < 1),
    },
    ...reads.map((k) => vsOfficial(k, 1.2, `read path ${k}, this / official`)),
    ...s.keys
      .filter((k) => /^(createAll|find 5000)/.test(k))
      .map((k) => vsOfficial(k, k.startsWith('createAll') ? 10 : 5)),
    {
      what: 'peak RSS, this / raw mysql2 (at most)',
      goal: 1.3,
      atMost: true,
      measured: s.maxRssKiB.ts / s.maxRssKiB.raw,
      limit: s.maxRssKiB.floor / s.maxRssKiB.raw,
    },
  ];
}

function targetsMarkdown(list: Target[]): string {
  const out = [
    '| target | goal | measured | limit through juggler | met |',
    '|---|--:|--:|--:|---|',
  ];
  for (const t of list) {
    const met = t.atMost ? t.measured <= t.goal : t.measured >= t.goal;
    const misses = t.misses?.length ? ` (${t.misses.join(', ')})` : '';
    out.push(
      `| ${t.what} | ${fmtRatio(t.goal)} | ${fmtRatio(t.measured)} | ` +
        `${t.limit === undefined ? '' : fmtRatio(t.limit)} | ${met ? 'yes' : `no${misses}`} |`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const {quick, rounds} = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const version = await admin<RowDataPacket[]>('SELECT VERSION() AS v');
  const server = String(version[0]?.v);
  for (const c of DATABASE_CONTENDERS) {
    await admin(`DROP DATABASE IF EXISTS \`${databaseOf(c)}\``);
    await admin(`CREATE DATABASE \`${databaseOf(c)}\` CHARACTER SET utf8mb4`);
  }
  try {
    const ddl = await ourDdl();
    const reports: WorkerReport[] = [];
    for (let round = 1; round <= rounds; round++) {
      const t0 = Date.now();
      reports.push(...(await runRound(round, quick, ddl)));
      console.error(`round ${round}/${rounds}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    const checks = await Promise.all(DATABASE_CONTENDERS.map((c) => tableChecksum(databaseOf(c))));
    const lastReads = DATABASE_CONTENDERS.map(
      (c) => reports.filter((r) => r.contender === c).at(-1)?.readsDigest,
    );
    const same = (values: unknown[]) => values.every((v) => v === values[0]);
    const tablesOk = same(checks.map((c) => `${c.rows}:${c.checksum}`));
    const readsOk = same(lastReads);
    const createdOk = same(checks.map((c) => c.createdChecksum));

    const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(
      `\n### Benchmark (${quick ? 'quick' : 'full'}, ${rounds} round${rounds > 1 ? 's' : ''}, medians)\n\n` +
        `Node ${process.version}, ${server}, ${os.cpus().length} × ${cpuModel}; pool of 16 connections for everyone; ` +
        'c1 / c16 = operations in flight; each timed section runs its operations or stops starting new ones after ' +
        `${TIME_CAP_SECONDS[quick ? 'quick' : 'full']} s, after an untimed warm-up operation per lane.\n`,
    );
    const summary = summarize(reports);
    console.log(markdown(summary));
    console.log('');
    console.log(targetsMarkdown(targets(summary)));
    console.log(
      '\nLimit through juggler: the throughput of juggler alone and of raw mysql2 with their times per operation ' +
        "added up (no connector does less than the driver, and juggler's work is the same for every connector); " +
        "for peak RSS, juggler alone's. An estimate, not a bound: with operations in flight the two overlap, and " +
        'each of its terms is a median with its own noise.',
    );
    console.log('');
    console.log(
      `Cross-check (same rows after the same operations, normalized to name, qty, price, active, meta, notes): ` +
        `${tablesOk ? 'OK' : 'MISMATCH'} (${DATABASE_CONTENDERS.map((c, i) => `${c} ${checks[i]?.rows} rows ${checks[i]?.checksum}`).join(', ')})`,
    );
    console.log(
      `Reads of the sequence (findById, find, count, find all) return the same data: ${readsOk ? 'yes' : 'NO'} ` +
        `(${DATABASE_CONTENDERS.map((c, i) => `${c} ${lastReads[i]}`).join(', ')})`,
    );
    console.log(`Stored \`created\` dates identical: ${createdOk ? 'yes' : 'no'}`);
    console.error(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return tablesOk ? 0 : 1;
  } finally {
    if (!process.env.BENCH_KEEP)
      for (const c of DATABASE_CONTENDERS)
        await admin(`DROP DATABASE IF EXISTS \`${databaseOf(c)}\``);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
