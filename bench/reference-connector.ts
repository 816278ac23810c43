/*
 * REFERENCE ONLY, NOT A CONNECTOR TO USE: never exported by the package, never loaded outside bench/.
 *
 * The least a juggler connector for the benchmark's workloads can do: prepared statements (mysql2's `pool.execute`),
 * the SQL text of every statement shape built once per model, one callback path from juggler to the driver and
 * back, rows converted by the property types. Nothing else: no validation of filters or values, no operators beyond
 * what the workloads send (=, <, <=, >, >=, between, inq), no statement timeout, no acquire deadline, no retries,
 * no replicas, no observers, no transactions, no escaping of names (the model's are plain). It is the `reference`
 * contender of `npm run bench`: the measured limit of a connector through juggler, against which this connector's
 * throughput is compared (issue #15).
 */
import mysql2, {type Pool, type ResultSetHeader} from 'mysql2';

type Cb = (err: Error | null, ...results: unknown[]) => void;
type Data = Record<string, unknown>;
type Where = Record<string, unknown>;

interface PropertyDefinition {
  type?: unknown;
  id?: unknown;
  mysql?: {dataType?: string; columnName?: string};
}
interface ModelDefinition {
  model: {modelName: string};
  properties: Record<string, PropertyDefinition>;
  settings?: {mysql?: {table?: string}};
}

/** How a value read from a column becomes a property value. */
type Read = (v: unknown) => unknown;

const readers: Record<string, Read> = {
  Number: (v) => (typeof v === 'number' ? v : Number(v)),
  Boolean: (v) => v !== 0 && v !== '0' && v !== false,
  Object: (v) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v),
};

/** What is precomputed per model. */
class ModelSql {
  readonly table: string;
  readonly id: string;
  readonly columns: string[];
  readonly select: string;
  readonly insert: string;
  readonly upsert: string;
  readonly reads: [string, Read][];
  readonly objects: Set<string>;
  /** Statement texts by shape (where keys and operators, order, limit, set list). */
  readonly texts = new Map<string, string>();

  constructor(definition: ModelDefinition) {
    this.table = `\`${definition.settings?.mysql?.table ?? definition.model.modelName}\``;
    const props = Object.entries(definition.properties);
    this.columns = props.map(([name]) => name);
    this.id = props.find(([, p]) => p.id)?.[0] ?? 'id';
    this.select = `SELECT ${this.columns.map((c) => `\`${c}\``).join(',')} FROM ${this.table}`;
    const writable = this.columns.filter((c) => c !== this.id);
    this.insert = `INSERT INTO ${this.table} (${writable.map((c) => `\`${c}\``).join(',')}) VALUES (${writable.map(() => '?').join(',')})`;
    this.upsert =
      `INSERT INTO ${this.table} (${this.columns.map((c) => `\`${c}\``).join(',')}) VALUES (${this.columns.map(() => '?').join(',')}) ` +
      `ON DUPLICATE KEY UPDATE ${writable.map((c) => `\`${c}\`=VALUES(\`${c}\`)`).join(',')}`;
    const typeName = (p: PropertyDefinition) =>
      typeof p.type === 'function' ? (p.type as {name: string}).name : String(p.type);
    this.reads = props
      .map(([name, p]) => [name, readers[typeName(p)]] as const)
      .filter((e): e is [string, Read] => e[1] !== undefined);
    this.objects = new Set(props.filter(([, p]) => typeName(p) === 'Object').map(([n]) => n));
  }

  /** A value as it is written. */
  write(name: string, v: unknown): unknown {
    if (v === undefined) return null;
    return this.objects.has(name) && v !== null && typeof v !== 'string' ? JSON.stringify(v) : v;
  }

  /** `WHERE ...` for a where, cached by shape; its values appended to `params`. */
  where(where: Where | undefined, params: unknown[]): string {
    if (!where) return '';
    let shape = '';
    for (const key in where) {
      const cond = where[key];
      if (cond !== null && typeof cond === 'object' && !(cond instanceof Date)) {
        const [op, v] = Object.entries(cond)[0] as [string, unknown];
        if (op === 'between') params.push(...(v as unknown[]));
        else if (op === 'inq') params.push(...(v as unknown[]));
        else params.push(v);
        shape += `${key}\0${op}\0${Array.isArray(v) ? v.length : ''}\0`;
      } else {
        params.push(cond);
        shape += `${key}\0=\0`;
      }
    }
    let text = this.texts.get(shape);
    if (text === undefined) {
      const ops: Record<string, string> = {lt: '<', lte: '<=', gt: '>', gte: '>='};
      const parts = Object.entries(where).map(([key, cond]) => {
        if (cond === null || typeof cond !== 'object' || cond instanceof Date)
          return `\`${key}\`=?`;
        const [op, v] = Object.entries(cond)[0] as [string, unknown];
        if (op === 'between') return `\`${key}\` BETWEEN ? AND ?`;
        if (op === 'inq') return `\`${key}\` IN (${(v as unknown[]).map(() => '?').join(',')})`;
        return `\`${key}\`${ops[op] ?? '='}?`;
      });
      text = parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
      this.texts.set(shape, text);
    }
    return text;
  }

  convert(rows: Data[]): Data[] {
    for (const row of rows)
      for (const [name, read] of this.reads) {
        const v = row[name];
        if (v !== null && v !== undefined) row[name] = read(v);
      }
    return rows;
  }
}

/** The reference connector (see the file's header). */
class ReferenceConnector {
  readonly name = 'reference';
  readonly relational = true;
  readonly multiInsertSupported = true;
  dataSource: unknown;
  private readonly pool: Pool;
  private readonly models = new Map<string, ModelSql>();

  constructor(settings: Record<string, unknown>) {
    this.pool = mysql2.createPool({
      host: settings.host as string,
      port: settings.port as number,
      user: settings.user as string,
      password: settings.password as string,
      database: settings.database as string,
      connectionLimit: settings.connectionLimit as number,
      timezone: 'Z',
      charset: 'utf8mb4',
    });
  }

  define(definition: ModelDefinition): void {
    this.models.set(definition.model.modelName, new ModelSql(definition));
  }

  private m(model: string): ModelSql {
    return this.models.get(model) as ModelSql;
  }

  connect(cb: Cb): void {
    process.nextTick(cb, null);
  }

  disconnect(cb: Cb): void {
    this.pool.end((err) => cb(err ?? null));
  }

  /** The benchmark's table: the DDL raw mysql2 uses too (BENCH_DDL, our connector's automigrate output). */
  automigrate(models: unknown, cb: Cb): void {
    const m = this.m(String(Array.isArray(models) ? models[0] : models));
    this.pool.query(`DROP TABLE IF EXISTS ${m.table}`, (err) => {
      if (err) return cb(err);
      this.pool.query(process.env.BENCH_DDL ?? '', (e) => cb(e ?? null));
    });
  }

  execute(sql: string, params: unknown[], _options: unknown, cb: Cb): void {
    this.pool.query(sql, params, (err, result) => cb(err, result));
  }

  create(model: string, data: Data, _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const params = m.columns.filter((c) => c !== m.id).map((c) => m.write(c, data[c]));
    this.pool.execute<ResultSetHeader>(m.insert, params as never[], (err, res) =>
      err ? cb(err) : cb(null, res.insertId),
    );
  }

  createAll(model: string, data: Data[], _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const withIds = data[0]?.[m.id] !== undefined;
    const cols = withIds ? m.columns : m.columns.filter((c) => c !== m.id);
    const params: unknown[] = [];
    for (const d of data) for (const c of cols) params.push(m.write(c, d[c]));
    const tuple = `(${cols.map(() => '?').join(',')})`;
    // Many rows: the text protocol (a prepared statement per row count would fill the server's statement cache).
    const sql = `INSERT INTO ${m.table} (${cols.map((c) => `\`${c}\``).join(',')}) VALUES ${data.map(() => tuple).join(',')}`;
    this.pool.query<ResultSetHeader>(sql, params, (err, res) => {
      if (err) return cb(err);
      cb(
        null,
        data.map((d, k) => (withIds ? d : {[m.id]: res.insertId + k, ...d})),
      );
    });
  }

  all(
    model: string,
    filter: {where?: Where; order?: string | string[]; limit?: number; skip?: number},
    _options: unknown,
    cb: Cb,
  ): void {
    const m = this.m(model);
    const params: unknown[] = [];
    const where = m.where(filter?.where, params);
    const order = filter?.order;
    const orderKey = Array.isArray(order) ? order.join(',') : (order ?? '');
    const key = `select\0${where}\0${orderKey}\0${filter?.limit ?? ''}\0${filter?.skip ?? ''}`;
    let sql = m.texts.get(key);
    if (sql === undefined) {
      const orders = (Array.isArray(order) ? order : order ? [order] : []).map((o) => {
        const [name, dir] = o.split(' ');
        return `\`${name}\` ${dir === 'DESC' ? 'DESC' : 'ASC'}`;
      });
      // LIMIT inlined: mysql2 sends JS numbers as DOUBLE, which LIMIT refuses.
      sql =
        `${m.select}${where}${orders.length ? ` ORDER BY ${orders.join(',')}` : ''}` +
        `${filter?.limit ? ` LIMIT ${Number(filter.limit)}` : ''}${filter?.skip ? ` OFFSET ${Number(filter.skip)}` : ''}`;
      m.texts.set(key, sql);
    }
    this.pool.execute(sql, params as never[], (err, rows) =>
      err ? cb(err) : cb(null, m.convert(rows as Data[])),
    );
  }

  count(model: string, where: Where, _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const params: unknown[] = [];
    const sql = `SELECT COUNT(*) AS cnt FROM ${m.table}${m.where(where, params)}`;
    this.pool.execute(sql, params as never[], (err, rows) =>
      err ? cb(err) : cb(null, Number((rows as Data[])[0]?.cnt)),
    );
  }

  update(model: string, where: Where, data: Data, _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const keys = Object.keys(data).filter((k) => k !== m.id);
    const params: unknown[] = keys.map((k) => m.write(k, data[k]));
    const whereSql = m.where(where, params);
    const sql = `UPDATE ${m.table} SET ${keys.map((k) => `\`${k}\`=?`).join(',')}${whereSql}`;
    this.pool.execute<ResultSetHeader>(sql, params as never[], (err, res) =>
      err ? cb(err) : cb(null, {count: res.affectedRows}),
    );
  }

  updateAttributes(model: string, id: unknown, data: Data, options: unknown, cb: Cb): void {
    this.update(model, {[this.m(model).id]: id}, data, options, (err) =>
      err ? cb(err) : cb(null, data),
    );
  }

  updateOrCreate(model: string, data: Data, _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const params = m.columns.map((c) => m.write(c, data[c]));
    this.pool.execute<ResultSetHeader>(m.upsert, params as never[], (err, res) =>
      err ? cb(err) : cb(null, data, {isNewInstance: res.affectedRows === 1}),
    );
  }

  destroyAll(model: string, where: Where, _options: unknown, cb: Cb): void {
    const m = this.m(model);
    const params: unknown[] = [];
    const sql = `DELETE FROM ${m.table}${m.where(where, params)}`;
    this.pool.execute<ResultSetHeader>(sql, params as never[], (err, res) =>
      err ? cb(err) : cb(null, {count: res.affectedRows}),
    );
  }
}

/** The module juggler loads: `new DataSource(referenceConnectorModule, settings)`. */
export const referenceConnectorModule = {
  initialize(dataSource: {settings: Record<string, unknown>; connector?: unknown}, cb?: Cb) {
    const connector = new ReferenceConnector(dataSource.settings);
    connector.dataSource = dataSource;
    dataSource.connector = connector;
    cb?.(null);
  },
};
