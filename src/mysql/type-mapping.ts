import {escapeId} from './driver';
import {InvalidModelError, InvalidValueError} from '../sql-connector/errors';
import type {ColumnMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {ColumnReader} from '../sql-connector/sql-connector';
import {valueOutOfRangeError} from './errors';
import {MAX_TIMESTAMP_2038} from './server';

/*
 * Juggler types ⇄ MySQL columns, both ways:
 *
 * | juggler type                 | column (default)                | written as               | read back as        |
 * |------------------------------|---------------------------------|--------------------------|---------------------|
 * | String                       | VARCHAR(512), VARCHAR(255) if id/indexed | string          | string              |
 * | Number                       | INT; DECIMAL(p,s) with precision | number (or exact string) | number             |
 * | Boolean                      | TINYINT(1)                      | 1 / 0                    | boolean (also BIT(1), CHAR(1)) |
 * | Date                         | DATETIME(3)                     | Date (in `timezone`)     | Date                |
 * | Object, Array, Any, JSON     | TEXT (JSON with dataType json)  | JSON text                | parsed JSON         |
 * | Buffer                       | BLOB                            | Buffer                   | Buffer              |
 * | GeoPoint                     | POINT                           | POINT(lng, lat)          | {lat, lng}          |
 *
 * A Date the column cannot hold is refused before any statement is sent (see {@link toDate}).
 */

const JSON_TYPES = new Set(['object', 'array', 'any', 'json']);

/** The kind of a value, for error messages: never the value itself, which may be a secret. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function invalid(column: ColumnMapping, value: unknown): InvalidValueError {
  return new InvalidValueError(
    `Invalid value for ${column.property} (${column.type}): ${describe(value)}`,
  );
}

function isScalarObject(value: object): boolean {
  return value instanceof Date || Buffer.isBuffer(value);
}

/** An exact decimal in a string: kept as a string so BIGINT and DECIMAL values are not rounded through a double. */
const DECIMAL_TEXT = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * How mysql2 writes a Date, which decides the range checks: it sends the wall-clock time of its `timezone` setting
 * as text (`'2024-01-02 03:04:05.678'`), and the server keeps TIMESTAMPs up to `ServerInfo.maxTimestamp`.
 */
export interface DateSettings {
  /** The `timezone` as mysql2 applies it: `Z`, `local` or `+05:30`. */
  readonly timezone: string;
  /** Milliseconds from UTC to the written wall clock; undefined for `local`, where it varies with the date. */
  readonly shift: number | undefined;
  /** The latest TIMESTAMP, in ms since the epoch (UTC). */
  readonly maxTimestamp: number;
}

/** The {@link DateSettings} of a `timezone` setting, read as mysql2 reads it (anything it does not know is UTC). */
export function dateSettings(timezone: unknown, maxTimestamp = MAX_TIMESTAMP_2038): DateSettings {
  if (timezone === 'local') return {timezone, shift: undefined, maxTimestamp};
  const text = typeof timezone === 'string' ? timezone : '';
  const offset = /^[ +-](\d\d):(\d\d)$/.exec(text);
  if (!offset) return {timezone: 'Z', shift: 0, maxTimestamp};
  const sign = text.startsWith('-') ? '-' : '+';
  const minutes = Number(offset[1]) * 60 + Number(offset[2]);
  return {
    timezone: `${sign}${offset[1]}:${offset[2]}`,
    shift: (sign === '-' ? -minutes : minutes) * 60000,
    maxTimestamp,
  };
}

/** UTC, and TIMESTAMPs up to 2038: the settings of a connector that has not connected yet. */
export const DEFAULT_DATE_SETTINGS = dateSettings('Z');

/**
 * The value mysql2 sends for a property value. Objects never reach the driver where a scalar belongs (mysql2 would
 * turn `{a: 1}` into the SQL fragment `a = 1`): they are JSON for JSON-like properties and a 400 error otherwise.
 *
 * `write` is true for a value written to the column (INSERT, UPDATE): a Date must then fit the column's type (a 422
 * error otherwise); in a where, it only has to be a date the server can read (a 400 error otherwise).
 */
export function toColumnValue(
  column: ColumnMapping,
  value: unknown,
  dates: DateSettings = DEFAULT_DATE_SETTINGS,
  write = false,
): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
        return String(value);
      if (value instanceof Date) return toDate(column, value, dates, write);
      throw invalid(column, value);
    case 'number':
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw invalid(column, value);
        return value;
      }
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return value.trim();
      throw invalid(column, value);
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'number') {
        // NaN is no truth value: as 1 it would match (or delete) every true row.
        if (Number.isNaN(value)) throw invalid(column, value);
        return value !== 0 ? 1 : 0;
      }
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (v === 'true' || v === '1' || v === 'y' || v === 'yes') return 1;
        if (v === 'false' || v === '0' || v === 'n' || v === 'no' || v === '') return 0;
      }
      throw invalid(column, value);
    case 'date':
      return toDate(column, value, dates, write);
    case 'buffer':
      if (Buffer.isBuffer(value)) return value;
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      if (value instanceof Uint8Array) return Buffer.from(value);
      throw invalid(column, value);
    case 'geopoint':
      return toPoint(column, value);
    default:
      if (JSON_TYPES.has(column.type) || typeof value === 'object') {
        if (typeof value === 'object' && !isScalarObject(value)) return JSON.stringify(value);
      }
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(column, value);
        return value;
      }
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Date) return toDate(column, value, dates, write);
      if (Buffer.isBuffer(value)) return value;
      throw invalid(column, value);
  }
}

/** `1970-01-01 00:00:01` UTC: the first TIMESTAMP. */
const MIN_TIMESTAMP = 1000;

/** The temporal column types whose range a written Date is checked against; '' for any other column. */
type TemporalType = 'DATETIME' | 'DATE' | 'TIMESTAMP' | '';
const temporalTypes = new WeakMap<ColumnMapping, TemporalType>();

/** The column's temporal type, from `mysql.dataType`/`dataType` as {@link columnDataType} reads it (Date: DATETIME). */
export function temporalType(column: ColumnMapping): TemporalType {
  let type = temporalTypes.get(column);
  if (type === undefined) {
    const meta = column.metadata.dataType;
    const explicit = typeof meta === 'string' ? meta : column.definition.dataType;
    if (typeof explicit === 'string') {
      const name = /^\s*([a-z]+)/i.exec(explicit)?.[1]?.toUpperCase();
      type = name === 'DATETIME' || name === 'DATE' || name === 'TIMESTAMP' ? name : '';
    } else {
      type = column.type === 'date' ? 'DATETIME' : '';
    }
    temporalTypes.set(column, type);
  }
  return type;
}

/**
 * A Date for mysql2, which writes it as the wall clock of the `timezone` setting. A Date inside TIMESTAMP's range
 * (the narrowest) fits every column: two comparisons. Any other Date must have a year mysql2 writes with 4 digits,
 * 0000 to 9999 (MySQL rejects a year-10000 literal in a where, MariaDB compares it wrongly): a 400 error in a where.
 * A written Date must also fit the column, or it is a 422 error:
 *
 * - DATETIME and DATE: years 1000 to 9999 of the wall clock;
 * - TIMESTAMP: `1970-01-01 00:00:01` UTC to {@link DateSettings.maxTimestamp}, of the instant (the server converts
 *   the wall clock back from its session time zone, the zone of `timezone` when the stored values are right).
 *
 * A where may compare a column with any date of years 0000 to 9999 (`{createdAt: {gt: new Date(0)}}` on a
 * TIMESTAMP, `{born: {gt: new Date('0500-01-01')}}`): the servers compare those right, with or without an index.
 */
function toDate(column: ColumnMapping, value: unknown, dates: DateSettings, write: boolean): Date {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string' || typeof value === 'number') date = new Date(value);
  else throw invalid(column, value);
  const time = date.getTime();
  if (time >= MIN_TIMESTAMP && time <= MAX_TIMESTAMP_2038) return date;
  if (Number.isNaN(time)) throw invalid(column, value);
  checkDateRange(column, date, dates, write);
  return date;
}

function checkDateRange(
  column: ColumnMapping,
  date: Date,
  dates: DateSettings,
  write: boolean,
): void {
  const time = date.getTime();
  const type = write ? temporalType(column) : '';
  if (type === 'TIMESTAMP') {
    if (time >= MIN_TIMESTAMP && time <= dates.maxTimestamp) return;
    const max = new Date(dates.maxTimestamp).toISOString().slice(0, 19).replace('T', ' ');
    throw valueOutOfRangeError(
      `Invalid value for ${column.property}: a date outside the range of its TIMESTAMP column, ` +
        `'1970-01-01 00:00:01' to '${max}.999999' UTC`,
    );
  }
  // The year mysql2 writes (NaN past the end of JS dates, where it writes NaN-NaN-NaN). DATETIME and DATE hold
  // whole years, so the year decides. For `local`, getFullYear() as mysql2 calls it: getTimezoneOffset() drops the
  // seconds of old local mean times (Kathmandu's +05:41:16).
  const year =
    dates.shift === undefined ? date.getFullYear() : new Date(time + dates.shift).getUTCFullYear();
  const zone = dates.shift === 0 ? 'UTC' : `timezone ${dates.timezone}`;
  if (type === '') {
    if (year >= 0 && year <= 9999) return;
    const message = `Invalid value for ${column.property} (${column.type}): a date outside the years 0000 to 9999 (in ${zone})`;
    throw write ? valueOutOfRangeError(message) : new InvalidValueError(message);
  }
  if (year >= 1000 && year <= 9999) return;
  const range =
    type === 'DATE'
      ? `'1000-01-01' to '9999-12-31'`
      : `'1000-01-01 00:00:00' to '9999-12-31 23:59:59.999999'`;
  throw valueOutOfRangeError(
    `Invalid value for ${column.property}: a date outside the range of its ${type} column, ${range} (in ${zone})`,
  );
}

function toPoint(column: ColumnMapping, value: unknown): ParameterizedSQL {
  if (typeof value === 'object' && value !== null) {
    const {lat, lng} = value as {lat?: unknown; lng?: unknown};
    const la = Number(lat);
    const ln = Number(lng);
    if (
      lat !== null &&
      lng !== null &&
      lat !== undefined &&
      lng !== undefined &&
      Number.isFinite(la) &&
      Number.isFinite(ln)
    ) {
      return new ParameterizedSQL('POINT(?,?)', [ln, la]);
    }
  }
  throw invalid(column, value);
}

function parseJson(value: unknown): unknown {
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Custom types (embedded models, enums...): JSON objects and arrays are parsed, other text is kept. */
const readJsonContainer: ColumnReader = (v) => {
  const text = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return typeof text === 'string' && /^\s*[[{]/.test(text) ? parseJson(text) : text;
};

const readBoolean: ColumnReader = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (Buffer.isBuffer(v)) return v.some((b) => b !== 0);
  if (typeof v === 'string') return ['1', 'y', 'yes', 't', 'true'].includes(v.toLowerCase());
  return Boolean(v);
};
const readNumber: ColumnReader = (v) => (typeof v === 'number' ? v : Number(v));
const readString: ColumnReader = (v) => {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v;
  return String(v);
};
const readDate: ColumnReader = (v) => (v instanceof Date && Number.isNaN(v.getTime()) ? null : v);
const readPoint: ColumnReader = (v) => {
  if (v && typeof v === 'object' && 'x' in v && 'y' in v) {
    const {x, y} = v as {x: number; y: number};
    return {lat: y, lng: x};
  }
  return v;
};
const readBuffer: ColumnReader = (v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

/** The converter for one column's values, chosen once per model (undefined when the driver's value is right). */
export function columnReader(column: ColumnMapping): ColumnReader | undefined {
  switch (column.type) {
    case 'boolean':
      return readBoolean;
    case 'number':
      return readNumber;
    case 'string':
      return readString;
    case 'date':
      return readDate;
    case 'geopoint':
      return readPoint;
    case 'buffer':
      return readBuffer;
    default:
      return JSON_TYPES.has(column.type) ? parseJson : readJsonContainer;
  }
}

/** Column types named in model metadata go into DDL: only well-formed type expressions are accepted. */
const DATA_TYPE = /^[a-z][a-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?( unsigned)?( zerofill)?$/i;

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function isIndexed(column: ColumnMapping): boolean {
  return !!column.definition.id || !!column.definition.index;
}

/** The column type of a property for CREATE TABLE, e.g. `VARCHAR(255)`, `DECIMAL(10,2)`, `DATETIME(3)`. */
export function columnDataType(column: ColumnMapping): string {
  const def = column.definition;
  const meta = column.metadata;
  const explicit =
    typeof meta.dataType === 'string'
      ? meta.dataType
      : typeof def.dataType === 'string'
        ? def.dataType
        : undefined;
  const unsigned = meta.unsigned === true || def.unsigned === true ? ' UNSIGNED' : '';
  if (explicit !== undefined) {
    if (!DATA_TYPE.test(explicit.trim())) {
      throw new InvalidModelError(`Invalid dataType "${explicit}" for property ${column.property}`);
    }
    const type = explicit.trim().toUpperCase();
    if (type.includes('(')) return type + unsigned;
    const length = positiveInt(meta.dataLength) ?? positiveInt(def.length);
    const precision =
      positiveInt(meta.dataPrecision) ?? positiveInt(meta.precision) ?? positiveInt(def.precision);
    const scale = positiveInt(meta.dataScale) ?? positiveInt(meta.scale) ?? positiveInt(def.scale);
    if (/^(DECIMAL|NUMERIC|DEC|FIXED|FLOAT|DOUBLE|REAL)$/.test(type) && precision !== undefined) {
      return `${type}(${precision},${scale ?? 0})${unsigned}`;
    }
    if (/^(DATETIME|TIMESTAMP|TIME)$/.test(type)) {
      return precision === undefined ? `${type}(3)` : `${type}(${precision})`;
    }
    if (/CHAR|BINARY|^BIT$/.test(type) && length !== undefined) return `${type}(${length})`;
    if (type === 'VARCHAR' || type === 'VARBINARY')
      return `${type}(${isIndexed(column) ? 255 : 512})`;
    return type + unsigned;
  }
  switch (column.type) {
    case 'string': {
      const length =
        positiveInt(meta.dataLength) ?? positiveInt(def.length) ?? positiveInt(def.limit);
      return `VARCHAR(${length ?? (isIndexed(column) ? 255 : 512)})`;
    }
    case 'number': {
      const precision =
        positiveInt(meta.dataPrecision) ??
        positiveInt(meta.precision) ??
        positiveInt(def.precision);
      const scale =
        positiveInt(meta.dataScale) ?? positiveInt(meta.scale) ?? positiveInt(def.scale);
      if (precision !== undefined) return `DECIMAL(${precision},${scale ?? 0})${unsigned}`;
      return `INT${unsigned}`;
    }
    case 'boolean':
      return 'TINYINT(1)';
    case 'date': {
      const precision =
        positiveInt(meta.dataPrecision) ??
        positiveInt(meta.precision) ??
        positiveInt(def.precision);
      return `DATETIME(${Math.min(precision ?? 3, 6)})`;
    }
    case 'buffer':
      return 'BLOB';
    case 'geopoint':
      return 'POINT';
    case 'json':
      return 'JSON';
    default:
      return 'TEXT';
  }
}

/** Escapes an identifier with backticks. Pure: no pool needed. */
export function escapeName(name: string): string {
  return escapeId(name, true);
}
