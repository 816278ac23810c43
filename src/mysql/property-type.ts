/*
 * The reverse type map of discovery: the LoopBack type of a column, from its DATA_TYPE and COLUMN_TYPE, with the
 * treat* options of the official connector for the one-bit-ish types, and the juggler registry where the ENUM type
 * names are made aliases of String. The forward map (model -> column) is type-mapping.ts.
 */

/** How the reverse type map treats the one-bit-ish column types, as the official connector's options say. */
export interface TreatOptions {
  /** `true` (default): TINYINT(1) is a Number; `false`: a Boolean. */
  readonly treatTINYINT1AsTinyInt: boolean;
  /** `false` (default): CHAR(1) is a Boolean ('Y'/'N', 'T'/'F', '1'/'0'); `true`: a String. */
  readonly treatCHAR1AsString: boolean;
  /** `true` (default): BIT(1) is a Buffer, as every BIT(n); `false`: a Boolean. */
  readonly treatBIT1AsBit: boolean;
}

export const DEFAULT_TREAT_OPTIONS: TreatOptions = {
  treatTINYINT1AsTinyInt: true,
  treatCHAR1AsString: false,
  treatBIT1AsBit: true,
};

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 1 || value === '1') return true;
  if (value === 'false' || value === 0 || value === '0') return false;
  return undefined;
}

/** The treat* options: the call's options win over the data source settings, which win over the defaults. */
export function resolveTreatOptions(
  options: Readonly<Record<string, unknown>> | undefined,
  settings: Readonly<Record<string, unknown>> | undefined,
): TreatOptions {
  const pick = (key: keyof TreatOptions): boolean =>
    flag(options?.[key]) ?? flag(settings?.[key]) ?? DEFAULT_TREAT_OPTIONS[key];
  return {
    treatTINYINT1AsTinyInt: pick('treatTINYINT1AsTinyInt'),
    treatCHAR1AsString: pick('treatCHAR1AsString'),
    treatBIT1AsBit: pick('treatBIT1AsBit'),
  };
}

const NUMBER_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'float',
  'double',
  'real',
  'decimal',
  'numeric',
  'dec',
  'fixed',
  'year',
]);
const STRING_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'set',
  'time',
]);
const BUFFER_TYPES = new Set([
  'binary',
  'varbinary',
  'tinyblob',
  'blob',
  'mediumblob',
  'longblob',
  'bit',
]);
const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);
const GEOMETRY_TYPES = new Set([
  'geometry',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

/**
 * The LoopBack type of a column (the reverse of the type map of type-mapping.ts).
 *
 * | column                          | type                                                   |
 * |---------------------------------|--------------------------------------------------------|
 * | CHAR(1)                         | Boolean; String with `treatCHAR1AsString`              |
 * | TINYINT(1)                      | Number; Boolean with `treatTINYINT1AsTinyInt: false`   |
 * | BIT(1)                          | Buffer; Boolean with `treatBIT1AsBit: false`           |
 * | other integers, FLOAT, DOUBLE, DECIMAL, YEAR | Number (BIGINT and wide DECIMAL keep their precision and scale in dataPrecision / dataScale) |
 * | ENUM('a','b')                   | `enum('a','b')`: the column type, keyword in lower case |
 * | CHAR, VARCHAR, TEXT, SET, TIME  | String                                                 |
 * | DATE, DATETIME, TIMESTAMP       | Date                                                   |
 * | BINARY, VARBINARY, BLOB, BIT(n) | Buffer                                                 |
 * | JSON (MariaDB: LONGTEXT with json_valid) | Object                                        |
 * | POINT                           | GeoPoint                                               |
 * | other geometries                | Object                                                 |
 * | anything else                   | String                                                 |
 *
 * The ENUM type is what `lb4 discover` (@loopback/cli) looks for: a type starting with `enum` becomes
 * `type: 'string'` with `jsonSchema: {enum: ['a', 'b']}`, which LoopBack's request validation enforces. Juggler knows
 * the name once discovery's `discoverModelProperties` has registered it (see {@link ValueTypeRegistry}).
 */
export function propertyType(
  dataType: string,
  columnType: string,
  treat: TreatOptions = DEFAULT_TREAT_OPTIONS,
): string {
  const type = dataType.toLowerCase();
  const full = columnType.toLowerCase().trim();
  if (type === 'char' && full === 'char(1)' && !treat.treatCHAR1AsString) return 'Boolean';
  if (type === 'tinyint' && /^tinyint\(1\)/.test(full) && !treat.treatTINYINT1AsTinyInt)
    return 'Boolean';
  if (type === 'bit' && full === 'bit(1)' && !treat.treatBIT1AsBit) return 'Boolean';
  if (type === 'bool' || type === 'boolean') return 'Boolean';
  if (type === 'enum') return enumType(columnType);
  if (NUMBER_TYPES.has(type)) return 'Number';
  if (STRING_TYPES.has(type)) return 'String';
  if (BUFFER_TYPES.has(type)) return 'Buffer';
  if (DATE_TYPES.has(type)) return 'Date';
  if (type === 'json') return 'Object';
  if (type === 'point') return 'GeoPoint';
  if (GEOMETRY_TYPES.has(type)) return 'Object';
  return 'String';
}

/**
 * The discovered type of an ENUM column: its column type with the keyword in lower case and the member list as the
 * server wrote it, `enum('active','suspended')`. The lower-case `enum` prefix is what lb4 discover tests for.
 */
function enumType(columnType: string): string {
  const full = columnType.trim();
  return /^enum\(/i.test(full) ? 'enum' + full.slice(4) : 'String';
}

/** Whether a discovered type is the type of an ENUM column (see {@link propertyType}). */
export function isEnumType(type: string): boolean {
  return type.startsWith('enum(');
}

/**
 * Juggler's registry of value types, as its ModelBuilder offers it (`defineValueType(type, aliases)`): a type name
 * registered there resolves to that type in every model juggler builds. ENUM columns are discovered with the type
 * `enum('a','b')`; registering each such name as an alias of String is what lets juggler's `discoverAndBuildModels`
 * (and `buildModels` of discovered schemas) build a string property, where an unknown type name would become a
 * placeholder model that fails on the first value.
 */
export interface ValueTypeRegistry {
  defineValueType(type: unknown, aliases: string[]): void;
}

/** The value type registry of a juggler data source (its `modelBuilder`), or undefined when it has none. */
export function valueTypeRegistry(dataSource: unknown): ValueTypeRegistry | undefined {
  if (typeof dataSource !== 'object' || dataSource === null) return undefined;
  const builder = (dataSource as {modelBuilder?: unknown}).modelBuilder;
  if (typeof builder !== 'object' || builder === null) return undefined;
  return typeof (builder as Partial<ValueTypeRegistry>).defineValueType === 'function'
    ? (builder as ValueTypeRegistry)
    : undefined;
}
