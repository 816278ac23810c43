import assert from 'node:assert';

/** The placeholder every builder writes; a dialect may renumber it when it renders (see `SqlConnector.render`). */
export const PLACEHOLDER = '?';

function countPlaceholders(sql: string): number {
  let count = 0;
  for (let i = sql.indexOf(PLACEHOLDER); i !== -1; i = sql.indexOf(PLACEHOLDER, i + 1)) count++;
  return count;
}

/** Passed by join() to the constructor: the placeholders were counted already. Not exported, so nobody else can. */
const CHECKED: unique symbol = Symbol('counted');

function checkCount(placeholders: number, params: number): void {
  assert.strictEqual(
    placeholders,
    params,
    `ParameterizedSQL: ${placeholders} placeholders but ${params} parameters`,
  );
}

/** Anything that can be joined into a statement: a plain SQL fragment (no values) or a parameterized one. */
export type SqlFragment = string | ParameterizedSQL;

/**
 * An immutable SQL text with its positional parameters.
 *
 * Values never enter the text: every value is a `?` in `sql` and an entry in `params`, and the constructor checks
 * that the two agree. `append` and `join` return new values; there is deliberately no mutating `merge`.
 *
 * ```ts
 * const where = new ParameterizedSQL('"age" > ?', [18]);
 * const stmt = new ParameterizedSQL('SELECT * FROM "person"').append('WHERE', where);
 * // stmt.sql === 'SELECT * FROM "person" WHERE "age" > ?', stmt.params === [18]
 * ```
 */
export class ParameterizedSQL {
  readonly sql: string;
  readonly params: readonly unknown[];

  constructor(sql: string, params: readonly unknown[] = [], checked?: typeof CHECKED) {
    // join() has counted already (see there); everyone else's text is counted here.
    if (checked !== CHECKED) checkCount(countPlaceholders(sql), params.length);
    this.sql = sql;
    this.params = params;
  }

  /** A fragment holding one value. */
  static value(value: unknown): ParameterizedSQL {
    return new ParameterizedSQL(PLACEHOLDER, [value]);
  }

  /** Joins fragments with a separator, skipping empty ones. */
  static join(fragments: readonly SqlFragment[], separator = ' '): ParameterizedSQL {
    const texts: string[] = [];
    const params: unknown[] = [];
    // Each ParameterizedSQL fragment was counted when it was made: only the plain strings (and the separator) are
    // counted here, instead of the whole joined text again at every level of a nested where.
    let placeholders = 0;
    for (const fragment of fragments) {
      if (typeof fragment === 'string') {
        if (fragment !== '') {
          texts.push(fragment);
          placeholders += countPlaceholders(fragment);
        }
      } else if (fragment.sql !== '') {
        texts.push(fragment.sql);
        for (const p of fragment.params) params.push(p);
        placeholders += fragment.params.length;
      }
    }
    if (texts.length > 1) placeholders += countPlaceholders(separator) * (texts.length - 1);
    checkCount(placeholders, params.length);
    return new ParameterizedSQL(texts.join(separator), params, CHECKED);
  }

  /**
   * The same text with other values, as many as this statement has: a text checked once (a cached shape) is not
   * scanned for placeholders again. The copy is of this statement's class.
   */
  withParams(params: readonly unknown[]): this {
    checkCount(this.params.length, params.length);
    const Same = this.constructor as new (
      sql: string,
      params: readonly unknown[],
      checked: typeof CHECKED,
    ) => this;
    return new Same(this.sql, params, CHECKED);
  }

  /** True when the fragment holds no SQL at all. */
  get isEmpty(): boolean {
    return this.sql === '';
  }

  /** A new statement: this one followed by the fragments, separated by spaces (empty fragments are skipped). */
  append(...fragments: SqlFragment[]): ParameterizedSQL {
    return ParameterizedSQL.join([this, ...fragments], ' ');
  }

  /** The same fragment inside parentheses. */
  parenthesized(): ParameterizedSQL {
    return this.isEmpty ? this : new ParameterizedSQL(`(${this.sql})`, this.params);
  }
}
