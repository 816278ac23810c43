import assert from 'node:assert/strict';
import {toMySqlError} from '../../../src/mysql/errors';

/*
 * How the failures of a connection and of a server that breaks the protocol are reported (see
 * test/hostile/malformed.test.ts and the chaos run for where they come from).
 */
describe('toMySqlError: lost connections and broken servers', () => {
  const driverError = (message: string, fields: Record<string, unknown>) =>
    Object.assign(new Error(message), fields);

  for (const code of [
    'EPIPE',
    'ECONNRESET',
    'ECONNABORTED',
    'ENETUNREACH',
    'ENETDOWN',
    'EHOSTDOWN',
  ]) {
    it(`${code} is a 503, like the other connection failures`, () => {
      const err = toMySqlError(driverError(`write ${code}`, {code, fatal: true})) as {
        code?: string;
        statusCode?: number;
      };
      assert.equal(err.code, code);
      assert.equal(err.statusCode, 503);
    });
  }

  it('a protocol violation is a 502', () => {
    for (const code of [
      'PROTOCOL_ERROR',
      'PROTOCOL_UNEXPECTED_PACKET',
      'HANDSHAKE_UNKNOWN_ERROR',
    ]) {
      const err = toMySqlError(driverError('Expected EOF packet', {code, fatal: true})) as {
        statusCode?: number;
      };
      assert.equal(err.statusCode, 502, code);
    }
  });

  it("a fatal error without a code (mysql2's parser throwing on the answer) is a 502 PROTOCOL_ERROR", () => {
    const err = toMySqlError(driverError('Encoding not recognized', {fatal: true})) as {
      code?: string;
      statusCode?: number;
    };
    assert.equal(err.code, 'PROTOCOL_ERROR');
    assert.equal(err.statusCode, 502);
  });

  it("mysql2's refusal of a local file the server asked for is a 502 LOCAL_INFILE_REFUSED", () => {
    const err = toMySqlError(
      new Error(
        'As a result of LOCAL INFILE command server wants to read /etc/passwd file, but as of v2.0 you must provide streamFactory option returning ReadStream.',
      ),
    ) as {code?: string; statusCode?: number};
    assert.equal(err.code, 'LOCAL_INFILE_REFUSED');
    assert.equal(err.statusCode, 502);
  });

  it('an error without a code that is not fatal stays unknown (500)', () => {
    const err = toMySqlError(new Error('something else')) as {code?: string; statusCode?: number};
    assert.equal(err.code, 'ER_UNKNOWN');
    assert.equal(err.statusCode, 500);
  });
});
