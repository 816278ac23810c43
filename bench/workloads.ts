/*
 * The benchmark's model, data, contenders and workloads. Loaded by the child processes (bench/worker.ts), and by the
 * parent (bench/run.ts) for the model definition, the settings and the table checksum.
 */
import {createHash} from 'node:crypto';
import mysql2 from 'mysql2';
import {serverConfig} from '../test/helpers/mysql-config';

export {serverConfig};
import type {Pool as PromisePool, ResultSetHeader, RowDataPacket} from 'mysql2/promise';

/**
 * What runs the workloads; `floor` is juggler with a connector that does nothing (bench/null-connector.ts),
 * `reference` a minimal connector for the benchmark alone (bench/reference-connector.ts): the measured limit.
 */
export const CONTENDERS = ['raw', 'ts', 'reference', 'official', 'floor'] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/** The contenders that talk to a database (and must leave identical tables). */
export const DATABASE_CONTENDERS = ['raw', 'ts', 'reference', 'official'] as const;
export type DatabaseContenderName = (typeof DATABASE_CONTENDERS)[number];

export const TABLE = 'bench_item';
export const POOL_SIZE = 16;
export const SEED_ROWS = 10_000;
export const BULK_ROWS = 5_000;

/** The database of each contender; created fresh by the parent and dropped at the end. */
export function databaseOf(contender: DatabaseContenderName): string {
  return `lbts_bench_${contender}`;
}

/** The same data source settings for both connectors. */
export function dataSourceSettings(database: string): Record<string, unknown> {
  return {...serverConfig(), database, connectionLimit: POOL_SIZE};
}

/** The model: 8 properties of mixed types, ids may be given (`forceId: false`). */
export const MODEL_NAME = 'BenchItem';
export const MODEL_PROPERTIES = {
  id: {type: Number, id: true, generated: true},
  name: {type: String, required: true},
  qty: {type: Number},
  price: {
    type: Number,
    precision: 10,
    scale: 2,
    mysql: {dataType: 'decimal', dataPrecision: 10, dataScale: 2},
  },
  active: {type: Boolean},
  created: {type: Date},
  meta: {type: Object},
  notes: {type: String, mysql: {dataType: 'text'}},
};
export const MODEL_SETTINGS = {forceId: false, mysql: {table: TABLE}};

// ---------------------------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------------------------

export interface Row {
  id?: number;
  name: string;
  qty: number;
  price: number;
  active: boolean;
  created: Date;
  meta: Record<string, unknown>;
  notes: string;
}

const EPOCH = Date.UTC(2024, 0, 1);
const NOTES = 'The quick brown fox jumps over the lazy dog. '.repeat(3);

/** Row number `i`, deterministic; `name` has 50 values, `qty` 100, `price` has two decimals. */
export function row(i: number, id?: number): Row {
  const r: Row = {
    name: `name-${i % 50}`,
    qty: i % 100,
    price: (i % 1000) + 0.25 * (i % 4),
    active: i % 2 === 0,
    created: new Date(EPOCH + i * 60_000),
    meta: {i, tag: `tag-${i % 10}`, nested: {a: [1, 2, 3], b: i % 3 === 0}},
    notes: `${i}: ${NOTES}`,
  };
  if (id !== undefined) r.id = id;
  return r;
}

export function rows(from: number, count: number, withIds: boolean): Row[] {
  return Array.from({length: count}, (_, k) => row(from + k, withIds ? from + k : undefined));
}

/** The parameters of the filtered query: a range, an equality and an inq, ordered, limit 50. */
export interface QueryParams {
  qtyFrom: number;
  qtyTo: number;
  active: boolean;
  names: string[];
}

export function queryParams(k: number): QueryParams {
  const base = k % 40;
  return {
    qtyFrom: k % 50,
    qtyTo: (k % 50) + 49,
    active: k % 2 === 0,
    names: Array.from({length: 10}, (_, j) => `name-${(base + j) % 50}`),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Contenders
// ---------------------------------------------------------------------------------------------------------------

/** What the workloads do, once per contender. A handle is what updateAttributes needs (an id, or an instance). */
export interface Contender {
  /** Drops and creates the table (automigrate, or the same DDL for raw). */
  migrate(): Promise<void>;
  /** Empties the table and resets AUTO_INCREMENT (not timed). */
  reset(): Promise<void>;
  create(data: Row): Promise<unknown>;
  createAll(data: Row[]): Promise<unknown>;
  findById(id: number): Promise<unknown>;
  findQuery(q: QueryParams): Promise<unknown[]>;
  findMany(limit: number): Promise<unknown[]>;
  count(qtyBelow: number, active: boolean): Promise<number>;
  updateAll(idFrom: number, idTo: number, data: {notes: string; active: boolean}): Promise<unknown>;
  loadHandles(idFrom: number, idTo: number): Promise<unknown[]>;
  updateAttributes(handle: unknown, data: {qty: number; notes: string}): Promise<unknown>;
  upsert(data: Row): Promise<unknown>;
  destroyRange(idFrom: number, idTo: number): Promise<unknown>;
  close(): Promise<void>;
}

const COLUMNS = ['id', 'name', 'qty', 'price', 'active', 'created', 'meta', 'notes'];
export const SELECT = `SELECT ${COLUMNS.map((c) => `\`${c}\``).join(', ')} FROM \`${TABLE}\``;
const INSERT_COLUMNS = COLUMNS.filter((c) => c !== 'id');

export interface RawRow extends RowDataPacket {
  id: number;
  name: string;
  qty: number | null;
  price: string | null;
  active: number | null;
  created: Date | null;
  meta: string | null;
  notes: string | null;
}

/** A row as the model sees it: DECIMAL to number, TINYINT(1) to boolean, JSON text to object. */
export function decode(r: RawRow): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    qty: r.qty,
    price: r.price === null ? null : Number(r.price),
    active: r.active === null ? null : r.active !== 0,
    created: r.created,
    meta: r.meta === null ? null : (JSON.parse(r.meta) as unknown),
    notes: r.notes,
  };
}

/** A value `pool.execute` binds. */
type Param = string | number | boolean | Date | null;

function insertValues(r: Row): Param[] {
  return [r.name, r.qty, r.price, r.active, r.created, JSON.stringify(r.meta), r.notes];
}

/** Hand-written mysql2: a pool of 16, prepared statements (`pool.execute`), rows decoded into plain objects. */
export class RawContender implements Contender {
  private readonly pool: PromisePool;
  constructor(
    database: string,
    private readonly ddl: string,
  ) {
    this.pool = mysql2
      .createPool({...serverConfig(), database, connectionLimit: POOL_SIZE, timezone: 'Z'})
      .promise();
  }

  async migrate(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS \`${TABLE}\``);
    await this.pool.query(this.ddl);
  }

  async reset(): Promise<void> {
    await this.pool.query(`TRUNCATE TABLE \`${TABLE}\``);
  }

  async create(data: Row): Promise<unknown> {
    const [res] = await this.pool.execute<ResultSetHeader>(
      `INSERT INTO \`${TABLE}\` (${INSERT_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      insertValues(data),
    );
    return {...data, id: res.insertId};
  }

  async createAll(data: Row[]): Promise<unknown> {
    const withIds = data[0]?.id !== undefined;
    const cols = withIds ? COLUMNS : INSERT_COLUMNS;
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    const params: Param[] = [];
    for (const r of data) {
      if (withIds) params.push(r.id ?? null);
      params.push(...insertValues(r));
    }
    const [res] = await this.pool.execute<ResultSetHeader>(
      `INSERT INTO \`${TABLE}\` (${cols.join(', ')}) VALUES ${data.map(() => tuple).join(', ')}`,
      params,
    );
    return data.map((r, k) => ({...r, id: r.id ?? res.insertId + k}));
  }

  async findById(id: number): Promise<unknown> {
    const [found] = await this.pool.execute<RawRow[]>(`${SELECT} WHERE id = ? LIMIT 1`, [id]);
    return found[0] ? decode(found[0]) : null;
  }

  async findQuery(q: QueryParams): Promise<unknown[]> {
    const [found] = await this.pool.execute<RawRow[]>(
      `${SELECT} WHERE qty BETWEEN ? AND ? AND active = ? AND name IN (${q.names.map(() => '?').join(', ')}) ` +
        'ORDER BY price DESC, id ASC LIMIT 50',
      [q.qtyFrom, q.qtyTo, q.active, ...q.names],
    );
    return found.map(decode);
  }

  async findMany(limit: number): Promise<unknown[]> {
    const [found] = await this.pool.execute<RawRow[]>(`${SELECT} ORDER BY id ASC LIMIT ?`, [
      String(limit),
    ]);
    return found.map(decode);
  }

  async count(qtyBelow: number, active: boolean): Promise<number> {
    const [found] = await this.pool.execute<RowDataPacket[]>(
      `SELECT COUNT(*) AS cnt FROM \`${TABLE}\` WHERE qty < ? AND active = ?`,
      [qtyBelow, active],
    );
    return Number(found[0]?.cnt);
  }

  async updateAll(idFrom: number, idTo: number, data: {notes: string; active: boolean}) {
    const [res] = await this.pool.execute<ResultSetHeader>(
      `UPDATE \`${TABLE}\` SET notes = ?, active = ? WHERE id BETWEEN ? AND ?`,
      [data.notes, data.active, idFrom, idTo],
    );
    return {count: res.affectedRows};
  }

  async loadHandles(idFrom: number, idTo: number): Promise<unknown[]> {
    const [found] = await this.pool.execute<RawRow[]>(
      `${SELECT} WHERE id BETWEEN ? AND ? ORDER BY id`,
      [idFrom, idTo],
    );
    return found.map(decode);
  }

  async updateAttributes(handle: unknown, data: {qty: number; notes: string}): Promise<unknown> {
    const instance = handle as Record<string, unknown>;
    await this.pool.execute(`UPDATE \`${TABLE}\` SET qty = ?, notes = ? WHERE id = ?`, [
      data.qty,
      data.notes,
      instance.id as number,
    ]);
    return Object.assign(instance, data);
  }

  async upsert(data: Row): Promise<unknown> {
    const update = INSERT_COLUMNS.map((c) => `${c} = VALUES(${c})`).join(', ');
    await this.pool.execute(
      `INSERT INTO \`${TABLE}\` (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE ${update}`,
      [data.id ?? null, ...insertValues(data)],
    );
    return data;
  }

  async destroyRange(idFrom: number, idTo: number): Promise<unknown> {
    const [res] = await this.pool.execute<ResultSetHeader>(
      `DELETE FROM \`${TABLE}\` WHERE id BETWEEN ? AND ?`,
      [idFrom, idTo],
    );
    return {count: res.affectedRows};
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The part of juggler the benchmark uses (juggler's own types are loose). */
interface JugglerInstance {
  updateAttributes(data: Record<string, unknown>): Promise<unknown>;
}
interface JugglerModel {
  create(data: Row): Promise<JugglerInstance>;
  createAll(data: Row[]): Promise<JugglerInstance[]>;
  findById(id: number): Promise<JugglerInstance | null>;
  find(filter: Record<string, unknown>): Promise<JugglerInstance[]>;
  count(where: Record<string, unknown>): Promise<number>;
  updateAll(where: Record<string, unknown>, data: Record<string, unknown>): Promise<unknown>;
  upsert(data: Row): Promise<JugglerInstance>;
  destroyAll(where: Record<string, unknown>): Promise<unknown>;
}
interface JugglerDataSource {
  define(name: string, properties: object, settings: object): JugglerModel;
  automigrate(models?: string | string[]): Promise<void>;
  disconnect(): Promise<void>;
  connector: {
    execute(
      sql: string,
      params: unknown[],
      options: object,
      cb: (err: Error | null | undefined) => void,
    ): void;
  };
}
export type DataSourceClass = new (
  connector: unknown,
  settings: Record<string, unknown>,
) => JugglerDataSource;

/** juggler's DataSource constructor. */
export function jugglerDataSource(): DataSourceClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('loopback-datasource-juggler') as {DataSource: DataSourceClass}).DataSource;
}

/** A connector module through juggler: `new DataSource(connector, settings)` and the model's methods. */
export class JugglerContender implements Contender {
  readonly ds: JugglerDataSource;
  private readonly Model: JugglerModel;
  constructor(connector: unknown, database: string, settings: Record<string, unknown> = {}) {
    const DataSource = jugglerDataSource();
    this.ds = new DataSource(connector, {...dataSourceSettings(database), ...settings});
    this.Model = this.ds.define(MODEL_NAME, MODEL_PROPERTIES, MODEL_SETTINGS);
  }

  private execute(sql: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ds.connector.execute(sql, [], {}, (err) => (err ? reject(err) : resolve())),
    );
  }

  migrate(): Promise<void> {
    return this.ds.automigrate(MODEL_NAME);
  }

  reset(): Promise<void> {
    return this.execute(`TRUNCATE TABLE \`${TABLE}\``);
  }

  create(data: Row): Promise<unknown> {
    return this.Model.create(data);
  }

  createAll(data: Row[]): Promise<unknown> {
    return this.Model.createAll(data);
  }

  findById(id: number): Promise<unknown> {
    return this.Model.findById(id);
  }

  findQuery(q: QueryParams): Promise<unknown[]> {
    return this.Model.find({
      where: {qty: {between: [q.qtyFrom, q.qtyTo]}, active: q.active, name: {inq: q.names}},
      order: ['price DESC', 'id ASC'],
      limit: 50,
    });
  }

  findMany(limit: number): Promise<unknown[]> {
    return this.Model.find({order: 'id ASC', limit});
  }

  count(qtyBelow: number, active: boolean): Promise<number> {
    return this.Model.count({qty: {lt: qtyBelow}, active});
  }

  updateAll(idFrom: number, idTo: number, data: {notes: string; active: boolean}) {
    return this.Model.updateAll({id: {between: [idFrom, idTo]}}, data);
  }

  loadHandles(idFrom: number, idTo: number): Promise<unknown[]> {
    return this.Model.find({where: {id: {between: [idFrom, idTo]}}, order: 'id ASC'});
  }

  updateAttributes(handle: unknown, data: {qty: number; notes: string}): Promise<unknown> {
    return (handle as JugglerInstance).updateAttributes(data);
  }

  upsert(data: Row): Promise<unknown> {
    return this.Model.upsert(data);
  }

  destroyRange(idFrom: number, idTo: number): Promise<unknown> {
    return this.Model.destroyAll({id: {between: [idFrom, idTo]}});
  }

  close(): Promise<void> {
    return this.ds.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------------------------

export interface Workload {
  /** Stable key, e.g. `findById c16`. */
  key: string;
  /** `ops`, or `rows` for the bulk workloads (each op moves `rowsPerOp` rows). */
  unit: 'ops' | 'rows';
  rowsPerOp: number;
  concurrency: number;
  /** Timed operations in a full run and in a quick run. */
  full: number;
  quick: number;
  /** Untimed preparation before the warm-up (seeding, loading handles). */
  prepare?: (c: Contender, ops: number, concurrency: number) => Promise<void>;
  /** Operation `k` (unique within the child process across workloads of the same kind). */
  op: (c: Contender, k: number) => Promise<unknown>;
}

/** Seeds ids 1..SEED_ROWS in bulk (not timed). */
async function seed(c: Contender): Promise<void> {
  await c.reset();
  for (let from = 1; from <= SEED_ROWS; from += BULK_ROWS) {
    await c.createAll(rows(from, Math.min(BULK_ROWS, SEED_ROWS - from + 1), true));
  }
}

/** Builds the workload list; counters keep ids unique across the c1 and c16 variants and the warm-ups. */
export function workloads(): Workload[] {
  let handles: unknown[] = [];
  let nextHandle = 0;
  let nextNewId = 1_000_000;
  let nextDestroy = 0;
  let nextUpsert = 0;
  // The c16 variant runs twice the operations of c1 (it is faster), for similar timed durations.
  const both = (w: Omit<Workload, 'key' | 'concurrency'> & {name: string}): Workload[] =>
    [1, POOL_SIZE].map((concurrency) => {
      const scale = concurrency === 1 ? 1 : 2;
      return {
        ...w,
        key: `${w.name} c${concurrency}`,
        concurrency,
        full: w.full * scale,
        quick: w.quick * scale,
      };
    });
  const single = (
    w: Omit<Workload, 'key' | 'concurrency' | 'rowsPerOp'> & {name: string; rowsPerOp?: number},
  ): Workload => ({rowsPerOp: 1, ...w, key: `${w.name} c1`, concurrency: 1});
  return [
    ...both({
      name: 'create',
      unit: 'ops',
      rowsPerOp: 1,
      full: 5000,
      quick: 800,
      prepare: (c) => c.reset(),
      op: (c, k) => c.create(row(k)),
    }),
    single({
      name: 'createAll 5000',
      unit: 'rows',
      rowsPerOp: BULK_ROWS,
      full: 12,
      quick: 2,
      prepare: (c) => c.reset(),
      op: (c, k) => c.createAll(rows(k * BULK_ROWS, BULK_ROWS, false)),
    }),
    ...both({
      name: 'findById',
      unit: 'ops',
      rowsPerOp: 1,
      full: 8000,
      quick: 1300,
      // Seeded once, before the c1 variant; the reads below run on the same 10k rows.
      prepare: async (c, _ops, concurrency) => {
        if (concurrency === 1) await seed(c);
      },
      op: (c, k) => c.findById(1 + ((k * 7919) % SEED_ROWS)),
    }),
    ...both({
      name: 'find range+eq+inq limit 50',
      unit: 'ops',
      rowsPerOp: 1,
      full: 1200,
      quick: 200,
      op: (c, k) => c.findQuery(queryParams(k)),
    }),
    single({
      name: 'find 5000 rows',
      unit: 'rows',
      rowsPerOp: BULK_ROWS,
      full: 30,
      quick: 5,
      op: (c) => c.findMany(BULK_ROWS),
    }),
    ...both({
      name: 'count where',
      unit: 'ops',
      rowsPerOp: 1,
      full: 2400,
      quick: 400,
      op: (c, k) => c.count(k % 100, k % 2 === 0),
    }),
    ...both({
      name: 'updateAll where',
      unit: 'ops',
      rowsPerOp: 1,
      full: 2400,
      quick: 400,
      op: (c, k) => {
        const from = 1 + ((k * 10) % (SEED_ROWS - 10));
        return c.updateAll(from, from + 9, {notes: `bulk ${k}`, active: k % 3 === 0});
      },
    }),
    ...both({
      name: 'updateAttributes',
      unit: 'ops',
      rowsPerOp: 1,
      full: 3000,
      quick: 500,
      prepare: async (c, ops) => {
        // Each operation updates its own instance, loaded beforehand (not timed).
        handles = await c.loadHandles(1, Math.min(SEED_ROWS, ops + POOL_SIZE));
        nextHandle = 0;
      },
      op: (c, k) =>
        c.updateAttributes(handles[nextHandle++ % handles.length], {
          qty: k % 100,
          notes: `upd ${k}`,
        }),
    }),
    ...both({
      name: 'upsert (half new)',
      unit: 'ops',
      rowsPerOp: 1,
      full: 4000,
      quick: 700,
      op: (c) => {
        // Every upsert writes new values (a counter, not k: the c16 variant must not repeat c1's rows).
        const n = nextUpsert++;
        return c.upsert(row(n + 7, n % 2 === 0 ? 1 + ((n * 7919) % SEED_ROWS) : nextNewId++));
      },
    }),
    ...both({
      name: 'destroyAll where',
      unit: 'ops',
      rowsPerOp: 1,
      full: 1200,
      quick: 400,
      // A fresh 10k seed before each variant (not timed).
      prepare: async (c) => {
        await seed(c);
        nextDestroy = 0;
      },
      op: (c) => {
        // Four seeded rows per operation, never the same range twice: 2500 ranges in the 10k seed.
        const from = 1 + (nextDestroy++ % (SEED_ROWS / 4)) * 4;
        return c.destroyRange(from, from + 3);
      },
    }),
  ];
}

/** Timed sections stop starting operations after this long (bounded run time on a slow or busy machine). */
export const TIME_CAP_SECONDS = {full: 1.5, quick: 0.5};

export interface WorkloadResult {
  key: string;
  unit: 'ops' | 'rows';
  /** Operations, or rows for the bulk workloads. */
  units: number;
  seconds: number;
  /** Client CPU (user + system) of the timed section, microseconds. */
  cpuMicros: number;
  /** Peak RSS of the process so far (after this workload), KiB: where the peak is reached. */
  maxRssKiB: number;
  /** The same after the workload's untimed preparation (seeding, loading handles). */
  preparedRssKiB: number;
}

export interface WorkerReport {
  contender: ContenderName;
  results: WorkloadResult[];
  /** Peak resident set size of the process, KiB. */
  maxRssKiB: number;
  /** RSS once connected and migrated, before any workload, KiB. */
  baseRssKiB: number;
  /** Digest of what the reads of the deterministic sequence returned. */
  readsDigest: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-check
// ---------------------------------------------------------------------------------------------------------------

/**
 * A fixed, sequential list of operations through the contender; leaves the table in a state every contender must
 * reproduce exactly. Returns a digest of what the reads returned, normalized, for the same comparison.
 */
export async function deterministicSequence(c: Contender): Promise<string> {
  await c.reset();
  await c.createAll(rows(1, 300, false));
  for (let i = 301; i <= 320; i++) await c.create(row(i));
  await c.updateAll(10, 40, {notes: 'bulk', active: false});
  for (const h of await c.loadHandles(5, 15)) await c.updateAttributes(h, {qty: 77, notes: 'upd'});
  for (let id = 100; id < 105; id++) await c.upsert({...row(id + 1000), id});
  for (let id = 5000; id < 5005; id++) await c.upsert({...row(id), id});
  await c.destroyRange(200, 250);
  const reads = [
    await c.findById(12),
    await c.findQuery(queryParams(3)),
    await c.count(50, true),
    (await c.findMany(BULK_ROWS)).length,
  ];
  return digest(JSON.stringify(reads, (_key, value: unknown) => normalizeValue(value)));
}

/** Plain values: model instances to their data, keys sorted, numbers and booleans as is. */
function normalizeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  if (value instanceof Date) return value.toISOString();
  const data =
    typeof (value as {toJSON?: unknown}).toJSON === 'function'
      ? ((value as {toJSON: () => unknown}).toJSON() as Record<string, unknown>)
      : (value as Record<string, unknown>);
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(data).sort()) sorted[key] = data[key];
  return sorted;
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => normalizeValue(v));
}

/** A checksum of the table, rows normalized to (name, qty, price, active, meta, notes) and sorted. */
export async function tableChecksum(
  database: string,
): Promise<{rows: number; checksum: string; createdChecksum: string}> {
  const connection = mysql2
    .createConnection({...serverConfig(), database, timezone: 'Z'})
    .promise();
  try {
    const [found] = await connection.query<RawRow[]>(
      `SELECT name, qty, price, active, meta, notes, created FROM \`${TABLE}\``,
    );
    const lines = found.map((r) => {
      const meta = typeof r.meta === 'string' ? (JSON.parse(r.meta) as unknown) : r.meta;
      return canonicalJson([
        r.name,
        r.qty,
        r.price === null ? null : Number(r.price).toFixed(2),
        r.active === null ? null : Number(r.active) !== 0,
        meta,
        r.notes,
      ]);
    });
    const created = found.map((r) => `${r.name}|${r.created?.toISOString()}`);
    return {
      rows: found.length,
      checksum: digest(lines.sort().join('\n')),
      createdChecksum: digest(created.sort().join('\n')),
    };
  } finally {
    await connection.end();
  }
}
