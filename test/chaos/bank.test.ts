/*
 * The bank-invariant chaos run (see ./bank.ts) on each server kind of CHAOS_SERVERS (default: the system's MariaDB
 * 10.11 and MySQL 9.7), each on a private server on a free loopback port behind the test suite's TCP proxy.
 *
 *   CHAOS_SECONDS=25 (faults per server)   CHAOS_SEED=<hex> (replays a fault schedule)
 *   CHAOS_SERVERS=mariadb-10.11,mysql-9.7,mariadb-11.8
 *
 * Run: npx mocha --timeout 600000 test/chaos/bank.test.ts
 */
import assert from 'node:assert/strict';
import {kind, KIND_NAMES} from '../servers/kinds';
import {SeededRandom} from '../helpers/seeded-random';
import {FAULT_KINDS, formatReport, runBank} from './bank';

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
        kind: kind(name),
        seed: SEED,
        seconds: SECONDS,
        log: process.env.CHAOS_VERBOSE ? (line) => console.log(`      ${line}`) : undefined,
      });
      console.log(formatReport(report));
      const failed = report.invariants.filter((i) => !i.ok);
      assert.deepEqual(
        failed.map((i) => `${i.name}: ${i.detail}`),
        [],
        `invariants broken on ${name} (seed ${SEED})`,
      );
      // The run really was a chaos run: every kind of fault, transfers that failed, and many that went through.
      for (const k of FAULT_KINDS) assert.ok(report.faults[k] > 0, `no ${k} fault was injected`);
      assert.ok(
        report.transfers.failed > 0,
        'no transfer failed: the faults did not reach the calls',
      );
      assert.ok(
        report.transfers.acknowledged > 100,
        `only ${report.transfers.acknowledged} transfers acknowledged`,
      );
    });
  }
});
