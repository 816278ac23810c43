import assert from 'node:assert/strict';
import {ParameterizedSQL} from '../../../src/sql-connector/parameterized-sql';
import {applyMySqlPagination} from '../../../src/mysql/pagination';

describe('applyMySqlPagination', () => {
  const select = new ParameterizedSQL('SELECT * FROM `t` WHERE `a` = ?', [1]);
  const cases: [
    string,
    {limit: number | undefined; offset: number | undefined},
    string,
    unknown[],
  ][] = [
    ['no page', {limit: undefined, offset: undefined}, '', []],
    ['a limit', {limit: 5, offset: undefined}, ' LIMIT ?', [5]],
    ['a limit and an offset', {limit: 5, offset: 10}, ' LIMIT ? OFFSET ?', [5, 10]],
    // MySQL has no LIMIT ALL.
    [
      'an offset alone',
      {limit: undefined, offset: 10},
      ' LIMIT 18446744073709551615 OFFSET ?',
      [10],
    ],
    ['a limit of 0', {limit: 0, offset: undefined}, ' LIMIT ?', [0]],
  ];
  for (const [what, page, sql, params] of cases) {
    it(what, () => {
      const paged = applyMySqlPagination(select, page);
      assert.equal(paged.sql, select.sql + sql);
      assert.deepEqual(paged.params, [1, ...params]);
    });
  }
});
