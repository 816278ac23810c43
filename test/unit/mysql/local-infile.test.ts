import assert from 'node:assert/strict';
import {localInfilePath} from '../../../src/mysql/driver/execution';

/*
 * The file a LOAD DATA LOCAL INFILE statement names: the only file the connector lets a stream factory open for
 * that statement (see test/hostile/local-infile.test.ts for the whole exchange with a server).
 */
describe('localInfilePath', () => {
  const cases: [string, unknown[], string | undefined][] = [
    ["LOAD DATA LOCAL INFILE '/tmp/a.csv' INTO TABLE t", [], '/tmp/a.csv'],
    ['load data local infile "/tmp/a.csv" into table t', [], '/tmp/a.csv'],
    ["  LOAD DATA LOW_PRIORITY LOCAL INFILE '/tmp/a.csv' INTO TABLE t", [], '/tmp/a.csv'],
    ["LOAD DATA CONCURRENT LOCAL INFILE '/tmp/a.csv' INTO TABLE t", [], '/tmp/a.csv'],
    ["LOAD XML LOCAL INFILE '/tmp/a.xml' INTO TABLE t", [], '/tmp/a.xml'],
    ['LOAD DATA LOCAL INFILE ? INTO TABLE t', ['/tmp/p.csv'], '/tmp/p.csv'],
    ['LOAD DATA LOCAL INFILE ? INTO TABLE t', [42], undefined],
    // The literal as the server reads it: escapes and doubled quotes.
    ["LOAD DATA LOCAL INFILE '/tmp/it''s.csv' INTO TABLE t", [], "/tmp/it's.csv"],
    ["LOAD DATA LOCAL INFILE '/tmp/it\\'s.csv' INTO TABLE t", [], "/tmp/it's.csv"],
    ["LOAD DATA LOCAL INFILE 'C:\\\\data\\\\a.csv' INTO TABLE t", [], 'C:\\data\\a.csv'],
    ['LOAD DATA LOCAL INFILE "say ""hi"".csv" INTO TABLE t', [], 'say "hi".csv'],
    // Not a LOCAL load: no file may be sent.
    ["LOAD DATA INFILE '/tmp/a.csv' INTO TABLE t", [], undefined],
    ['SELECT 1', [], undefined],
    ["SELECT 'LOAD DATA LOCAL INFILE ''/etc/passwd'''", [], undefined],
    ["/* x */ LOAD DATA LOCAL INFILE '/tmp/a.csv' INTO TABLE t", [], undefined],
  ];
  for (const [sql, params, expected] of cases) {
    it(`${sql} ${JSON.stringify(params)} -> ${String(expected)}`, () => {
      assert.equal(localInfilePath(sql, params), expected);
    });
  }
});
