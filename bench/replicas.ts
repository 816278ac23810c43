/*
 * Read throughput with 0, 1 and 2 read replicas, and through a Group Replication group (`npm run bench:replicas`).
 *
 * Starts a private primary with two GTID replicas on free loopback ports (test/helpers/cluster.ts), seeds a table,
 * and measures reads through juggler with this connector at 16 in flight: findById, and a filtered find of 50 rows
 * that makes the server work. Then the same against a private 3-member MySQL 9.7 Group Replication group
 * (test/helpers/group-replication.ts, `cluster: 'group-replication'`): reads on the primary (`readFrom: 'primary'`)
 * against reads on the two ONLINE secondaries. `--group-only` runs the group part alone. Every server and the client
 * share this machine's cores, so the numbers show the cost of the routing more than the gain a real deployment (one
 * machine per server) would see.
 */
import {performance} from 'node:perf_hooks';
import * as connector from '../src';
import {startReplication, type Node} from '../test/helpers/cluster';
import {
  APP_DATABASE,
  APP_PASSWORD,
  APP_USER,
  startGroupReplication,
  type Group,
} from '../test/helpers/group-replication';
import {median} from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler') as {
  DataSource: new (c: unknown, s: Record<string, unknown>) => JugglerDataSource;
};

interface JugglerModel {
  findById(id: number, filter?: Record<string, unknown>, options?: ReadOptions): Promise<unknown>;
  find(filter: Record<string, unknown>, options?: ReadOptions): Promise<unknown[]>;
  createAll(rows: Record<string, unknown>[]): Promise<unknown>;
}
interface JugglerDataSource {
  define(name: string, props: Record<string, unknown>): JugglerModel;
  automigrate(model: string): Promise<void>;
  disconnect(): Promise<void>;
}

type ReadOptions = {readFrom?: 'primary'};

const ROWS = 10000;
const CONCURRENCY = 16;
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1 : 3;
const ROUNDS = quick ? 1 : 3;
const groupOnly = process.argv.includes('--group-only');

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

/** A data source on the group's members; its reads go to the ONLINE secondaries. */
function groupDataSource(group: Group): {ds: JugglerDataSource; Item: JugglerModel} {
  const ds = new DataSource(connector, {
    nodes: group.members.map((m) => ({host: m.host, port: m.port})),
    cluster: 'group-replication',
    user: APP_USER,
    password: APP_PASSWORD,
    database: APP_DATABASE,
    createDatabase: true,
    connectionLimit: CONCURRENCY,
  });
  return {ds, Item: ds.define('Item', PROPERTIES)};
}

async function seed(Item: JugglerModel): Promise<void> {
  const rows = Array.from({length: ROWS}, (_, i) => ({
    name: `item${i % 500}`,
    qty: i,
    notes: 'x'.repeat(200),
  }));
  for (let i = 0; i < rows.length; i += 2000) await Item.createAll(rows.slice(i, i + 2000));
}

/** Reads through a 3-member Group Replication group: on the primary, then on the two secondaries. */
async function groupReplication(): Promise<void> {
  const group = await startGroupReplication({members: 3});
  try {
    const primary = await group.primary();
    if (!primary) throw new Error('the group has no primary');
    await primary.query(
      `GRANT SELECT ON performance_schema.replication_group_members TO '${APP_USER}'@'%'`,
    );
    const first = groupDataSource(group);
    await first.ds.automigrate('Item');
    await seed(first.Item);
    await first.ds.disconnect();
    await group.sync();

    const modes = ['primary', 'secondaries'] as const;
    const results = new Map<(typeof modes)[number], {byId: number[]; filtered: number[]}>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modes) {
        const options: ReadOptions = mode === 'primary' ? {readFrom: 'primary'} : {};
        const {ds, Item} = groupDataSource(group);
        // Connect, then open the connections the measure uses (on each member its first login is the slow one).
        await Item.findById(1, {}, options);
        await Promise.all(
          Array.from({length: CONCURRENCY * 2}, (_, i) => Item.findById(i + 1, {}, options)),
        );
        const byId = await measure((i) => Item.findById(1 + ((i * 7919) % ROWS), {}, options));
        const filtered = await measure((i) =>
          Item.find(
            {where: {name: `item${i % 500}`, qty: {gt: 100}}, order: 'qty DESC', limit: 50},
            options,
          ),
        );
        await ds.disconnect();
        const r = results.get(mode) ?? {byId: [], filtered: []};
        r.byId.push(byId);
        r.filtered.push(filtered);
        results.set(mode, r);
        console.error(
          `round ${round + 1}/${ROUNDS}, group, reads on the ${mode}: ${Math.round(byId)} / ${Math.round(filtered)} ops/s`,
        );
      }
    }
    const rss = group.members.map((m) => m.rssMiB());
    const base = results.get('primary') as {byId: number[]; filtered: number[]};
    console.log(
      `\nMySQL 9.7 Group Replication, 3 members (RSS ${rss.join(' / ')} MiB), reads at ${CONCURRENCY} in flight:\n`,
    );
    console.log('| group reads | findById ops/s | vs primary | find 50 rows ops/s | vs primary |');
    console.log('|--|--:|--:|--:|--:|');
    for (const [mode, r] of results) {
      const byId = median(r.byId);
      const filtered = median(r.filtered);
      console.log(
        `| ${mode === 'primary' ? "on the primary (`readFrom: 'primary'`)" : 'on the 2 ONLINE secondaries'} | ` +
          `${Math.round(byId).toLocaleString('en')} | ${(byId / median(base.byId)).toFixed(2)}× | ` +
          `${Math.round(filtered).toLocaleString('en')} | ${(filtered / median(base.filtered)).toFixed(2)}× |`,
      );
    }
  } finally {
    await group.destroy();
  }
}

async function main(): Promise<void> {
  if (!groupOnly) await replicas();
  await groupReplication();
}

async function replicas(): Promise<void> {
  const cluster = await startReplication({replicas: 2});
  try {
    const first = dataSource(cluster.primary, []);
    await first.ds.automigrate('Item');
    await seed(first.Item);
    await first.ds.disconnect();
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
