import assert from 'node:assert/strict';
import path from 'node:path';
import {inspect} from 'node:util';
import {InvalidFilterError, MySqlError, SqlConnectorError} from '../../../src';
import {toMySqlError, valueOutOfRangeError} from '../../../src/mysql/errors';
import {
  describeServer,
  MAX_TIMESTAMP_2038,
  MAX_TIMESTAMP_2106,
  UNKNOWN_SERVER,
} from '../../../src/mysql/server';

/** An error shaped like the ones mysql2 raises (it also sets `sql`, with the values inlined). */
function driverError(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe('toMySqlError', () => {
  it('keeps the driver fields and adds a numeric statusCode', () => {
    const cause = driverError("Duplicate entry 'a' for key 'PRIMARY'", {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      sqlState: '23000',
      sqlMessage: "Duplicate entry 'a' for key 'PRIMARY'",
      fatal: false,
    });
    const err = toMySqlError(cause, 'INSERT INTO `t` (`id`) VALUES (?)');
    assert.ok(err instanceof MySqlError);
    assert.ok(err instanceof SqlConnectorError);
    assert.equal(err.name, 'MySqlError');
    assert.equal(err.message, "Duplicate entry 'a' for key 'PRIMARY'");
    assert.equal(err.code, 'ER_DUP_ENTRY');
    assert.equal(err.errno, 1062);
    assert.equal(err.sqlState, '23000');
    assert.equal(err.sqlMessage, "Duplicate entry 'a' for key 'PRIMARY'");
    assert.equal(err.statusCode, 422);
    assert.equal(err.status, 422);
    assert.equal(err.fatal, false);
    assert.equal(err.sql, 'INSERT INTO `t` (`id`) VALUES (?)');
    // The driver error is not kept as `cause`: mysql2 writes the statement with its values into it.
    assert.equal(err.cause, undefined);
    assert.ok(err.stack?.includes('driverError'));
    assert.ok(err.stack?.startsWith("MySqlError: Duplicate entry 'a' for key 'PRIMARY'\n"));
  });

  const statuses: [string | undefined, number][] = [
    ['ER_DUP_ENTRY', 422],
    ['ER_NO_REFERENCED_ROW_2', 422],
    ['ER_NO_SUCH_TABLE', 404],
    ['ER_BAD_DB_ERROR', 404],
    ['ER_LOCK_DEADLOCK', 409],
    ['ECONNREFUSED', 503],
    ['PROTOCOL_SEQUENCE_TIMEOUT', 504],
    ['ER_PARSE_ERROR', 500],
    ['ER_SOMETHING_NEW', 500],
    [undefined, 500],
  ];
  for (const [code, status] of statuses) {
    it(`${code ?? 'no code'} -> ${status}`, () => {
      const err = toMySqlError(driverError('x', code === undefined ? {} : {code}));
      assert.equal((err as MySqlError).statusCode, status);
      assert.equal((err as MySqlError).code, code ?? 'ER_UNKNOWN');
    });
  }

  it('fatal errors are flagged', () => {
    const err = toMySqlError(driverError('gone', {code: 'PROTOCOL_CONNECTION_LOST', fatal: true}));
    assert.equal((err as MySqlError).fatal, true);
    assert.equal((err as MySqlError).statusCode, 503);
  });

  it('passes SqlConnectorError through unchanged', () => {
    const own = new InvalidFilterError('bad where');
    assert.equal(toMySqlError(own, 'SELECT 1'), own);
    const base = new SqlConnectorError('x', {code: 'X', statusCode: 418});
    assert.equal(toMySqlError(base), base);
    const mysqlErr = new MySqlError('y', {code: 'ER_DUP_ENTRY'}, 'SQL');
    assert.equal(toMySqlError(mysqlErr, 'OTHER'), mysqlErr);
    assert.equal((toMySqlError(mysqlErr, 'OTHER') as MySqlError).sql, 'SQL');
  });

  it('wraps non-Error values', () => {
    const err = toMySqlError('boom');
    assert.ok(err instanceof MySqlError);
    assert.equal(err.message, 'boom');
    assert.equal(err.code, 'ER_UNKNOWN');
    assert.equal(err.statusCode, 500);
  });

  it('masks URL credentials in the message and the stack', () => {
    const err = toMySqlError(
      driverError('connect failed for mysql://app:s3cr%2Fet@db:3306/shop (timeout)', {
        code: 'ETIMEDOUT',
      }),
    );
    assert.equal(err.message, 'connect failed for mysql://app:***@db:3306/shop (timeout)');
    assert.ok(!err.stack?.includes('s3cr'), err.stack);
    const bare = toMySqlError(driverError('at //:hunter2@host', {}));
    assert.equal(bare.message, 'at //:***@host');
  });

  it('never includes the parameters', () => {
    const secret = 'p4ssw0rd-param';
    // mysql2 puts the formatted statement, with the values inlined, in `err.sql`.
    const cause = driverError("Table 'shop.users' doesn't exist", {
      code: 'ER_NO_SUCH_TABLE',
      errno: 1146,
      sqlState: '42S02',
      sqlMessage: "Table 'shop.users' doesn't exist",
      sql: `INSERT INTO \`users\` (\`password\`) VALUES ('${secret}')`,
    });
    const err = toMySqlError(cause, 'INSERT INTO `users` (`password`) VALUES (?)') as MySqlError;
    assert.equal(err.statusCode, 404);
    assert.equal(err.sql, 'INSERT INTO `users` (`password`) VALUES (?)');
    assert.ok(!err.message.includes(secret));
    assert.ok(!String(err.stack).includes(secret));
    assert.ok(!JSON.stringify(err).includes(secret));
    const shown = inspect(err, {depth: 10});
    assert.ok(!shown.includes(secret), `util.inspect(err) shows the parameter:\n${shown}`);
  });
});

describe('describeServer', () => {
  const cases: {
    version: string;
    comment?: string;
    flavor: string;
    v: string;
    alias: boolean;
  }[] = [
    {
      version: '10.11.19-MariaDB-0+deb12u1',
      flavor: 'mariadb',
      v: '10.11.19',
      alias: false,
    },
    {
      version: '5.5.5-10.6.12-MariaDB',
      flavor: 'mariadb',
      v: '10.6.12',
      alias: false,
    },
    {version: '10.4.32-MariaDB', flavor: 'mariadb', v: '10.4.32', alias: false},
    {version: '8.4.3', flavor: 'mysql', v: '8.4.3', alias: true},
    {version: '8.0.19', flavor: 'mysql', v: '8.0.19', alias: true},
    {version: '8.0.18', flavor: 'mysql', v: '8.0.18', alias: false},
    {version: '5.7.44-log', flavor: 'mysql', v: '5.7.44', alias: false},
    {
      version: '10.6.18',
      comment: 'mariadb.org binary distribution',
      flavor: 'mariadb',
      v: '10.6.18',
      alias: false,
    },
  ];
  for (const c of cases) {
    it(`${c.version}${c.comment ? ` (${c.comment})` : ''}`, () => {
      const info = describeServer({
        version: c.version,
        comment: c.comment ?? 'MySQL Community Server - GPL',
      });
      assert.equal(info.flavor, c.flavor);
      assert.equal(info.version, c.v);
      assert.equal(info.insertRowAlias, c.alias);
    });
  }

  it('reads the server variables, with defaults', () => {
    const info = describeServer({
      version: '8.4.3',
      autoIncrementIncrement: 2,
      maxAllowedPacket: '67108864',
    });
    assert.equal(info.autoIncrementIncrement, 2);
    assert.equal(info.maxAllowedPacket, 67108864);
    const none = describeServer({});
    assert.equal(none.flavor, 'mysql');
    assert.equal(none.version, '0.0.0');
    assert.equal(none.autoIncrementIncrement, 1);
    assert.equal(none.maxAllowedPacket, 4194304);
    assert.equal(none.insertRowAlias, false);
  });
});

describe('toMySqlError: request errors the server finds', () => {
  for (const code of [
    'ER_REGEXP_ERROR',
    'ER_REGEXP_MISMATCHED_PAREN',
    'ER_FT_MATCHING_KEY_NOT_FOUND',
  ]) {
    it(`maps ${code} to 400`, () => {
      const err = toMySqlError(Object.assign(new Error('bad pattern'), {code}), 'SELECT 1');
      assert.equal((err as MySqlError).statusCode, 400);
    });
  }
});

describe('toMySqlError: a value that does not fit its column', () => {
  /** mysql2's errno -> code table: its name for each errno is what the status table matches. */
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const codes = require(
    path.join(path.dirname(require.resolve('mysql2')), 'lib/constants/errors.js'),
  ) as Record<number, string>;

  const cases: [number, string, number, string][] = [
    [1264, 'ER_WARN_DATA_OUT_OF_RANGE', 422, "Out of range value for column 'i' at row 1"],
    // An ENUM value that is not a member, in strict mode; mysql2's name has no ER_ prefix.
    [1265, 'WARN_DATA_TRUNCATED', 422, "Data truncated for column 'e' at row 1"],
    [
      1292,
      'ER_TRUNCATED_WRONG_VALUE',
      422,
      "Incorrect datetime value: '2040-01-01' for column 'ts'",
    ],
    [
      1366,
      'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
      422,
      "Incorrect integer value: 'abc' for column 'i'",
    ],
    [1406, 'ER_DATA_TOO_LONG', 422, "Data too long for column 'v' at row 1"],
    // MySQL rounding '9999-12-31 23:59:59.999' up in a DATE or DATETIME(0) column.
    [1441, 'ER_DATETIME_FUNCTION_OVERFLOW', 422, 'Datetime function: datetime field overflow'],
    // MySQL 9.7 comparing a DATETIME column with '10000-01-01 ...' in a where.
    [1525, 'ER_WRONG_VALUE', 400, "Incorrect DATETIME value: '10000-01-01 00:00:00.000'"],
  ];
  for (const [errno, code, status, message] of cases) {
    it(`${errno} ${code} -> ${status}`, () => {
      assert.equal(codes[errno], code, `mysql2 names errno ${errno}`);
      const err = toMySqlError(
        driverError(message, {code, errno, sqlState: 'HY000', sqlMessage: message}),
        'INSERT INTO `t` (`x`) VALUES (?)',
      );
      assert.ok(err instanceof MySqlError);
      assert.equal(err.statusCode, status);
      assert.equal(err.code, code);
      assert.equal(err.errno, errno);
    });
  }

  it("MariaDB's failed CHECK (4025, SQLSTATE 23000) is ER_CONSTRAINT_FAILED 422, whatever mysql2 calls it", () => {
    const message = 'CONSTRAINT `qty_positive` failed for `db`.`t`';
    // mysql2's table has MySQL's name for 4025.
    assert.equal(codes[4025], 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE');
    const err = toMySqlError(
      driverError(message, {
        code: codes[4025],
        errno: 4025,
        sqlState: '23000',
        sqlMessage: message,
      }),
      'INSERT INTO `t` (`qty`) VALUES (?)',
    );
    assert.ok(err instanceof MySqlError);
    assert.equal(err.code, 'ER_CONSTRAINT_FAILED');
    assert.equal(err.statusCode, 422);
    assert.equal(err.errno, 4025);
    // MySQL's own 4025 (a DDL option out of range, SQLSTATE HY000) keeps its name and is no 422.
    const ddl = toMySqlError(
      driverError('autoextend_size out of range', {
        code: codes[4025],
        errno: 4025,
        sqlState: 'HY000',
      }),
      'CREATE TABLE t (a INT) AUTOEXTEND_SIZE = 1',
    );
    assert.ok(ddl instanceof MySqlError);
    assert.equal(ddl.code, 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE');
    assert.equal(ddl.statusCode, 500);
  });

  it('an integrity constraint violation the table does not name (SQLSTATE 23xxx) is a 422', () => {
    const err = toMySqlError(
      driverError('Some new constraint failed', {
        code: 'ER_NEW_CONSTRAINT',
        errno: 9999,
        sqlState: '23000',
      }),
      'UPDATE `t` SET `a` = ?',
    );
    assert.ok(err instanceof MySqlError);
    assert.equal(err.statusCode, 422);
    assert.equal(err.code, 'ER_NEW_CONSTRAINT');
  });

  it('valueOutOfRangeError: the error the server would give, found before sending anything', () => {
    const err = valueOutOfRangeError('Invalid value for born: a date outside ...');
    assert.ok(err instanceof MySqlError);
    assert.equal(err.statusCode, 422);
    assert.equal(err.status, 422);
    assert.equal(err.code, 'ER_TRUNCATED_WRONG_VALUE');
    assert.equal(err.errno, 1292);
    assert.equal(err.sqlState, '22007');
    assert.equal(err.sql, undefined);
    assert.equal(err.message, 'Invalid value for born: a date outside ...');
  });
});

describe('describeServer: the TIMESTAMP range', () => {
  const cases: [Record<string, unknown>, number][] = [
    [{version: '9.7.4-2'}, MAX_TIMESTAMP_2038],
    [{version: '8.4.3'}, MAX_TIMESTAMP_2038],
    [{version: '10.11.19-MariaDB-0+deb12u1'}, MAX_TIMESTAMP_2038],
    [{version: '11.4.5-MariaDB'}, MAX_TIMESTAMP_2038],
    [{version: '11.5.0-MariaDB'}, MAX_TIMESTAMP_2106],
    [{version: '11.8.9-MariaDB-0+deb13u1', comment: 'Debian'}, MAX_TIMESTAMP_2106],
    [{}, MAX_TIMESTAMP_2038],
  ];
  for (const [row, max] of cases) {
    it(`${typeof row.version === 'string' ? row.version : 'unknown'} -> ${new Date(max).toISOString()}`, () => {
      assert.equal(describeServer(row).maxTimestamp, max);
    });
  }

  it('the bounds are the last millisecond of 2^31 - 1 and 2^32 - 1 seconds', () => {
    assert.equal(MAX_TIMESTAMP_2038, (2 ** 31 - 1) * 1000 + 999);
    assert.equal(MAX_TIMESTAMP_2106, (2 ** 32 - 1) * 1000 + 999);
    assert.equal(UNKNOWN_SERVER.maxTimestamp, MAX_TIMESTAMP_2038);
  });
});

describe('toMySqlError: a write refused by a read-only server', () => {
  const cases: [string, number][] = [
    [
      'The MySQL server is running with the --read-only option so it cannot execute this statement',
      503,
    ],
    [
      'The MySQL server is running with the --super-read-only option so it cannot execute this statement',
      503,
    ],
    [
      'The MariaDB server is running with the --read-only option so it cannot execute this statement',
      503,
    ],
    [
      'The MySQL server is running with the --secure-file-priv option so it cannot execute this statement',
      500,
    ],
  ];
  for (const [sqlMessage, status] of cases) {
    it(`${/--([a-z-]+)/.exec(sqlMessage)?.[1]} (${sqlMessage.split(' ')[1]}) -> ${status}`, () => {
      const err = toMySqlError(
        driverError(sqlMessage, {
          code: 'ER_OPTION_PREVENTS_STATEMENT',
          errno: 1290,
          sqlState: 'HY000',
          sqlMessage,
        }),
      ) as MySqlError;
      assert.equal(err.statusCode, status);
      assert.equal(err.code, 'ER_OPTION_PREVENTS_STATEMENT');
      assert.equal(err.errno, 1290);
      assert.equal(err.message, sqlMessage);
    });
  }
});

describe('toMySqlError: a Galera node that is not ready', () => {
  it("1047 WSREP (joining, or outside the Primary Component) is a 503 to retry; MySQL's unknown command a 500", () => {
    const notReady = toMySqlError(
      driverError('WSREP has not yet prepared node for application use', {
        code: 'ER_UNKNOWN_COM_ERROR',
        errno: 1047,
        sqlState: '08S01',
        sqlMessage: 'WSREP has not yet prepared node for application use',
      }),
    ) as MySqlError;
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.code, 'ER_UNKNOWN_COM_ERROR');
    assert.equal(notReady.errno, 1047);
    const unknownCommand = toMySqlError(
      driverError('Unknown command', {
        code: 'ER_UNKNOWN_COM_ERROR',
        errno: 1047,
        sqlState: '08S01',
        sqlMessage: 'Unknown command',
      }),
    ) as MySqlError;
    assert.equal(unknownCommand.statusCode, 500);
  });
});

describe('describeServer: the replica lag column', () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{version: '9.7.4-2'}, 'SHOW REPLICA STATUS', 'Seconds_Behind_Source'],
    [{version: '8.0.22'}, 'SHOW REPLICA STATUS', 'Seconds_Behind_Source'],
    [{version: '8.0.21'}, 'SHOW SLAVE STATUS', 'Seconds_Behind_Master'],
    [{version: '10.11.19-MariaDB-0+deb12u1'}, 'SHOW REPLICA STATUS', 'Seconds_Behind_Master'],
    [{version: '10.4.32-MariaDB'}, 'SHOW SLAVE STATUS', 'Seconds_Behind_Master'],
  ];
  for (const [row, statement, column] of cases) {
    it(`${String(row.version)}: ${statement} -> ${column}`, () => {
      const info = describeServer(row);
      assert.equal(info.replicaStatusSql, statement);
      assert.equal(info.replicaLagColumn, column);
    });
  }
});
