/*
 * A connector that does no work at all: every call is answered on the next tick with data prepared in advance (no SQL,
 * no driver, no database). Through juggler it measures juggler's own cost, the ceiling for any connector used through
 * juggler, this one and the official one alike: the `juggler alone` contender of the benchmark.
 */
import {BULK_ROWS, rows, type Row} from './workloads';

type Cb = (err: Error | null, ...results: unknown[]) => void;

/** Data of the rows a read returns; built once per shape, outside the timed sections. */
const stored = new Map<number, Record<string, unknown>>();
function storedRow(id: number): Record<string, unknown> {
  let found = stored.get(id);
  if (!found) {
    found = {...rows(id, 1, true)[0]};
    stored.set(id, found);
  }
  return found;
}

/** The number of rows a `find` filter of the workloads asks for, and the first id. */
function shape(filter: {where?: Record<string, unknown>; limit?: number}): [number, number] {
  const where = filter.where ?? {};
  const id = where.id as number | {between?: [number, number]} | undefined;
  if (typeof id === 'number') return [id, 1];
  if (id && Array.isArray(id.between)) return [id.between[0], id.between[1] - id.between[0] + 1];
  return [1, Math.min(filter.limit ?? BULK_ROWS, BULK_ROWS)];
}

/** A connector that does nothing: the least any connector could cost. */
class NullConnector {
  readonly name = 'null';
  readonly multiInsertSupported = true;
  dataSource: unknown;
  private nextId = 0;

  connect(cb: Cb): void {
    process.nextTick(cb, null);
  }
  disconnect(cb: Cb): void {
    process.nextTick(cb, null);
  }
  automigrate(_models: unknown, cb: Cb): void {
    process.nextTick(cb, null);
  }
  execute(_sql: string, _params: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, {affectedRows: 0});
  }
  create(_model: string, _data: Row, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, ++this.nextId);
  }
  createAll(_model: string, data: Row[], _options: unknown, cb: Cb): void {
    process.nextTick(
      cb,
      null,
      data.map((d) => ({...d, id: ++this.nextId})),
    );
  }
  all(
    _model: string,
    filter: {where?: Record<string, unknown>; limit?: number},
    _o: unknown,
    cb: Cb,
  ) {
    const [first, count] = shape(filter ?? {});
    const found = Array.from({length: count}, (_, k) => ({...storedRow(first + k)}));
    process.nextTick(cb, null, found);
  }
  count(_model: string, _where: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, 42);
  }
  update(_model: string, _where: unknown, _data: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, {count: 10});
  }
  updateAttributes(_model: string, _id: unknown, data: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, data);
  }
  updateOrCreate(_model: string, data: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, data, {isNewInstance: false});
  }
  destroyAll(_model: string, _where: unknown, _options: unknown, cb: Cb): void {
    process.nextTick(cb, null, {count: 4});
  }
}

export const nullConnectorModule = {
  initialize(dataSource: {connector?: unknown}, cb?: Cb) {
    const connector = new NullConnector();
    connector.dataSource = dataSource;
    dataSource.connector = connector;
    cb?.(null);
  },
};
