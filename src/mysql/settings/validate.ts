import {SqlConnectorError} from '../../sql-connector/errors';
import {isSettingName, SETTING_NAMES, specOf, type SettingName} from './table';
import type {MySqlSettings, SettingSpec, ValueKind} from './types';

/** The error of a setting that cannot work (500: the data source is misconfigured, not the request). */
export function invalidSetting(message: string): SqlConnectorError {
  return new SqlConnectorError(message, {code: 'INVALID_SETTING', statusCode: 500});
}

/**
 * Checks each known setting against the kinds of value its row of the settings table takes, and its closed set of
 * strings if it has one; throws an `INVALID_SETTING` error (500) that names the setting, what it got and what it
 * takes. `undefined` and `null` are "not set"; a number may be a string of digits (`"3306"`), and an empty string
 * is a number not set (an unset environment variable). The values of `password` and `url` are never shown. Values
 * from the query of `url` (`fromUrl`, as `parseUrl` converts them) are all text: a number must convert, and a
 * closed set must hold the string. Unknown names are left to {@link findUnknownSettings}.
 */
export function validateSettings(
  input: Readonly<MySqlSettings>,
  fromUrl: Readonly<MySqlSettings> = {},
): void {
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null || !isSettingName(key)) continue;
    const problem = checkValue(specOf(key).spec, value);
    if (problem !== undefined) throw invalidSetting(invalidMessage(key, value, problem, false));
  }
  for (const [key, value] of Object.entries(fromUrl)) {
    if (!isSettingName(key)) continue;
    const {spec} = specOf(key);
    // Text kept as it is goes to a setting that takes text or is read leniently (dateStrings=DATE); only a closed
    // set of strings is checked. Converted values are checked as given at the top level.
    const problem =
      typeof value !== 'string'
        ? checkValue(spec, value)
        : spec.query === 'number'
          ? 'expected a number'
          : checkClosedSet(spec, value);
    if (problem !== undefined) throw invalidSetting(invalidMessage(key, value, problem, true));
  }
}

/** What is wrong with a value of a setting (the "expected ..." part of the message), if anything. */
function checkValue(spec: SettingSpec, value: unknown): string | undefined {
  if (!spec.type.some((kind) => isKind(kind, value))) return `expected ${kindsText(spec.type)}`;
  return typeof value === 'string' ? checkClosedSet(spec, value) : undefined;
}

function checkClosedSet(spec: SettingSpec, value: string): string | undefined {
  if (spec.values === undefined) return undefined;
  const fold = (v: string) => (spec.ignoreCase === true ? v.toUpperCase() : v);
  if (spec.values.some((allowed) => fold(allowed) === fold(value))) return undefined;
  const quoted = spec.values.map((v) => `'${v}'`);
  return `expected ${orList(quoted)}`;
}

function isKind(kind: ValueKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      if (typeof value === 'string') return value.trim() === '' || Number.isFinite(Number(value));
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'function':
      return typeof value === 'function';
    case 'servers':
      // Read, and checked entry by entry, by resolveSettings (a TypeError for anything but a list).
      return true;
  }
}

const KIND_TEXT: Readonly<Record<ValueKind, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  function: 'a function',
  servers: 'a list of servers',
};

function kindsText(kinds: readonly ValueKind[]): string {
  return orList(kinds.map((kind) => KIND_TEXT[kind]));
}

function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** `Invalid connectionLimit "ten": expected a number`; a secret value shows only its kind. */
function invalidMessage(key: SettingName, value: unknown, problem: string, inUrl: boolean): string {
  const {spec} = specOf(key);
  let shown: string;
  if (spec.secret === true || (typeof value === 'object' && value !== null)) {
    shown = ` (${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`})`;
  } else if (typeof value === 'string') {
    shown = ` ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value)}`;
  } else {
    shown = ` ${String(value)}`;
  }
  const where = inUrl ? ' (in the query of "url")' : '';
  return `Invalid ${key}${shown}${where}: ${problem}`;
}

/** A top-level setting that neither the connector, mysql2's accepted options nor juggler know: it has no effect. */
export interface UnknownSetting {
  readonly key: string;
  /** The known setting it is most likely a misspelling of, if one is close enough. */
  readonly suggestion: string | undefined;
  /** Whether it came from the query string of `url`. */
  readonly inUrl: boolean;
}

/**
 * The settings that have no effect because nobody knows their name, each with the closest known name (an edit
 * distance of at most 2, case ignored; 1 for names of up to 5 letters). Keys whose value is `undefined` are
 * skipped: they are "not set" whatever their name. Pure; a url that does not parse gives no query keys (resolving
 * the settings reports it).
 */
export function findUnknownSettings(input: Readonly<MySqlSettings>): UnknownSetting[] {
  const found: UnknownSetting[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined && !isSettingName(key)) {
      found.push({key, suggestion: closestSetting(key), inUrl: false});
    }
  }
  if (typeof input.url === 'string' && input.url !== '') {
    let query: URLSearchParams | undefined;
    try {
      query = new URL(input.url).searchParams;
    } catch {
      query = undefined;
    }
    for (const key of new Set(query?.keys())) {
      if (!isSettingName(key)) found.push({key, suggestion: closestSetting(key), inUrl: true});
    }
  }
  return found;
}

/** The message of the `LB_MYSQL_UNKNOWN_SETTING` warning. */
export function unknownSettingMessage(unknown: UnknownSetting): string {
  const where = unknown.inUrl ? ' (in the query of "url")' : '';
  const hint =
    unknown.suggestion === undefined
      ? 'Other mysql2 options go under "mysql2".'
      : `Did you mean "${unknown.suggestion}"?`;
  return `Setting "${unknown.key}"${where} is unknown to loopback-connector-mysql-ts and is ignored. ${hint}`;
}

/** Names already warned about: the warning comes once per name and process, however many data sources repeat it. */
const warnedSettings = new Set<string>();

/**
 * Warns about each unknown setting (see {@link findUnknownSettings}) with `process.emitWarning`, code
 * `LB_MYSQL_UNKNOWN_SETTING`, once per name per process. The only part of this module with a side effect.
 */
export function warnUnknownSettings(input: Readonly<MySqlSettings>): void {
  for (const unknown of findUnknownSettings(input)) {
    if (warnedSettings.has(unknown.key)) continue;
    warnedSettings.add(unknown.key);
    process.emitWarning(unknownSettingMessage(unknown), {
      type: 'LoopBackSettingsWarning',
      code: 'LB_MYSQL_UNKNOWN_SETTING',
    });
  }
}

/** The known setting closest to `key`, if it is close enough to be a misspelling of it. */
function closestSetting(key: string): string | undefined {
  const lower = key.toLowerCase();
  const limit = lower.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of SETTING_NAMES) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Math.abs(a.length - b.length);
  // Three rows of the dynamic-programming table: two back (for transpositions), one back, and the current one.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
