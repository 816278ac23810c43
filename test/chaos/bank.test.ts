/*
 * The bank-invariant chaos run (see ./bank.ts) on each server kind of CHAOS_SERVERS (default: the system's MariaDB
 * 10.11 and MySQL 9.7), each on a private server on a free loopback port behind the test suite's TCP proxy
 * (serverTarget of ./bank-targets.ts). bank-topologies.test.ts runs the same bank on replicated topologies.
 *
 *   CHAOS_SECONDS=25 (faults per server)   CHAOS_SEED=<hex> (replays a fault schedule)
 *   CHAOS_SERVERS=mariadb-10.11,mysql-9.7,mariadb-11.8
 *
 * Run: npx mocha --timeout 600000 test/chaos/bank.test.ts
 */
import assert from 'node:assert/strict';
import {kind, KIND_NAMES} from '../servers/kinds';
import {SeededRandom} from '../helpers/seeded-random';
import {assertBank, formatReport, runBank} from './bank';
import {serverTarget} from './bank-targets';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 25);
const SEED = process.env.CHAOS_SEED ?? SeededRandom.freshSeed();
const SERVERS = (process.env.CHAOS_SERVERS ?? 'mariadb-10.11,mysql-9.7')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');

describe('chaos: the bank (nothing lost, nothing doubled)', function () {
  before(function () {
    assert.ok(SECONDS > 0, `CHAOS_SECONDS must be a positive number of seconds, not ${SECONDS}`);
    for (const name of SERVERS) {
      assert.ok(
        (KIND_NAMES as readonly string[]).includes(name),
        `CHAOS_SERVERS: unknown server kind '${name}' (one of ${KIND_NAMES.join(', ')})`,
      );
    }
    console.log(`    chaos seed ${SEED} (CHAOS_SEED=${SEED} replays it), ${SECONDS} s per server`);
  });

  for (const name of SERVERS) {
    it(`${name}: balances, ledger, timeouts and pool hold under ${SECONDS} s of faults`, async function () {
      this.timeout(SECONDS * 1000 + 240000);
      const report = await runBank({
        target: () => serverTarget(kind(name)),
        seed: SEED,
        seconds: SECONDS,
        log: process.env.CHAOS_VERBOSE ? (line) => console.log(`      ${line}`) : undefined,
      });
      console.log(formatReport(report));
      assertBank(report);
    });
  }
});
