import {
  InvalidValueError,
  ParameterizedSQL,
  SqlConnector,
  type ColumnMapping,
  type ColumnReader,
  type JsonStep,
  type ModelMapping,
  type ModelSettings,
  type Options,
  type PropertyDefinition,
  type WhereDialect,
} from '../../src/sql-connector';
import type {FieldList} from '../../src/sql-connector/fields';
import type {Page} from '../../src/sql-connector/pagination';

/** What the fake driver answers to a statement. */
export interface FakeResult {
  rows?: Record<string, unknown>[];
  /** Rows inserted, updated or deleted. */
  rowCount?: number;
  /** The first generated id of an INSERT; a multi-row INSERT generates consecutive ids from it. */
  insertId?: number;
  /** For an upsert: whether the row was inserted (rather than updated). */
  inserted?: boolean;
}

/** One statement as the fake driver received it. */
export interface RecordedStatement {
  sql: string;
  params: readonly unknown[];
}

const JSON_TYPES = new Set(['object', 'array', 'any', 'json']);

function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A second, fake SQL dialect (PostgreSQL-flavoured): double-quoted names, `$n` placeholders, `ON CONFLICT` upserts,
 * no JSON functions and no dialect operators. It proves that the base class is dialect-neutral: everything it
 * builds goes through these hooks. No driver: statements are recorded in `statements` and answered by `respond`.
 */
export class FakeSqlConnector extends SqlConnector {
  readonly name = 'fake';
  /** No dialect operators and no JSON functions. */
  protected readonly whereDialect: WhereDialect = {};
  /** Every statement sent to the "driver", in order. */
  readonly statements: RecordedStatement[] = [];
  /** The canned answer to a statement; tests replace it. */
  respond: (sql: string, params: readonly unknown[]) => FakeResult = () => ({
    rows: [],
    rowCount: 0,
  });

  constructor(settings: Readonly<Record<string, unknown>> = {}) {
    super(settings);
  }

  escapeName(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  toColumnValue(column: ColumnMapping, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime()))
        throw new InvalidValueError(`Invalid value for ${column.property}: an invalid date`);
      return value.toISOString();
    }
    if (JSON_TYPES.has(column.type)) {
      return typeof value === 'object' ? JSON.stringify(value) : value;
    }
    if (isPlainObject(value) || Array.isArray(value)) {
      throw new InvalidValueError(
        `Invalid value for ${column.property} (${column.type}): an object`,
      );
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidValueError(
        `Invalid value for ${column.property} (${column.type}): not finite`,
      );
    }
    return value;
  }

  protected columnReader(_column: ColumnMapping): ColumnReader | undefined {
    return undefined;
  }

  /** Public here so tests can see the statement as the driver would. */
  override render(stmt: ParameterizedSQL): {sql: string; params: readonly unknown[]} {
    let n = 0;
    return {sql: stmt.sql.replace(/\?/g, () => `$${++n}`), params: stmt.params};
  }

  protected executeSQL(
    sql: string,
    params: readonly unknown[],
    _options: Options,
  ): Promise<unknown> {
    this.statements.push({sql, params});
    return Promise.resolve(this.respond(sql, params));
  }

  protected getInsertedId(result: unknown): unknown {
    return (result as FakeResult).insertId;
  }

  protected getInsertedIds(result: unknown, count: number): unknown[] | undefined {
    const first = (result as FakeResult).insertId;
    if (first === undefined) return undefined;
    return Array.from({length: count}, (_, i) => first + i);
  }

  protected getAffectedCount(result: unknown): number {
    return (result as FakeResult).rowCount ?? 0;
  }

  protected getRows(result: unknown): Record<string, unknown>[] {
    return (result as FakeResult).rows ?? [];
  }

  /** `ON CONFLICT` on the id; the fake driver's `inserted` says whether the row was new (`RETURNING` in PostgreSQL). */
  protected async upsertRow(
    mapping: ModelMapping,
    _id: unknown,
    fields: FieldList,
    _mode: 'patch' | 'replace',
    options: Options,
  ): Promise<boolean> {
    const insert = this.buildInsertRows(mapping, fields.columns, [fields.values]);
    const conflict = `ON CONFLICT (${mapping.ids.map((c) => c.escaped).join(',')})`;
    const assignments = fields.columns
      .filter((c) => !c.definition.id)
      .map((c) => `${c.escaped}=EXCLUDED.${c.escaped}`);
    const stmt = insert.append(
      conflict,
      assignments.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${assignments.join(',')}`,
    );
    const result = (await this.run(stmt, options)) as FakeResult;
    return result.inserted === true;
  }

  /** `LIMIT ? OFFSET ?`, with PostgreSQL's `LIMIT ALL` for an offset alone. */
  protected applyPagination(stmt: ParameterizedSQL, page: Page): ParameterizedSQL {
    if (page.limit === undefined && page.offset === undefined) return stmt;
    const limit = page.limit === undefined ? 'ALL' : ParameterizedSQL.value(page.limit);
    return page.offset === undefined
      ? stmt.append('LIMIT', limit)
      : stmt.append('LIMIT', limit, 'OFFSET', ParameterizedSQL.value(page.offset));
  }

  protected withLock<T>(
    _key: string,
    options: Options,
    work: (options: Options) => Promise<T>,
  ): Promise<T> {
    return work(options);
  }
}

/**
 * The fake dialect with PostgreSQL-flavoured JSON functions: `#>>` reads a plain path, `jsonb_path_query` the values of
 * a path through arrays. It shows what the base hands a dialect for nested paths: names and steps, never SQL.
 */
export class FakeJsonSqlConnector extends FakeSqlConnector {
  protected override readonly whereDialect: WhereDialect = {
    buildJsonPath(column: ColumnMapping, path: readonly string[]): ParameterizedSQL {
      return new ParameterizedSQL(`(${column.escaped} #>> ?)`, [path]);
    },

    buildSomeElement(
      column: ColumnMapping,
      steps: readonly JsonStep[],
      test: (value: ParameterizedSQL) => ParameterizedSQL,
    ): ParameterizedSQL {
      const path = steps
        .map((s) =>
          s.kind === 'each'
            ? '[*]'
            : s.kind === 'index'
              ? `[${s.index}]`
              : `.${JSON.stringify(s.name)}`,
        )
        .join('');
      return ParameterizedSQL.join(
        [
          new ParameterizedSQL(
            `EXISTS (SELECT 1 FROM jsonb_path_query(${column.escaped},?) AS "e"("v") WHERE `,
            [`$${path}`],
          ),
          test(new ParameterizedSQL(`("e"."v" #>> '{}')`)),
          ')',
        ],
        '',
      );
    },
  };
}

/** Registers a model on a connector the way juggler does. */
export function defineModel(
  connector: SqlConnector,
  name: string,
  properties: Record<string, PropertyDefinition>,
  settings?: ModelSettings,
): void {
  connector.define({model: {modelName: name}, properties, settings: settings ?? {}});
}
