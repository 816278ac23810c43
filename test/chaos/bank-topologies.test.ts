/*
 * The bank-invariant chaos run (see ./bank.ts) on replicated topologies with failover (./bank-targets.ts), one after
 * the other, each destroyed before the next starts (the Group Replication group alone takes ~1.4 GB):
 *
 *   replicas  MariaDB 10.11 primary + 2 replicas (`replicas`): kill -9 and restarts of replicas, KILL CONNECTION on
 *             the primary, restarts of the primary; checked on the primary, the replicas must converge.
 *   mysql-replicas  the same on MySQL 9.7 (GTID async replication), same faults and checks.
 *   galera    MariaDB 10.11 Galera, 3 nodes (`nodes`): kill -9 of a node and its rejoin, KILL CONNECTION; checked on
 *             a surviving node once the cluster is whole again, the others must converge.
 *   group     MySQL 9.7 Group Replication, 3 members (`nodes`, `cluster: 'group-replication'`): kill -9 of the primary
 *             (failover) and its rejoin, switchovers, KILL CONNECTION; checked on the primary of the end, every
 *             member must converge.
 *
 *   CHAOS_TOPOLOGIES=replicas,mysql-replicas,galera,group (the default)   CHAOS_SECONDS=25 (faults per topology)
 *   CHAOS_SEED=<hex> (replays a fault schedule)            CHAOS_VERBOSE=1 (faults as they happen)
 *
 * Run: CHAOS_SECONDS=20 npx mocha --timeout 900000 test/chaos/bank-topologies.test.ts
 */
import assert from 'node:assert/strict';
import {SeededRandom} from '../helpers/seeded-random';
import {assertBank, formatReport, runBank} from './bank';
import {TOPOLOGIES, type TopologyName} from './bank-targets';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 25);
const SEED = process.env.CHAOS_SEED ?? SeededRandom.freshSeed();
const NAMES = Object.keys(TOPOLOGIES) as TopologyName[];
const SELECTED = (process.env.CHAOS_TOPOLOGIES ?? NAMES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');

describe('chaos: the bank on replicated topologies (failover loses nothing, doubles nothing)', function () {
  before(function () {
    assert.ok(SECONDS > 0, `CHAOS_SECONDS must be a positive number of seconds, not ${SECONDS}`);
    for (const name of SELECTED) {
      assert.ok(
        (NAMES as readonly string[]).includes(name),
        `CHAOS_TOPOLOGIES: unknown topology '${name}' (one of ${NAMES.join(', ')})`,
      );
    }
    console.log(
      `    chaos seed ${SEED} (CHAOS_SEED=${SEED} replays it), ${SECONDS} s per topology`,
    );
  });

  for (const name of SELECTED) {
    it(`${name}: balances, ledger, convergence, timeouts and pools hold under ${SECONDS} s of faults`, async function () {
      this.timeout(SECONDS * 1000 + 300000);
      const start = TOPOLOGIES[name as TopologyName];
      const t0 = Date.now();
      const report = await runBank({
        target: start,
        seed: SEED,
        seconds: SECONDS,
        log: process.env.CHAOS_VERBOSE ? (line) => console.log(`      ${line}`) : undefined,
      });
      console.log(formatReport(report));
      console.log(`  wall time, start to destroy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assertBank(report);
    });
  }
});
