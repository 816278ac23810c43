import {InvalidModelError} from './errors';
import type {ModelDefinition} from './juggler-types';
import {buildModelMapping, type ColumnMapping, type ModelMapping} from './model-mapping';
import {ShapeCache} from './statement-shapes';
import {compileRowConverter, type ColumnReader, type RowConverter} from './statements';

/** How many statement texts {@link ConnectorCaches.text} keeps before it starts over. */
const MAX_CACHED_TEXTS = 512;

/** What the caches build from: the connector's model definitions and dialect hooks. */
export interface CacheSources {
  /** The connector's name, the key of its metadata in model and property definitions. */
  readonly connectorName: () => string;
  readonly definition: (model: string) => ModelDefinition | undefined;
  readonly escapeName: (name: string) => string;
  /** A converter for values read from a column, or undefined when the driver's value is already right. */
  readonly columnReader: (column: ColumnMapping) => ColumnReader | undefined;
}

/**
 * What a connector builds once per model and reuses on every call: model mappings, compiled row readers, SQL texts
 * that depend only on a model and a shape, and the texts of statements whose where is plain comparisons
 * (statement-shapes.ts). Everything of a model is forgotten when its definition changes (`define`,
 * `defineProperty`).
 */
export class ConnectorCaches {
  private readonly mappings = new Map<string, ModelMapping>();
  /** Readers of projections other than a model's full one, by model and property names. */
  private readonly readers = new Map<string, RowConverter>();
  /** The readers of each model's full projection, keyed by its column array (which lives as long as the mapping). */
  private readonly fullReaders = new WeakMap<readonly ColumnMapping[], RowConverter>();
  /** SQL texts that depend only on a model and a shape (see {@link text}). */
  private readonly texts = new Map<string, string>();
  /** Texts of statements whose where is a few plain comparisons, by shape. */
  readonly shapes = new ShapeCache();
  private readonly sources: CacheSources;

  constructor(sources: CacheSources) {
    this.sources = sources;
  }

  /** The mapping of a model, built once per definition. */
  mapping(model: string): ModelMapping {
    let mapping = this.mappings.get(model);
    if (!mapping) {
      const definition = this.sources.definition(model);
      if (!definition)
        throw new InvalidModelError(`Model ${model} is not defined on this data source`);
      const {connectorName, escapeName} = this.sources;
      mapping = buildModelMapping(model, definition, connectorName(), escapeName);
      this.mappings.set(model, mapping);
    }
    return mapping;
  }

  /** The compiled reader of a projection of `mapping`, built once per projection. */
  reader(mapping: ModelMapping, columns: readonly ColumnMapping[]): RowConverter {
    // The full projection (no `fields`) is looked up by its array; other projections by their property names.
    const key =
      columns === mapping.columns
        ? undefined
        : `${mapping.model}\0${columns.map((c) => c.property).join('\0')}`;
    let reader = key === undefined ? this.fullReaders.get(columns) : this.readers.get(key);
    if (!reader) {
      // The value converters of the projection (the columns that need one), compiled into one function.
      const converters: (readonly [string, ColumnReader])[] = [];
      for (const c of columns) {
        const read = this.sources.columnReader(c);
        if (read) converters.push([c.property, read]);
      }
      reader = compileRowConverter(converters);
      if (key === undefined) this.fullReaders.set(columns, reader);
      else this.readers.set(key, reader);
    }
    return reader;
  }

  /**
   * The SQL text of a statement whose text depends only on the model and `shape` (a column list, say), built by
   * `build` the first time and reused afterwards: single-row writes send the same few texts over and over, and
   * rebuilding them was a measurable share of each call. Bounded: past {@link MAX_CACHED_TEXTS} shapes the cache
   * starts over.
   */
  text(model: string, shape: string, build: () => string): string {
    const key = `${model}\0${shape}`;
    let text = this.texts.get(key);
    if (text === undefined) {
      text = build();
      if (this.texts.size >= MAX_CACHED_TEXTS) this.texts.clear();
      this.texts.set(key, text);
    }
    return text;
  }

  /** Forgets everything built for `model` (its definition changed). */
  forget(model: string): void {
    this.mappings.delete(model);
    for (const cache of [this.readers, this.texts])
      for (const key of cache.keys()) if (key.startsWith(`${model}\0`)) cache.delete(key);
    this.shapes.forget(model);
  }
}
