import assert from 'node:assert/strict';
import {SqlConnectorError} from '../../../src/sql-connector/errors';
import {
  resolveSettings,
  SETTINGS,
  validateSettings,
  type MySqlSettings,
  type SettingSpec,
  type ValueKind,
} from '../../../src/mysql/settings';

/** Asserts that `work` throws the INVALID_SETTING error (500) whose message matches `message`. */
function invalid(work: () => unknown, message: RegExp): void {
  assert.throws(work, (err: unknown) => {
    assert.ok(err instanceof SqlConnectorError, String(err));
    assert.equal(err.code, 'INVALID_SETTING');
    assert.equal(err.statusCode, 500);
    assert.match(err.message, message);
    return true;
  });
}

const KINDS: readonly Exclude<ValueKind, 'servers'>[] = [
  'string',
  'number',
  'boolean',
  'object',
  'array',
  'function',
];

/** A value of `kind` that the setting takes if it takes that kind at all (the first string of a closed set). */
function sample(kind: ValueKind, spec: SettingSpec): unknown {
  switch (kind) {
    case 'string':
      return spec.values?.[0] ?? (spec.type.includes('number') ? 'not a number' : 'mysql://h/d');
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'object':
      return {};
    case 'array':
      return [];
    case 'function':
      return () => undefined;
    case 'servers':
      return [];
  }
}

describe('validateSettings: the kinds of value of the settings table', () => {
  for (const [name, spec] of Object.entries(SETTINGS) as [string, SettingSpec][]) {
    if (spec.type.includes('servers')) continue;
    it(`${name} takes ${spec.type.join(', ')} and nothing else`, () => {
      for (const kind of KINDS) {
        for (const key of [name, ...(spec.aliases ?? [])]) {
          const settings = {[key]: sample(kind, spec)} as MySqlSettings;
          if (spec.type.includes(kind)) validateSettings(settings);
          else
            invalid(
              () => validateSettings(settings),
              new RegExp(`^Invalid ${key}\\b.*: expected `),
            );
        }
      }
    });
  }
});

describe('validateSettings: messages', () => {
  it('names the setting, the value and what it takes', () => {
    invalid(
      () => resolveSettings({connectionLimit: 'ten' as unknown as number}),
      /^Invalid connectionLimit "ten": expected a number$/,
    );
    invalid(
      () => resolveSettings({hostname: 42 as unknown as string}),
      /^Invalid hostname 42: expected a string$/,
    );
    invalid(
      () => resolveSettings({ssl: 42 as unknown as boolean}),
      /^Invalid ssl 42: expected an object, a string or a boolean$/,
    );
    invalid(
      () => resolveSettings({createDatabase: 'true' as unknown as boolean}),
      /^Invalid createDatabase "true": expected a boolean$/,
    );
    invalid(
      () => resolveSettings({mysql2: [] as unknown as object}),
      /^Invalid mysql2 \(a list\): expected an object$/,
    );
  });

  it('never shows the value of password or url', () => {
    for (const settings of [{password: 1234567}, {url: 1234567}, {password: {secret: 1234567}}]) {
      assert.throws(
        () => resolveSettings(settings as unknown as MySqlSettings),
        (err: Error) => {
          assert.match(
            err.message,
            /^Invalid (password|url) \(a (number|object)\): expected a string$/,
          );
          assert.ok(!err.message.includes('1234567'), err.message);
          return true;
        },
      );
    }
  });

  it('closed sets of strings: the selectors ignore case, cluster and juggler do not', () => {
    invalid(
      () => resolveSettings({replicaSelector: 'ROUND_ROBIN' as 'RR'}),
      /^Invalid replicaSelector "ROUND_ROBIN": expected 'RR', 'RANDOM' or 'ORDER'$/,
    );
    assert.equal(resolveSettings({nodeSelector: 'rr' as 'RR'}).nodeSelector, 'RR');
    invalid(() => resolveSettings({cluster: 'Galera' as 'galera'}), /^Invalid cluster "Galera"/);
    invalid(
      () => resolveSettings({normalizeUndefinedInQuery: 'skip' as 'ignore'}),
      /expected 'nullify', 'throw' or 'ignore'$/,
    );
    invalid(
      () => resolveSettings({treatBIT1AsBit: 'yes' as 'true'}),
      /^Invalid treatBIT1AsBit "yes": expected 'true', 'false', '1' or '0'$/,
    );
    validateSettings({treatBIT1AsBit: 'false', treatCHAR1AsString: true});
  });

  it('undefined and null are not set; a number may be a string of digits, or empty', () => {
    const r = resolveSettings({
      host: null,
      port: '3307',
      connectionLimit: '20',
      queueLimit: '',
      password: undefined,
    } as unknown as MySqlSettings);
    assert.equal(r.pool.host, 'localhost');
    assert.equal(r.pool.port, 3307);
    assert.equal(r.pool.connectionLimit, '20');
    invalid(() => resolveSettings({port: Number.NaN}), /^Invalid port NaN: expected a number$/);
    invalid(() => resolveSettings({port: '33o6'}), /^Invalid port "33o6": expected a number$/);
  });

  it('the query of url: numbers must convert, closed sets are checked, other text is kept', () => {
    invalid(
      () => resolveSettings({url: 'mysql://h/d?connectionLimit=ten'}),
      /^Invalid connectionLimit "ten" \(in the query of "url"\): expected a number$/,
    );
    invalid(
      () => resolveSettings({url: 'mysql://h/d?replicaSelector=first'}),
      /^Invalid replicaSelector "first" \(in the query of "url"\): expected 'RR', 'RANDOM' or 'ORDER'$/,
    );
    const r = resolveSettings({url: 'mysql://h/d?dateStrings=DATE&timezone=local&debug=true'});
    assert.equal(r.pool.dateStrings, 'DATE');
    assert.equal(r.pool.timezone, 'local');
  });

  it('unknown names are left to the unknown-setting warning', () => {
    validateSettings({sizeOfPool: 'x'} as MySqlSettings);
  });

  it('replicas and nodes are checked as they are read (a TypeError, as before)', () => {
    assert.throws(() => resolveSettings({nodes: 3 as unknown as []}), TypeError);
  });
});
