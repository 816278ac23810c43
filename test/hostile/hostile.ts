/* eslint-disable @typescript-eslint/no-explicit-any -- juggler is untyped here: data sources and errors are dynamic */
/*
 * What the hostile-server tests share: a data source on a fake server, a call settled with a deadline, the check
 * of a clear error, and a watch on the process for errors nobody handled.
 */
import assert from 'node:assert/strict';
import type {FakeMySqlServer} from '../helpers/fake-mysql-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {DataSource} = require('loopback-datasource-juggler');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const connector = require('../../src');

export const APP_USER = 'lbts_app';
export const APP_PASSWORD = 'Hostile-Pw-7f3a9c';
export const QUERY_TIMEOUT_MS = 1000;

/** A data source on the fake server, lazy: `connect()` or the first call connects. */
export function fakeDataSource(fake: FakeMySqlServer, settings: Record<string, unknown> = {}): any {
  const ds = new DataSource(connector, {
    host: fake.host,
    port: fake.port,
    user: APP_USER,
    password: APP_PASSWORD,
    database: 'lbts_fake',
    connectionLimit: 2,
    connectTimeout: 2000,
    acquireTimeout: 3000,
    queryTimeout: QUERY_TIMEOUT_MS,
    lazyConnect: true,
    ...settings,
  });
  ds.on('error', () => undefined);
  return ds;
}

export interface Settled {
  ok: boolean;
  value?: any;
  err?: any;
  ms: number;
}

/** How a call settled and how long it took; a call that does not settle within `capMs` is a failure of its own. */
export async function settle(promise: Promise<unknown>, capMs = 10000): Promise<Settled> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<Settled>((resolve) => {
    timer = setTimeout(
      () => resolve({ok: false, err: new Error(`did not settle within ${capMs} ms`), ms: capMs}),
      capMs,
    );
  });
  const result = await Promise.race([
    promise.then(
      (value): Settled => ({ok: true, value, ms: Date.now() - started}),
      (err: unknown): Settled => ({ok: false, err, ms: Date.now() - started}),
    ),
    cap,
  ]);
  clearTimeout(timer);
  return result;
}

/** A failure with an Error, a string `code` (one of `codes` when given) and a numeric 4xx/5xx `statusCode`. */
export function assertClearError(
  result: Settled,
  what: string,
  expected: {codes?: readonly string[]; statusCode?: number; withinMs?: number} = {},
): void {
  assert.equal(result.ok, false, `${what} succeeded: ${JSON.stringify(result.value)}`);
  assert.ok(result.err instanceof Error, `${what} failed with a non-Error: ${String(result.err)}`);
  const err = result.err as Error & {code?: string; statusCode?: number};
  assert.equal(typeof err.code, 'string', `${what}: no code: ${err.message}`);
  assert.ok(
    typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode <= 599,
    `${what}: statusCode ${err.statusCode} (${err.code}: ${err.message})`,
  );
  if (expected.codes) {
    assert.ok(
      expected.codes.includes(err.code ?? ''),
      `${what}: ${err.code} (${err.statusCode}: ${err.message}), expected ${expected.codes.join(' or ')}`,
    );
  }
  if (expected.statusCode !== undefined) {
    assert.equal(err.statusCode, expected.statusCode, `${what}: ${err.code}: ${err.message}`);
  }
  if (expected.withinMs !== undefined) {
    assert.ok(
      result.ms <= expected.withinMs,
      `${what} took ${result.ms} ms, over ${expected.withinMs}`,
    );
  }
}

/** Errors the process saw that nobody handled, from `start()` until `stop()`. */
export class ProcessWatch {
  readonly errors: string[] = [];
  private readonly onError = (err: unknown) =>
    this.errors.push(String((err as Error)?.stack ?? err));

  start(): void {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }

  stop(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }

  assertNone(): void {
    assert.deepEqual(this.errors, [], 'errors nobody handled reached the process');
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
