import {escapeId} from 'mysql2';
import {InvalidModelError, InvalidValueError} from '../sql-connector/errors';
import type {ColumnMapping} from '../sql-connector/model-mapping';
import {ParameterizedSQL} from '../sql-connector/parameterized-sql';
import type {ColumnReader} from '../sql-connector/sql-connector';

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
 * The value mysql2 sends for a property value. Objects never reach the driver where a scalar belongs (mysql2 would
 * turn `{a: 1}` into the SQL fragment `a = 1`): they are JSON for JSON-like properties and a 400 error otherwise.
 */
export function toColumnValue(column: ColumnMapping, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
        return String(value);
      if (value instanceof Date) return toDate(column, value);
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
      return toDate(column, value);
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
      if (value instanceof Date) return toDate(column, value);
      if (Buffer.isBuffer(value)) return value;
      throw invalid(column, value);
  }
}

function toDate(column: ColumnMapping, value: unknown): Date {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string' || typeof value === 'number') date = new Date(value);
  else throw invalid(column, value);
  if (Number.isNaN(date.getTime())) throw invalid(column, value);
  return date;
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
