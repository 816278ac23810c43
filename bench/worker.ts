/*
 * One contender's whole workload set, in its own process (honest RSS and CPU): started by bench/run.ts with
 * `fork`, reports one `WorkerReport` over IPC and exits.
 *
 * argv: <contender> <quick|full>; env BENCH_DDL: the CREATE TABLE for raw (our connector's automigrate output).
 * env BENCH_PROFILE=<workload key> (e.g. 'upsert (half new) c1'): writes a CPU profile of that workload's timed
 * section alone to bench-<contender>.cpuprofile in the working directory (open it in Chrome's DevTools).
 */
import {
  CONTENDERS,
  JugglerContender,
  RawContender,
  databaseOf,
  deterministicSequence,
  workloads,
  type Contender,
  TIME_CAP_SECONDS,
  type ContenderName,
  type Workload,
  type WorkerReport,
  type WorkloadResult,
} from './workloads';
import {nullConnectorModule} from './null-connector';
import {referenceConnectorModule} from './reference-connector';
import {writeFileSync} from 'node:fs';
import {Session} from 'node:inspector';

const gc = (globalThis as {gc?: () => void}).gc ?? (() => undefined);

function makeContender(name: ContenderName): Contender {
  switch (name) {
    case 'raw':
      return new RawContender(databaseOf(name), process.env.BENCH_DDL ?? '');
    case 'ts':
      // The built package, as users load it (not the TypeScript sources through tsx).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return new JugglerContender(require('../dist'), databaseOf(name));
    case 'official':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return new JugglerContender(require('loopback-connector-mysql'), databaseOf(name));
    case 'reference':
      return new JugglerContender(referenceConnectorModule, databaseOf(name));
    case 'floor':
      return new JugglerContender(nullConnectorModule, 'none');
  }
}

/** Starts the inspector's CPU profiler; the returned function stops it and writes the profile to `file`. */
async function startProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', {interval: 100});
  await post('Profiler.start');
  return async () => {
    const {profile} = (await post('Profiler.stop')) as {profile: unknown};
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * Runs operations `first..first+count-1` with `concurrency` in flight; after `deadline` (hrtime, ns) no new one
 * starts. Returns how many ran.
 */
async function runOps(
  c: Contender,
  w: Workload,
  first: number,
  count: number,
  concurrency: number,
  deadline = Infinity,
): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count && Number(process.hrtime.bigint()) < deadline) {
      const k = first + next++;
      await w.op(c, k);
    }
  };
  await Promise.all(Array.from({length: Math.min(concurrency, count)}, lane));
  return next;
}

/** What the parent asks of a worker, one message at a time (see bench/run.ts). */
export type WorkerCommand = {run: number} | {finish: true};
/** What a worker answers: ready once migrated, a result per workload, the report at the end. */
export type WorkerMessage = {ready: true} | {result: WorkloadResult} | {report: WorkerReport};

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send ? process.send(message, (err) => (err ? reject(err) : resolve())) : resolve(),
  );
}

/** Prepares, warms up and times one workload. */
async function runWorkload(
  c: Contender,
  contender: ContenderName,
  w: Workload,
  quick: boolean,
): Promise<WorkloadResult> {
  const ops = quick ? w.quick : w.full;
  await w.prepare?.(c, ops, w.concurrency);
  const preparedRssKiB = process.resourceUsage().maxRSS;
  // Warm-up: one operation per lane (fills the pool, JIT-compiles the path), not timed.
  await runOps(c, w, 0, w.concurrency, w.concurrency);
  gc();
  const stopProfile =
    process.env.BENCH_PROFILE === w.key
      ? await startProfile(`bench-${contender}.cpuprofile`)
      : undefined;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const cap = TIME_CAP_SECONDS[quick ? 'quick' : 'full'];
  const done = await runOps(c, w, w.concurrency, ops, w.concurrency, Number(started) + cap * 1e9);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await stopProfile?.();
  return {
    key: w.key,
    unit: w.unit,
    units: done * w.rowsPerOp,
    seconds,
    cpuMicros: used.user + used.system,
    maxRssKiB: process.resourceUsage().maxRSS,
    preparedRssKiB,
  };
}

/**
 * Connects and migrates, then runs the workloads the parent names, in order, one message each, so that the parent
 * can run the contenders' same workload back to back (a VM's speed drifts over the seconds a whole set takes).
 */
async function main(): Promise<void> {
  const [name, mode] = process.argv.slice(2);
  if (!CONTENDERS.includes(name as ContenderName)) throw new Error(`Unknown contender ${name}`);
  const contender = name as ContenderName;
  const quick = mode === 'quick';
  const c = makeContender(contender);
  await c.migrate();
  gc();
  const baseRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const list = workloads();
  const results: WorkloadResult[] = [];
  const commands: WorkerCommand[] = [];
  let wake: (() => void) | undefined;
  process.on('message', (command: WorkerCommand) => {
    commands.push(command);
    wake?.();
  });
  const next = async (): Promise<WorkerCommand> => {
    while (commands.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return commands.shift() as WorkerCommand;
  };
  await send({ready: true});
  for (;;) {
    const command = await next();
    if ('finish' in command) break;
    const w = list[command.run];
    if (!w || command.run !== results.length)
      throw new Error(`Workload ${command.run} out of order`);
    const result = await runWorkload(c, contender, w, quick);
    results.push(result);
    await send({result});
  }
  // juggler alone has no table to leave behind, nor reads to compare.
  const readsDigest = contender === 'floor' ? '' : await deterministicSequence(c);
  await c.close();
  await send({
    report: {
      contender,
      results,
      maxRssKiB: process.resourceUsage().maxRSS,
      baseRssKiB,
      readsDigest,
    },
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
