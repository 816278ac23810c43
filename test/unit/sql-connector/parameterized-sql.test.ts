import assert from 'node:assert/strict';
import {ParameterizedSQL, PLACEHOLDER} from '../../../src/sql-connector';

describe('ParameterizedSQL', () => {
  describe('constructor', () => {
    it('keeps the text and the parameters', () => {
      const p = new ParameterizedSQL('`a`=? AND `b`>?', [1, 'x']);
      assert.equal(p.sql, '`a`=? AND `b`>?');
      assert.deepEqual(p.params, [1, 'x']);
    });

    it('defaults to no parameters', () => {
      const p = new ParameterizedSQL('SELECT 1');
      assert.deepEqual(p.params, []);
      assert.equal(p.isEmpty, false);
    });

    it('rejects more placeholders than parameters', () => {
      assert.throws(() => new ParameterizedSQL('`a`=? AND `b`=?', [1]), {
        name: 'AssertionError',
        message: /2 placeholders but 1 parameters/,
      });
    });

    it('rejects more parameters than placeholders', () => {
      assert.throws(() => new ParameterizedSQL('`a`=?', [1, 2]), {
        name: 'AssertionError',
        message: /1 placeholders but 2 parameters/,
      });
      assert.throws(() => new ParameterizedSQL('SELECT 1', [undefined]), {name: 'AssertionError'});
    });

    it('uses ? as its placeholder', () => {
      assert.equal(PLACEHOLDER, '?');
    });
  });

  describe('withParams()', () => {
    it('is the same text with other values, of the same class', () => {
      class Tagged extends ParameterizedSQL {}
      const p = new Tagged('`a`=? AND `b`>?', [1, 'x']);
      const q = p.withParams([2, 'y']);
      assert.equal(q.sql, p.sql);
      assert.deepEqual(q.params, [2, 'y']);
      assert.ok(q instanceof Tagged);
      assert.deepEqual(p.params, [1, 'x']);
    });

    it('takes exactly as many values as the statement has', () => {
      const p = new ParameterizedSQL('`a`=?', [1]);
      assert.throws(() => p.withParams([]), {
        name: 'AssertionError',
        message: /1 placeholders but 0/,
      });
      assert.throws(() => p.withParams([1, 2]), {name: 'AssertionError'});
    });
  });

  describe('value()', () => {
    it('is one placeholder holding the value', () => {
      const date = new Date(0);
      const p = ParameterizedSQL.value(date);
      assert.equal(p.sql, '?');
      assert.equal(p.params.length, 1);
      assert.equal(p.params[0], date);
    });

    it('holds null and undefined as values', () => {
      assert.deepEqual(ParameterizedSQL.value(null).params, [null]);
      assert.deepEqual(ParameterizedSQL.value(undefined).params, [undefined]);
    });
  });

  describe('join()', () => {
    it('joins strings and fragments with the separator, concatenating parameters in order', () => {
      const p = ParameterizedSQL.join(
        [new ParameterizedSQL('`a`=?', [1]), 'AND', new ParameterizedSQL('`b` IN (?,?)', [2, 3])],
        ' ',
      );
      assert.equal(p.sql, '`a`=? AND `b` IN (?,?)');
      assert.deepEqual(p.params, [1, 2, 3]);
    });

    it('rejects a plain string fragment that holds a placeholder, in a fragment or in the separator', () => {
      const value = new ParameterizedSQL('`a`=?', [1]);
      assert.throws(
        () => ParameterizedSQL.join([value, '`b`=?']),
        /2 placeholders but 1 parameters/,
      );
      assert.throws(() => value.append('AND `b`=?'), /2 placeholders but 1 parameters/);
      assert.throws(() => ParameterizedSQL.join([value, value], '?'), /3 placeholders but 2/);
    });

    it('defaults to a space separator', () => {
      assert.equal(ParameterizedSQL.join(['SELECT', '1']).sql, 'SELECT 1');
    });

    it('skips empty strings and empty fragments (no doubled separators)', () => {
      const p = ParameterizedSQL.join(
        ['', new ParameterizedSQL('`a`=?', [1]), new ParameterizedSQL(''), '', 'x'],
        ' AND ',
      );
      assert.equal(p.sql, '`a`=? AND x');
      assert.deepEqual(p.params, [1]);
    });

    it('is empty when every fragment is empty', () => {
      const p = ParameterizedSQL.join(['', new ParameterizedSQL('')], ',');
      assert.equal(p.sql, '');
      assert.equal(p.isEmpty, true);
      assert.deepEqual(p.params, []);
    });
  });

  describe('append()', () => {
    it('returns a new statement and leaves the originals unchanged', () => {
      const base = new ParameterizedSQL('SELECT * FROM `t`');
      const where = new ParameterizedSQL('`a`=?', [1]);
      const baseParams = base.params;
      const whereParams = where.params;
      const stmt = base.append('WHERE', where, '', 'LIMIT', ParameterizedSQL.value(5));
      assert.equal(stmt.sql, 'SELECT * FROM `t` WHERE `a`=? LIMIT ?');
      assert.deepEqual(stmt.params, [1, 5]);
      assert.notEqual(stmt, base);
      assert.equal(base.sql, 'SELECT * FROM `t`');
      assert.deepEqual(base.params, []);
      assert.equal(base.params, baseParams);
      assert.equal(where.sql, '`a`=?');
      assert.deepEqual(where.params, [1]);
      assert.equal(where.params, whereParams);
      assert.notEqual(stmt.params, where.params);
    });

    it('appending to an empty statement drops the leading separator', () => {
      const stmt = new ParameterizedSQL('').append(new ParameterizedSQL('`a`=?', [1]));
      assert.equal(stmt.sql, '`a`=?');
      assert.deepEqual(stmt.params, [1]);
    });

    it('appending nothing copies the statement', () => {
      const base = new ParameterizedSQL('`a`=?', [1]);
      const copy = base.append();
      assert.equal(copy.sql, '`a`=?');
      assert.deepEqual(copy.params, [1]);
    });
  });

  describe('parenthesized()', () => {
    it('wraps the text and keeps the parameters', () => {
      const p = new ParameterizedSQL('`a`=? OR `b`=?', [1, 2]);
      const q = p.parenthesized();
      assert.equal(q.sql, '(`a`=? OR `b`=?)');
      assert.deepEqual(q.params, [1, 2]);
      assert.equal(p.sql, '`a`=? OR `b`=?');
    });

    it('leaves an empty fragment empty', () => {
      const empty = new ParameterizedSQL('');
      assert.equal(empty.parenthesized().sql, '');
      assert.equal(empty.parenthesized().isEmpty, true);
    });
  });
});
