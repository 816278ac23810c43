import type {ColumnMapping, ModelMapping} from './model-mapping';
import {ParameterizedSQL} from './parameterized-sql';

/*
 * Statement shapes: most `where`s an application sends are a few properties compared with plain values (`{id: 7}`,
 * `{qty: {between: [1, 9]}, active: true}`), and their SQL text depends only on which properties, which operators
 * and how many values, never on the values themselves. For those, the text is built once per shape by the general
 * builders (where.ts, order-by.ts, the dialect's pagination) and reused with each call's converted values; every
 * other where goes through the general builders every time. A shape is trusted only after its first build gave
 * exactly the values this module computes, in the same order, so the two can never disagree on what is sent.
 */

/** The column types whose values convert without changing the SQL text (no JSON, arrays, geometry or buffers). */
const PLAIN_TYPES = new Set(['number', 'string', 'boolean', 'date']);

/** Operators whose SQL text depends only on the number of values (none of them null). */
const OPERATORS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'inq', 'nin']);

/** Shapes remembered per connector before the cache starts over. */
export const MAX_SHAPES = 512;

/** A where's shape (its key in the cache) and the converted values its text takes, in order. */
export interface WhereShape {
  readonly key: string;
  readonly params: unknown[];
}

function isScalar(v: unknown): boolean {
  const t = typeof v;
  return (
    t === 'string' ||
    t === 'boolean' ||
    (t === 'number' && Number.isFinite(v)) ||
    (v instanceof Date && !Number.isNaN(v.getTime()))
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The shape of `where` when every key is a property of a plain column compared with non-null scalars (directly or
 * through one of {@link OPERATORS}), with its values converted by `convert`; undefined for anything else, and when a
 * value does not convert to a plain driver value (the general builder then reports or handles it).
 */
export function whereShape(
  mapping: ModelMapping,
  where: unknown,
  convert: (column: ColumnMapping, value: unknown) => unknown,
): WhereShape | undefined {
  if (!isPlainObject(where)) return undefined;
  let key = '';
  const params: unknown[] = [];
  const push = (column: ColumnMapping, value: unknown): boolean => {
    if (!isScalar(value)) return false;
    let converted: unknown;
    try {
      converted = convert(column, value);
    } catch {
      return false;
    }
    if (
      converted instanceof ParameterizedSQL ||
      (converted !== null && typeof converted === 'object' && !(converted instanceof Date))
    )
      return false;
    params.push(converted);
    return true;
  };
  for (const property in where) {
    const column = mapping.byProperty.get(property);
    if (!column || !PLAIN_TYPES.has(column.type)) return undefined;
    const condition = where[property];
    if (isPlainObject(condition)) {
      let op: string | undefined;
      for (const k in condition) {
        if (op !== undefined || !OPERATORS.has(k)) return undefined;
        op = k;
      }
      if (op === undefined) return undefined;
      const value = condition[op];
      if (Array.isArray(value)) {
        if (op !== 'between' && op !== 'inq' && op !== 'nin') return undefined;
        if (value.length === 0 || (op === 'between' && value.length !== 2)) return undefined;
        for (const v of value) if (!push(column, v)) return undefined;
        key += `${property}\0${op}\0${value.length}\0`;
      } else {
        if (op === 'between' || op === 'inq' || op === 'nin' || !push(column, value))
          return undefined;
        key += `${property}\0${op}\0`;
      }
    } else {
      if (!push(column, condition)) return undefined;
      key += `${property}\0=\0`;
    }
  }
  return {key, params};
}

/** Whether two parameter lists hold the same values (Dates by their time). */
export function sameParams(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Object.is(x, y)) continue;
    if (x instanceof Date && y instanceof Date && x.getTime() === y.getTime()) continue;
    return false;
  }
  return true;
}

/** A statement made from a checked shape (see {@link isShaped}). */
class ShapedSQL extends ParameterizedSQL {}

/**
 * Whether `stmt` came from a checked shape: plain columns compared with plain values, nothing else (a dialect may run
 * such statements differently, e.g. prepared).
 */
export function isShaped(stmt: ParameterizedSQL): boolean {
  return stmt instanceof ShapedSQL;
}

/** What the cache keeps for a shape whose first build gave no statement (an empty where). */
const NOTHING = 'nothing';

/**
 * Statements by shape: the first build of a shape, checked (see the module's header), `null` for a shape whose values
 * did not match (always built), bounded by {@link MAX_SHAPES}. A hit is the cached statement with this call's values:
 * one allocation, no text built or scanned.
 */
export class ShapeCache {
  private readonly statements = new Map<string, ShapedSQL | typeof NOTHING | null>();

  /**
   * The statement of `key` with `params`: from the cached statement, or built by `build` (and checked, and
   * remembered) the first time.
   */
  statement(
    key: string,
    params: readonly unknown[],
    build: () => ParameterizedSQL | undefined,
  ): ParameterizedSQL | undefined {
    const cached = this.statements.get(key);
    if (cached === null) return build();
    if (cached !== undefined) return cached === NOTHING ? undefined : cached.withParams(params);
    const built = build();
    const same = sameParams(built?.params ?? [], params);
    if (this.statements.size >= MAX_SHAPES) this.statements.clear();
    if (!same) {
      this.statements.set(key, null);
      return built;
    }
    if (!built) {
      this.statements.set(key, NOTHING);
      return undefined;
    }
    const shaped = new ShapedSQL(built.sql, built.params);
    this.statements.set(key, shaped);
    return shaped;
  }

  /** Forgets the shapes of one model (its definition changed). */
  forget(model: string): void {
    for (const key of this.statements.keys())
      if (key.startsWith(`${model}\0`)) this.statements.delete(key);
  }
}
