/*
 * Streaming reads for LB4 repositories and LB3 model classes: see `MySQL.stream`. The rows themselves are read by the
 * driver (driver/stream.ts).
 */
import {InvalidModelError} from '../sql-connector/errors';
import type {Filter, ModelData, Options} from '../sql-connector/juggler-types';

export {STREAM_HIGH_WATER_MARK} from './driver';

/** A data source or model class whose connector can stream (this connector). */
interface StreamingConnector {
  stream(model: string, filter?: Filter, options?: Options): AsyncIterableIterator<ModelData>;
}

/** The part of an LB4 repository (or an LB3 / juggler model class) {@link streamFind} uses. */
export interface StreamableRepository {
  readonly modelClass: {
    readonly modelName: string;
    readonly dataSource?: {readonly connector?: unknown} | null;
  };
}

/**
 * Streams the rows a `find` on an LB4 repository would return, as plain data (not entities): see `MySQL.stream`.
 *
 * ```ts
 * for await (const order of streamFind<Order>(orderRepository, {where: {status: 'open'}})) process(order);
 * ```
 */
export function streamFind<T extends object = ModelData>(
  repository: StreamableRepository,
  filter?: Filter,
  options?: Options,
): AsyncIterableIterator<T> {
  const {modelName, dataSource} = repository.modelClass;
  const connector = dataSource?.connector as Partial<StreamingConnector> | undefined;
  if (typeof connector?.stream !== 'function') {
    throw new InvalidModelError(
      `Model ${modelName} is not attached to a data source of loopback-connector-mysql-ts: it cannot stream`,
    );
  }
  return connector.stream(modelName, filter, options) as AsyncIterableIterator<T>;
}
