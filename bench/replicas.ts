/*
 * Read throughput with 0, 1 and 2 read replicas (`npm run bench:replicas`).
 *
 * Starts a private primary with two GTID replicas on free loopback ports (test/helpers/cluster.ts), seeds a table,
 * and measures reads through juggler with this connector at 16 in flight: findById, and a filtered find of 50 rows
 * that makes the server work. Every server and the client share this machine's cores, so the numbers show the cost
 * of the routing more than the gain a real deployment (one machine per server) would see.
 */
import {performance} from 'node:perf_hooks';
import * as connector from '../src';
import {startReplication, type Node} from '../test/helpers/cluster';
import {median} from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler') as {
  DataSource: new (c: unknown, s: Record<string, unknown>) => JugglerDataSource;
};

interface JugglerModel {
  findById(id: number): Promise<unknown>;
  find(filter: Record<string, unknown>): Promise<unknown[]>;
  createAll(rows: Record<string, unknown>[]): Promise<unknown>;
}
interface JugglerDataSource {
  define(name: string, props: Record<string, unknown>): JugglerModel;
  automigrate(model: string): Promise<void>;
  disconnect(): Promise<void>;
}

const ROWS = 10000;
const CONCURRENCY = 16;
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1 : 3;
const ROUNDS = quick ? 1 : 3;

const PROPERTIES = {
  id: {type: Number, id: true, generated: true},
  name: {type: String, index: true},
  qty: {type: Number},
  notes: {type: String, mysql: {dataType: 'text'}},
};

function dataSource(
  primary: Node,
  replicas: readonly Node[],
): {ds: JugglerDataSource; Item: JugglerModel} {
  const ds = new DataSource(connector, {
    host: primary.host,
    port: primary.port,
    user: 'root',
    database: 'bench',
    createDatabase: true,
    connectionLimit: CONCURRENCY,
    replicas: replicas.map((r) => ({host: r.host, port: r.port})),
  });
  return {ds, Item: ds.define('Item', PROPERTIES)};
}

async function measure(work: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({length: CONCURRENCY}, async (_, lane) => {
      for (let i = lane; performance.now() < until; i += CONCURRENCY) {
        await work(i);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function main(): Promise<void> {
  const cluster = await startReplication({replicas: 2});
  try {
    const seed = dataSource(cluster.primary, []);
    await seed.ds.automigrate('Item');
    const rows = Array.from({length: ROWS}, (_, i) => ({
      name: `item${i % 500}`,
      qty: i,
      notes: 'x'.repeat(200),
    }));
    for (let i = 0; i < rows.length; i += 2000) await seed.Item.createAll(rows.slice(i, i + 2000));
    await seed.ds.disconnect();
    await cluster.sync();

    const results = new Map<number, {byId: number[]; filtered: number[]}>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const count of [0, 1, 2]) {
        const {ds, Item} = dataSource(cluster.primary, cluster.replicas.slice(0, count));
        await Item.findById(1); // connect and warm up
        const byId = await measure((i) => Item.findById(1 + ((i * 7919) % ROWS)));
        const filtered = await measure((i) =>
          Item.find({
            where: {name: `item${i % 500}`, qty: {gt: 100}},
            order: 'qty DESC',
            limit: 50,
          }),
        );
        await ds.disconnect();
        const r = results.get(count) ?? {byId: [], filtered: []};
        r.byId.push(byId);
        r.filtered.push(filtered);
        results.set(count, r);
        console.error(
          `round ${round + 1}/${ROUNDS}, ${count} replica(s): ${Math.round(byId)} / ${Math.round(filtered)} ops/s`,
        );
      }
    }
    const base = results.get(0) as {byId: number[]; filtered: number[]};
    console.log(
      `\nReads at ${CONCURRENCY} in flight, ${SECONDS} s per measure, median of ${ROUNDS} round(s):\n`,
    );
    console.log('| replicas | findById ops/s | vs 0 | find 50 rows (index + sort) ops/s | vs 0 |');
    console.log('|--:|--:|--:|--:|--:|');
    for (const [count, r] of results) {
      const byId = median(r.byId);
      const filtered = median(r.filtered);
      console.log(
        `| ${count} | ${Math.round(byId).toLocaleString('en')} | ${(byId / median(base.byId)).toFixed(2)}× | ` +
          `${Math.round(filtered).toLocaleString('en')} | ${(filtered / median(base.filtered)).toFixed(2)}× |`,
      );
    }
  } finally {
    await cluster.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
