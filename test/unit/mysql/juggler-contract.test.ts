import assert from 'node:assert/strict';
import * as api from '../../../src';
import {MySQL} from '../../../src';

/** The arity juggler relies on: it passes exactly these arguments, the callback last. */
const ARITY: Record<string, number> = {
  create: 4,
  createAll: 4,
  all: 4,
  count: 4,
  update: 5,
  updateAll: 5,
  destroy: 4,
  destroyAll: 4,
  updateAttributes: 5,
  replaceById: 5,
  updateOrCreate: 4,
  replaceOrCreate: 4,
  save: 4,
  findOrCreate: 5,
  upsertWithWhere: 5,
  exists: 4,
  find: 4,
  execute: 4,
  beginTransaction: 2,
  commit: 2,
  rollback: 2,
};

describe('juggler contract', () => {
  describe('arity of MySQL.prototype methods', () => {
    for (const [method, arity] of Object.entries(ARITY)) {
      it(`${method} takes ${arity} arguments`, () => {
        const fn = (MySQL.prototype as unknown as Record<string, unknown>)[method];
        assert.equal(typeof fn, 'function', `${method} is missing`);
        assert.equal((fn as (...args: unknown[]) => unknown).length, arity);
      });
    }
  });

  it('connector identity', () => {
    const connector = new MySQL({});
    assert.equal(connector.name, 'mysql');
    assert.equal(connector.relational, true);
    assert.equal(connector.multiInsertSupported, true);
    assert.equal(connector.isRelational(), true);
    assert.deepEqual(connector.getTypes(), ['db', 'rdbms', 'sql']);
    assert.equal(connector.getDefaultIdType(), Number);
  });

  it('constructing the connector does not connect', () => {
    const connector = new MySQL({host: 'unreachable.invalid'});
    assert.equal(connector.client, undefined);
  });

  it('src/index.ts exports the public API', () => {
    assert.equal(typeof api.initialize, 'function');
    assert.equal(api.initialize.length, 2);
    assert.equal(api.MySQL, MySQL);
    for (const name of [
      'SqlConnector',
      'ParameterizedSQL',
      'SqlConnectorError',
      'InvalidFilterError',
      'MySqlError',
    ] as const) {
      assert.equal(typeof api[name], 'function', `${name} is not exported`);
    }
    assert.ok(new MySQL({}) instanceof api.SqlConnector);
    assert.ok(new api.InvalidFilterError('x') instanceof api.SqlConnectorError);
    assert.ok(new api.MySqlError('x', {}, undefined) instanceof api.SqlConnectorError);
  });
});
