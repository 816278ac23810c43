/*
 * The narrow structural types this package needs from loopback-datasource-juggler. Declaring only what we use keeps the
 * connector free of a runtime dependency on juggler and documents exactly which parts of it we rely on.
 */

/** Per-connector metadata on a model or property, under the connector's name: `{table: 'people'}`, `{columnName: 'FIRST'}`. */
export interface ConnectorMetadata {
  [key: string]: unknown;
  table?: string;
  tableName?: string;
  schema?: string;
  schemaName?: string;
  column?: string;
  columnName?: string;
  dataType?: string;
  dataLength?: number;
  dataPrecision?: number;
  dataScale?: number;
  nullable?: string | boolean;
}

/** A juggler type: a constructor (`String`, `Number`, `Date`, a model class...) or a type name. */
export type JugglerType =
  string | ((...args: never[]) => unknown) | readonly unknown[] | {name?: string};

/** A property definition as juggler hands it to `define()`. */
export interface PropertyDefinition {
  [key: string]: unknown;
  type?: JugglerType;
  id?: boolean | number;
  generated?: boolean;
  required?: boolean;
  length?: number;
  precision?: number;
  scale?: number;
  index?: boolean | {unique?: boolean; kind?: string; type?: string};
  default?: unknown;
  dataType?: string;
}

/** Model settings as juggler hands them to `define()`. */
export interface ModelSettings {
  [key: string]: unknown;
  indexes?: Record<string, unknown>;
  foreignKeys?: Record<string, unknown>;
  strict?: boolean | string;
}

/** The model class juggler builds; we only call `include` on it. */
export interface ModelClassLike {
  modelName?: string;
  include?: (
    instances: Record<string, unknown>[],
    include: unknown,
    options: Options,
    cb: (err: Error | null | undefined, result?: unknown) => void,
  ) => void;
}

/** What juggler passes to `connector.define()`. */
export interface ModelDefinition {
  model: ModelClassLike;
  properties: Record<string, PropertyDefinition>;
  settings: ModelSettings;
}

/** A juggler `where` object after normalization. */
export type Where = Record<string, unknown>;

/** A juggler filter after normalization (see the contract, 4.6). */
export interface Filter {
  where?: Where;
  order?: string | string[];
  limit?: number;
  skip?: number;
  offset?: number;
  fields?: string[] | Record<string, boolean>;
  include?: unknown;
}

/** A loopback-connector `Transaction` as it travels in `options.transaction`. */
export interface TransactionLike {
  connector?: unknown;
  connection?: unknown;
  id?: string;
}

/** The options object juggler passes to every connector call. */
export interface Options {
  [key: string]: unknown;
  transaction?: TransactionLike;
}

/** Plain model data keyed by property name. */
export type ModelData = Record<string, unknown>;

/** The parts of a juggler `DataSource` the connector uses. */
export interface DataSourceLike {
  settings?: Record<string, unknown>;
  connector?: unknown;
  driver?: unknown;
  connected?: boolean;
}

/** The observer methods juggler mixes into the connector in `DataSource._setupConnector`. */
export interface ObserverMixin {
  notifyObserversAround(
    operation: string,
    context: object,
    work: (context: object, done: (err?: Error | null, context?: object) => void) => void,
    cb: (err: Error | null | undefined, context?: object) => void,
  ): void;
}
