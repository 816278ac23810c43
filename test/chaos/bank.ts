/*
 * The bank: accounts with balances, workers that move random amounts between random accounts (each transfer one
 * transaction through the connector, with a ledger row of its own transfer id), readers outside transactions, and a
 * chaos loop that breaks things on a seeded schedule. Where it runs and what breaks is a {@link BankTarget}
 * (./bank-targets.ts): a private server behind a TCP proxy (KILL CONNECTION, KILL QUERY, restarts, kill -9, latency,
 * stalled connections, resets mid-result, refused connections), or a replicated topology with failover (MariaDB
 * replicas, Galera, MySQL Group Replication).
 *
 * runBank() runs it once and returns what happened and which invariants held; bank.test.ts and
 * bank-topologies.test.ts run it per target and call assertBank(). Checked against the servers directly, not through
 * the connector, once every server is back:
 * - the total of all balances never changes;
 * - every acknowledged transfer is in the ledger exactly once, and each account's balance and operation count are
 *   what its ledger rows say (so every ledger row's two balance changes are applied, once, and none without a row);
 * - a transfer that failed before COMMIT was sent is not applied at all; one whose COMMIT failed (outcome unknown)
 *   is applied once or not at all;
 * - every other server of a topology (replicas, Galera nodes, group members) holds the same balances and ledger;
 * - every call settles within acquireTimeout + queryTimeout + a margin, and every failure is an Error with a string
 *   code and a 4xx/5xx statusCode;
 * - the pools end with every connection released and serve `connectionLimit` transactions at once afterwards;
 * - the process sees no unhandledRejection or uncaughtException;
 * - reads outside transactions always see the same total (each statement is a consistent snapshot) and, on each
 *   server, a ledger that never shrinks between two crashes.
 */
import {
  DefaultCrudRepository,
  DefaultTransactionalRepository,
  Entity,
  IsolationLevel,
  ModelDefinition,
  juggler,
} from '@loopback/repository';
import assert from 'node:assert/strict';
import * as connector from '../../src';
import {SeededRandom} from '../helpers/seeded-random';

/** The bank's database and login, created by each target on the server that takes writes. */
export const BANK_DATABASE = 'lbts_bank';
export const BANK_USER = 'lbts_bank';
export const BANK_PASSWORD = 'bank-Chaos-Secret-7';

/** One server the invariants are read from, as root and not through the connector. */
export interface CheckNode {
  /** `primary`, `replica1`, `g2`, `n3`... */
  readonly name: string;
  /** Runs one statement (tables qualified with {@link BANK_DATABASE}) and returns its rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** What a fault may tell the run. */
export interface FaultContext {
  /**
   * A server was killed. InnoDB makes a commit visible a moment before it is durable: a row a reader saw just before
   * the crash may be gone after it (its COMMIT was never acknowledged), so the ledger only has to grow from here.
   */
  readonly crashed: () => void;
  /** Adds to a counter of what the faults did (`connections killed`...). */
  readonly count: (detail: string, by: number) => void;
}

/**
 * Where the bank runs: servers started for the run, where the data source connects, the faults, and where the
 * invariants are read. Started by a function of ./bank-targets.ts with the bank's database and login in place.
 */
export interface BankTarget {
  /** For the report: `mariadb-10.11`, `MariaDB 10.11 primary + 2 replicas`... */
  readonly name: string;
  /** The kinds of fault it injects; the run injects each at least once. */
  readonly faultKinds: readonly string[];
  /**
   * The `@@server_id`s that reads outside transactions go to (the replicas), when not every server: most reads must
   * be answered there (the writer takes them only while no replica is in rotation).
   */
  readonly readServers?: readonly number[];
  /** Where the data source connects (`host` and `port`, `replicas`, `nodes`...); the run adds login and timeouts. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Injects one fault of `kind` and returns what it did, for the schedule. */
  inject(kind: string, rng: SeededRandom, context: FaultContext): Promise<string>;
  /**
   * Waits until every server has applied what the writer has (the accounts, before the readers start: a read on an
   * asynchronous replica may otherwise not see them yet). Nothing to wait for on one server.
   */
  caughtUp(): Promise<void>;
  /** After the faults: every server running and back in its topology, the network healthy. */
  heal(): Promise<void>;
  /**
   * Once the workers have stopped: the server the invariants are checked on, and the other servers of the topology,
   * each caught up with it, which must hold the same data.
   */
  checkpoint(): Promise<{record: CheckNode; others: CheckNode[]}>;
  /** Counters of what the target saw (connections through the proxy...), for the report. */
  details(): Record<string, number>;
  /** Stops every server it started. */
  destroy(): Promise<void>;
}

export interface BankOptions {
  /** Starts the target; the run destroys it at the end. */
  readonly target: () => Promise<BankTarget>;
  readonly seed: string;
  /** How long faults are injected. */
  readonly seconds: number;
  readonly accounts?: number;
  readonly initialBalance?: number;
  readonly workers?: number;
  readonly readers?: number;
  readonly connectionLimit?: number;
  readonly acquireTimeout?: number;
  readonly queryTimeout?: number;
  readonly connectTimeout?: number;
  /** How long the workers go on once the faults are over and the server is back. */
  readonly recoveryMs?: number;
  /** Progress lines (faults as they are injected). */
  readonly log?: (line: string) => void;
}

/** One invariant and whether it held. */
export interface InvariantResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface BankReport {
  readonly target: string;
  readonly seed: string;
  readonly seconds: number;
  readonly transfers: {
    attempted: number;
    acknowledged: number;
    failed: number;
    failedByCode: Record<string, number>;
    /** Failed before COMMIT was sent: must not be applied. */
    failedBeforeCommit: number;
    /** COMMIT sent and failed: outcome unknown to the application. */
    commitUnknown: number;
    commitUnknownApplied: number;
    acknowledgedAfterFaults: number;
  };
  readonly calls: {
    total: number;
    failed: number;
    failedByCode: Record<string, number>;
    /** The first message of each failure code, as the caller sees it. */
    messages: Record<string, string>;
    slowestFailure: {label: string; ms: number; code: string} | undefined;
    slowestCall: {label: string; ms: number} | undefined;
    boundMs: number;
  };
  readonly reads: {
    total: number;
    ok: number;
    failed: number;
    /** Ledger counts outside transactions by the server that answered (`@@server_id`): where reads go. */
    byServer: Record<string, number>;
  };
  readonly faults: Record<string, number>;
  /** What the faults did: connections and queries killed, connections stalled and reset... */
  readonly faultDetails: Record<string, number>;
  readonly schedule: string[];
  readonly ledgerRows: number;
  readonly invariants: InvariantResult[];
}

// ---------------------------------------------------------------------------------------------------------------
// The models
// ---------------------------------------------------------------------------------------------------------------

class Account extends Entity {
  declare id: number;
  declare balance: number;
  declare ops: number;
}
Account.definition = new ModelDefinition({
  name: 'Account',
  settings: {mysql: {table: 'Account'}},
})
  .addProperty('id', {type: 'number', id: true, generated: false})
  .addProperty('balance', {type: 'number', required: true})
  .addProperty('ops', {type: 'number', required: true});

class Transfer extends Entity {
  declare id?: number;
  declare transferId: string;
  declare fromId: number;
  declare toId: number;
  declare amount: number;
}
// transferId is indexed but not unique on purpose: a transfer applied twice must show up as two rows, not be masked
// by a duplicate-key error.
Transfer.definition = new ModelDefinition({
  name: 'Transfer',
  settings: {mysql: {table: 'Transfer'}},
})
  .addProperty('id', {type: 'number', id: true, generated: true})
  .addProperty('transferId', {type: 'string', required: true, index: true, length: 64})
  .addProperty('fromId', {type: 'number', required: true})
  .addProperty('toId', {type: 'number', required: true})
  .addProperty('amount', {type: 'number', required: true});

// ---------------------------------------------------------------------------------------------------------------
// Bookkeeping of calls
// ---------------------------------------------------------------------------------------------------------------

interface CallRecord {
  readonly label: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly statusCode?: unknown;
  readonly message?: string;
}

/** A call that did not settle within the hang cap: the test's own marker, never a connector error. */
class HungCall extends Error {
  readonly code = 'TEST_HUNG_CALL';
}

interface TransferRecord {
  readonly transferId: string;
  readonly fromId: number;
  readonly toId: number;
  readonly amount: number;
  readonly started: number;
  outcome?: 'acked' | 'before-commit' | 'commit-unknown';
  code?: string;
}

/** What the juggler-style transfers use of a juggler model class (juggler's own types are loose here). */
interface JugglerModel<T> {
  beginTransaction(options: {isolationLevel: string}): Promise<JugglerTransaction>;
  findById(id: number, filter: object, options: object): Promise<T | null>;
  create(data: object, options: object): Promise<unknown>;
}
interface JugglerTransaction {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}
interface JugglerAccount {
  readonly balance: number;
  readonly ops: number;
  updateAttributes(data: object, options: object): Promise<unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `promise`, at most `ms`; the timer is cleared either way (a pending one would hold the process open). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The code a failure is counted under: `code/statusCode`. */
function codeOf(err: unknown): string {
  const e = err as {code?: unknown; statusCode?: unknown};
  return `${String(e?.code)}/${String(e?.statusCode)}`;
}

function count(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

export async function runBank(options: BankOptions): Promise<BankReport> {
  const o = {
    accounts: 20,
    initialBalance: 1000,
    workers: 6,
    readers: 2,
    connectionLimit: 2,
    acquireTimeout: 3000,
    queryTimeout: 2000,
    connectTimeout: 2000,
    recoveryMs: 3000,
    ...options,
    log: options.log ?? (() => undefined),
  };
  const total = o.accounts * o.initialBalance;
  /** Every call must settle within this: waiting for a connection, then the statement, then a margin. */
  const boundMs = o.acquireTimeout + o.queryTimeout + 1000;
  /** Past this a call counts as hung, and the worker stops waiting for it. */
  const hangCapMs = boundMs * 3;

  const processErrors: string[] = [];
  const onUnhandled = (reason: unknown) =>
    processErrors.push(`unhandledRejection: ${String(reason)}`);
  const onUncaught = (err: unknown) => processErrors.push(`uncaughtException: ${String(err)}`);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);

  let target: BankTarget | undefined;
  let ds: juggler.DataSource | undefined;
  /** The faults as they were injected (printed with an error that ends the run early). */
  const schedule: string[] = [];
  try {
    target = await o.target();
    const tgt = target;

    ds = new juggler.DataSource({
      name: 'bank',
      connector,
      ...tgt.settings,
      user: BANK_USER,
      password: BANK_PASSWORD,
      database: BANK_DATABASE,
      connectionLimit: o.connectionLimit,
      acquireTimeout: o.acquireTimeout,
      queryTimeout: o.queryTimeout,
      connectTimeout: o.connectTimeout,
    });
    const dsErrors: unknown[] = [];
    ds.on('error', (err: unknown) => dsErrors.push(err));
    await ds.connect();
    const accounts = new DefaultTransactionalRepository<Account, number>(Account, ds);
    const transfers = new DefaultCrudRepository<Transfer, number>(Transfer, ds);
    await ds.automigrate(['Account', 'Transfer']);
    await accounts.createAll(
      Array.from({length: o.accounts}, (_, i) => ({id: i + 1, balance: o.initialBalance, ops: 0})),
    );
    await tgt.caughtUp();

    // -------------------------------------------------------------------------------------------------------------
    // Calls, timed
    // -------------------------------------------------------------------------------------------------------------
    const calls: CallRecord[] = [];
    const hung: string[] = [];
    const call = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HungCall(`${label} hung`)), hangCapMs);
      });
      try {
        const value = await Promise.race([fn(), cap]);
        calls.push({label, ms: performance.now() - started, ok: true});
        return value;
      } catch (err) {
        const e = err as {code?: unknown; statusCode?: unknown; message?: unknown};
        if (err instanceof HungCall) hung.push(label);
        calls.push({
          label,
          ms: performance.now() - started,
          ok: false,
          code: String(e?.code),
          statusCode: e?.statusCode,
          message: String(e?.message),
        });
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };

    // -------------------------------------------------------------------------------------------------------------
    // Workers
    // -------------------------------------------------------------------------------------------------------------
    const records: TransferRecord[] = [];
    let stopping = false;
    let faultsOverAt = Infinity;
    const AccountModel = accounts.modelClass as unknown as JugglerModel<JugglerAccount>;
    const TransferModel = transfers.modelClass as unknown as JugglerModel<unknown>;

    /** LoopBack 4: DefaultTransactionalRepository, READ COMMITTED, relative updates through execute. */
    const viaRepository = async (r: TransferRecord): Promise<void> => {
      const tx = await call('lb4 begin', () =>
        accounts.beginTransaction({isolationLevel: IsolationLevel.READ_COMMITTED}),
      );
      try {
        await call('lb4 insert ledger', () =>
          transfers.create(
            {transferId: r.transferId, fromId: r.fromId, toId: r.toId, amount: r.amount},
            {transaction: tx},
          ),
        );
        for (const [id, delta] of [
          [r.fromId, -r.amount],
          [r.toId, r.amount],
        ] as const) {
          const result = await call('lb4 update balance', () =>
            accounts.execute(
              'UPDATE `Account` SET balance = balance + ?, ops = ops + 1 WHERE id = ?',
              [delta, id],
              {transaction: tx},
            ),
          );
          if ((result as {affectedRows?: number}).affectedRows !== 1) {
            throw new Error(`account ${id}: ${JSON.stringify(result)}`);
          }
        }
      } catch (err) {
        await call('lb4 rollback', () => tx.rollback()).catch(() => undefined);
        throw err;
      }
      r.outcome = 'commit-unknown';
      await call('lb4 commit', () => tx.commit());
    };

    /** Juggler: Model.beginTransaction, SERIALIZABLE, read then write (deadlocks are expected and surface as 409). */
    const viaJuggler = async (r: TransferRecord): Promise<void> => {
      const tx = await call('juggler begin', () =>
        AccountModel.beginTransaction({isolationLevel: 'SERIALIZABLE'}),
      );
      const opts = {transaction: tx};
      try {
        for (const [id, delta] of [
          [r.fromId, -r.amount],
          [r.toId, r.amount],
        ] as const) {
          const account = await call('juggler findById', () => AccountModel.findById(id, {}, opts));
          if (!account) throw new Error(`account ${id} not found`);
          await call('juggler updateAttributes', () =>
            account.updateAttributes(
              {balance: account.balance + delta, ops: account.ops + 1},
              opts,
            ),
          );
        }
        await call('juggler insert ledger', () =>
          TransferModel.create(
            {transferId: r.transferId, fromId: r.fromId, toId: r.toId, amount: r.amount},
            opts,
          ),
        );
      } catch (err) {
        await call('juggler rollback', () => tx.rollback()).catch(() => undefined);
        throw err;
      }
      r.outcome = 'commit-unknown';
      await call('juggler commit', () => tx.commit());
    };

    const worker = async (w: number): Promise<void> => {
      const rng = new SeededRandom(o.seed, `worker-${w}`);
      for (let n = 1; !stopping; n++) {
        const fromId = rng.int(1, o.accounts);
        let toId = rng.int(1, o.accounts - 1);
        if (toId >= fromId) toId++;
        const r: TransferRecord = {
          transferId: `${o.seed}-w${w}-${n}`,
          fromId,
          toId,
          amount: rng.int(1, 100),
          started: Date.now(),
        };
        records.push(r);
        try {
          await (w % 2 === 0 ? viaRepository(r) : viaJuggler(r));
          r.outcome = 'acked';
        } catch (err) {
          if (r.outcome === undefined) r.outcome = 'before-commit';
          r.code = codeOf(err);
          // A hung call may still be running: the worker stops here, the run is failed by the hung check.
          if (err instanceof HungCall) return;
          // As an application would, it does not spin on a server that is down.
          await sleep(rng.int(10, 50));
        }
        await sleep(rng.int(0, 5));
      }
    };

    // -------------------------------------------------------------------------------------------------------------
    // Readers: outside transactions
    // -------------------------------------------------------------------------------------------------------------
    const reads = {total: 0, ok: 0, failed: 0, byServer: {} as Record<string, number>};
    const readViolations: string[] = [];
    /** Per server (@@server_id): the ledger size seen by the last read that finished there, and when it finished. */
    const ledgerSeen = new Map<number, {rows: number; at: number}>();
    const seeLedger = (server: number, rows: number, started: number) => {
      const seen = ledgerSeen.get(server) ?? {rows: 0, at: 0};
      if (started > seen.at && rows < seen.rows) {
        readViolations.push(
          `the ledger shrank on server ${server}: ${rows} rows, after a read that saw ${seen.rows}`,
        );
      }
      if (rows >= seen.rows) ledgerSeen.set(server, {rows, at: Date.now()});
    };
    const reader = async (i: number): Promise<void> => {
      const rng = new SeededRandom(o.seed, `reader-${i}`);
      while (!stopping) {
        const started = Date.now();
        const which = rng.int(0, 5);
        reads.total++;
        try {
          if (which === 0) {
            const all = await call('read find accounts', () => accounts.find());
            const sum = all.reduce((s, a) => s + Number(a.balance), 0);
            if (all.length !== o.accounts || sum !== total) {
              readViolations.push(`find(): ${all.length} accounts, total ${sum}`);
            }
          } else if (which === 1) {
            const {count: n} = await call('read count accounts', () => accounts.count());
            if (n !== o.accounts) readViolations.push(`count(): ${n} accounts`);
          } else if (which === 2) {
            const rows = (await call('read sum', () =>
              accounts.execute('SELECT SUM(balance) AS total FROM `Account`', [], {
                readOnly: true,
              }),
            )) as {total: unknown}[];
            if (Number(rows[0]?.total) !== total) {
              readViolations.push(`SUM(balance) = ${String(rows[0]?.total)}`);
            }
          } else if (which === 3) {
            // Replicas and nodes may lag one another: the ledger only has to grow on each server.
            const rows = (await call('read count ledger', () =>
              transfers.execute('SELECT COUNT(*) AS n, @@server_id AS server FROM `Transfer`', [], {
                readOnly: true,
              }),
            )) as {n: unknown; server: unknown}[];
            seeLedger(Number(rows[0]?.server), Number(rows[0]?.n), started);
            count(reads.byServer, String(rows[0]?.server));
          } else if (which === 4) {
            // A larger result, for the resets in the middle of a response.
            await call('read ledger page', () => transfers.find({order: ['id DESC'], limit: 200}));
          } else {
            // A slower statement, for KILL QUERY to find.
            const rows = (await call('read slow sum', () =>
              accounts.execute('SELECT SUM(balance) AS total, SLEEP(0.3) AS s FROM `Account`', [], {
                readOnly: true,
              }),
            )) as {total: unknown}[];
            if (Number(rows[0]?.total) !== total) {
              readViolations.push(`slow SUM(balance) = ${String(rows[0]?.total)}`);
            }
          }
          reads.ok++;
        } catch (err) {
          reads.failed++;
          if (err instanceof HungCall) return;
        }
        await sleep(rng.int(5, 40));
      }
    };

    // -------------------------------------------------------------------------------------------------------------
    // Chaos
    // -------------------------------------------------------------------------------------------------------------
    const faults = Object.fromEntries(tgt.faultKinds.map((k) => [k, 0]));
    const faultDetails: Record<string, number> = {};
    /** Faults the target could not inject (or not undo): the run did not test what it says. */
    const injectFailures: string[] = [];
    const faultContext: FaultContext = {
      crashed: () => ledgerSeen.clear(),
      count: (detail, by) => count(faultDetails, detail, by),
    };

    const chaos = async (): Promise<void> => {
      const rng = new SeededRandom(o.seed, 'chaos');
      const t0 = Date.now();
      // Every kind once, in a seeded order (even past the time: the run must see each), then seeded picks until the
      // time is up.
      const plan = rng.shuffle(tgt.faultKinds);
      while (plan.length > 0 || Date.now() - t0 < o.seconds * 1000) {
        const kind = plan.shift() ?? rng.pick(tgt.faultKinds);
        const gap = rng.int(300, 1500);
        await sleep(gap);
        const at = Date.now() - t0;
        let what: string;
        try {
          what = await tgt.inject(kind, rng, faultContext);
        } catch (err) {
          what = `failed to inject: ${(err as Error).message}`;
          injectFailures.push(`${kind}: ${(err as Error).message}`);
        }
        count(faults, kind);
        const line = `+${(at / 1000).toFixed(1)}s ${kind}: ${what} (${Date.now() - t0 - at} ms)`;
        schedule.push(line);
        o.log(line);
      }
      // Back to a healthy network and every server.
      const healing = Date.now();
      let healed = 'every server back';
      try {
        await tgt.heal();
      } catch (err) {
        healed = `failed: ${(err as Error).message}`;
        injectFailures.push(`heal: ${(err as Error).message}`);
      }
      const line = `+${((healing - t0) / 1000).toFixed(1)}s healed: ${healed} (${Date.now() - healing} ms)`;
      schedule.push(line);
      o.log(line);
    };

    const workerRuns = [
      ...Array.from({length: o.workers}, (_, w) => worker(w)),
      ...Array.from({length: o.readers}, (_, i) => reader(i)),
    ];
    await chaos();
    faultsOverAt = Date.now();
    await sleep(o.recoveryMs);
    stopping = true;
    // Workers finish their current transfer; a hung call would have been given up at the hang cap.
    await within(Promise.all(workerRuns), hangCapMs + 1000);

    // -------------------------------------------------------------------------------------------------------------
    // Checks, against the server directly
    // -------------------------------------------------------------------------------------------------------------
    const invariants: InvariantResult[] = [];
    const check = (name: string, problems: string[], okDetail: string) =>
      invariants.push({
        name,
        ok: problems.length === 0,
        detail:
          problems.length === 0
            ? okDetail
            : `${problems.length}: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; ...' : ''}`,
      });

    const {record, others} = await tgt.checkpoint();
    const balances = await readBalances(record);
    const ledger = await readLedger(record);

    const sum = balances.reduce((s, a) => s + a.balance, 0);
    check(
      'total of all balances unchanged',
      sum === total && balances.length === o.accounts
        ? []
        : [`${balances.length} accounts, total ${sum}, expected ${total}`],
      `${total} across ${o.accounts} accounts`,
    );

    const rowsById = new Map<string, typeof ledger>();
    for (const row of ledger) {
      rowsById.set(row.transferId, [...(rowsById.get(row.transferId) ?? []), row]);
    }
    const byId = new Map(records.map((r) => [r.transferId, r]));
    const acked = records.filter((r) => r.outcome === 'acked');
    const beforeCommit = records.filter((r) => r.outcome === 'before-commit');
    const unknown = records.filter((r) => r.outcome === 'commit-unknown');

    const ackProblems: string[] = [];
    for (const r of acked) {
      const rows = rowsById.get(r.transferId) ?? [];
      if (rows.length !== 1) ackProblems.push(`${r.transferId}: ${rows.length} ledger rows`);
      else {
        const [row] = rows;
        if (row?.fromId !== r.fromId || row.toId !== r.toId || row.amount !== r.amount) {
          ackProblems.push(`${r.transferId}: ledger row ${JSON.stringify(row)}`);
        }
      }
    }
    check(
      'every acknowledged transfer is in the ledger exactly once',
      ackProblems,
      `${acked.length} acknowledged, each once`,
    );

    const doubled = [...rowsById].filter(([, rows]) => rows.length > 1).map(([id]) => id);
    const strangers = [...rowsById.keys()].filter((id) => !byId.has(id));
    check(
      'no transfer in the ledger twice, none the workers did not attempt',
      [...doubled.map((id) => `${id} twice`), ...strangers.map((id) => `${id} unknown`)],
      `${ledger.length} ledger rows, ${rowsById.size} transfer ids`,
    );

    // Each account: balance and operation count as its ledger rows say.
    const expected = new Map<number, {balance: number; ops: number}>(
      balances.map((a) => [a.id, {balance: o.initialBalance, ops: 0}]),
    );
    for (const row of ledger) {
      const from = expected.get(row.fromId);
      const to = expected.get(row.toId);
      if (from) {
        from.balance -= row.amount;
        from.ops++;
      }
      if (to) {
        to.balance += row.amount;
        to.ops++;
      }
    }
    const accountProblems = balances
      .filter((a) => {
        const e = expected.get(a.id);
        return e?.balance !== a.balance || e.ops !== a.ops;
      })
      .map((a) => {
        const e = expected.get(a.id);
        return `account ${a.id}: balance ${a.balance} ops ${a.ops}, the ledger says ${e?.balance} and ${e?.ops}`;
      });
    check(
      "every ledger row's two balance changes are applied once, and no change without its row",
      accountProblems,
      `${o.accounts} accounts match their ledger rows`,
    );

    const appliedBeforeCommit = beforeCommit.filter((r) => rowsById.has(r.transferId));
    check(
      'no transfer that failed before COMMIT is applied',
      appliedBeforeCommit.map((r) => `${r.transferId} (${r.code})`),
      `${beforeCommit.length} failed before COMMIT, none applied`,
    );
    const unknownApplied = unknown.filter((r) => rowsById.has(r.transferId));

    // The other servers: the same balances and the same ledger as the server of record.
    const convergeProblems: string[] = [];
    const ledgerIds = ledger.map((r) => r.transferId);
    for (const node of others) {
      try {
        const theirs = await readBalances(node);
        const differ = balances.filter((a, i) => {
          const b = theirs[i];
          return b?.id !== a.id || b.balance !== a.balance || b.ops !== a.ops;
        });
        if (differ.length > 0 || theirs.length !== balances.length) {
          const total = theirs.reduce((s, a) => s + a.balance, 0);
          convergeProblems.push(
            `${node.name}: ${theirs.length} accounts, total ${total}, ${differ.length} accounts differ from ${record.name}'s`,
          );
        }
        const theirIds = (await readLedger(node)).map((r) => r.transferId);
        const mine = new Set(ledgerIds);
        const their = new Set(theirIds);
        const missing = ledgerIds.filter((id) => !their.has(id)).length;
        const extra = theirIds.filter((id) => !mine.has(id)).length;
        if (theirIds.length !== ledgerIds.length || missing > 0 || extra > 0) {
          convergeProblems.push(
            `${node.name}: ${theirIds.length} ledger rows (${missing} of ${record.name}'s missing, ${extra} extra), ${record.name} has ${ledgerIds.length}`,
          );
        }
      } catch (err) {
        convergeProblems.push(`${node.name}: ${(err as Error).message}`);
      }
    }
    if (others.length > 0) {
      check(
        `every other server holds ${record.name}'s balances and ledger`,
        convergeProblems,
        `${others.map((n) => n.name).join(', ')}: the same ${o.accounts} accounts and ${ledger.length} ledger rows`,
      );
    }
    check(
      'every fault was injected and undone',
      injectFailures,
      `${Object.values(faults).reduce((a, b) => a + b, 0)} faults`,
    );

    const badErrors = calls
      .filter((c) => !c.ok)
      .filter(
        (c) =>
          c.code === 'undefined' ||
          typeof c.statusCode !== 'number' ||
          c.statusCode < 400 ||
          c.statusCode > 599,
      )
      .map((c) => `${c.label}: ${c.code}/${String(c.statusCode)} ${c.message}`);
    check(
      'every failure is an Error with a code and a 4xx/5xx statusCode',
      badErrors,
      `${calls.filter((c) => !c.ok).length} failed calls, all clear`,
    );

    const slow = calls
      .filter((c) => c.ms > boundMs)
      .map((c) => `${c.label} ${Math.round(c.ms)} ms (${c.ok ? 'ok' : c.code})`);
    check(
      `no call took longer than acquireTimeout + queryTimeout + 1 s (${boundMs} ms)`,
      [...slow, ...hung.map((label) => `${label} hung`)],
      `${calls.length} calls`,
    );

    if (tgt.readServers) {
      const expected = new Set(tgt.readServers.map(String));
      const counted = Object.values(reads.byServer).reduce((a, b) => a + b, 0);
      const there = Object.entries(reads.byServer)
        .filter(([server]) => expected.has(server))
        .reduce((a, [, n]) => a + n, 0);
      check(
        `most reads outside transactions went to servers ${[...expected].join(', ')}`,
        there * 2 > counted ? [] : [`${there} of ${counted}: ${JSON.stringify(reads.byServer)}`],
        `${there} of ${counted} ledger counts`,
      );
    }
    check(
      'reads outside transactions saw the same total and a ledger that never shrank',
      readViolations,
      `${reads.ok} reads`,
    );

    // The pool: every connection back, and all connectionLimit of them usable at once.
    const poolProblems: string[] = [];
    const {all, free, queued} = poolState(ds.connector);
    if (all !== free || queued !== 0) {
      poolProblems.push(`${all} connections, ${free} free, ${queued} calls waiting`);
    }
    try {
      const txs = await Promise.all(
        Array.from({length: o.connectionLimit}, () =>
          call('after: begin', () =>
            accounts.beginTransaction({isolationLevel: IsolationLevel.READ_COMMITTED}),
          ),
        ),
      );
      for (const tx of txs) await call('after: count', () => accounts.count({}, {transaction: tx}));
      for (const tx of txs) await call('after: commit', () => tx.commit());
      const [row] = (await call('after: execute', () => ds!.execute('SELECT 1 AS one'))) as {
        one: number;
      }[];
      if (row?.one !== 1) poolProblems.push(`SELECT 1 gave ${JSON.stringify(row)}`);
    } catch (err) {
      poolProblems.push(`calls after the run failed: ${codeOf(err)} ${(err as Error).message}`);
    }
    check(
      `the pool ends with every connection released (connectionLimit ${o.connectionLimit} serves transactions at once)`,
      poolProblems,
      `${all} connections, all free; ${o.connectionLimit} transactions at once afterwards`,
    );

    const ackedAfter = acked.filter((r) => r.started >= faultsOverAt);
    check(
      'transfers succeed again once the faults are over',
      ackedAfter.length > 0 ? [] : ['no transfer started after the faults was acknowledged'],
      `${ackedAfter.length} acknowledged after the faults`,
    );

    // disconnect() ends the pool within its bound, whatever the network did to the connections.
    const closing = Date.now();
    let closed = false;
    const open = ds;
    ds = undefined;
    await within(
      open.disconnect().then(() => (closed = true)),
      15000,
    );
    const closeMs = Date.now() - closing;
    check(
      'disconnect() settles (the pool ends)',
      closed ? [] : [`disconnect() had not settled after ${closeMs} ms`],
      `in ${closeMs} ms`,
    );
    await sleep(100);

    check('no unhandledRejection or uncaughtException', processErrors, 'none');

    const failedCalls = calls.filter((c) => !c.ok && !(c.code === 'TEST_HUNG_CALL'));
    const slowestFailure = failedCalls.reduce<CallRecord | undefined>(
      (a, c) => (a === undefined || c.ms > a.ms ? c : a),
      undefined,
    );
    const slowestCall = calls.reduce<CallRecord | undefined>(
      (a, c) => (a === undefined || c.ms > a.ms ? c : a),
      undefined,
    );
    const failedByCode: Record<string, number> = {};
    for (const r of records) if (r.outcome !== 'acked') count(failedByCode, r.code ?? '?');
    const callFailures: Record<string, number> = {};
    const messages: Record<string, string> = {};
    for (const c of failedCalls) {
      const code = `${c.code}/${String(c.statusCode)}`;
      count(callFailures, code);
      messages[code] ??= `${c.label}: ${String(c.message).slice(0, 200)}`;
    }

    return {
      target: tgt.name,
      seed: o.seed,
      seconds: o.seconds,
      transfers: {
        attempted: records.length,
        acknowledged: acked.length,
        failed: records.length - acked.length,
        failedByCode,
        failedBeforeCommit: beforeCommit.length,
        commitUnknown: unknown.length,
        commitUnknownApplied: unknownApplied.length,
        acknowledgedAfterFaults: ackedAfter.length,
      },
      calls: {
        total: calls.length,
        failed: failedCalls.length,
        failedByCode: callFailures,
        messages,
        slowestFailure: slowestFailure && {
          label: slowestFailure.label,
          ms: Math.round(slowestFailure.ms),
          code: `${slowestFailure.code}/${String(slowestFailure.statusCode)}`,
        },
        slowestCall: slowestCall && {label: slowestCall.label, ms: Math.round(slowestCall.ms)},
        boundMs,
      },
      reads,
      faults,
      faultDetails: {...faultDetails, ...tgt.details()},
      schedule,
      ledgerRows: ledger.length,
      invariants,
    };
  } catch (err) {
    throw new Error(
      `the bank run on ${target?.name ?? 'its target'} ended early: ${(err as Error).message}\n` +
        `schedule:\n${schedule.map((s) => `  ${s}`).join('\n')}`,
      {cause: err},
    );
  } finally {
    try {
      if (ds) await within(ds.disconnect(), 10000);
    } finally {
      await target?.destroy();
      // Late errors of this run (a socket closed during the disconnect) would otherwise go unseen.
      await sleep(50);
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUncaught);
    }
  }
}

interface Balance {
  readonly id: number;
  readonly balance: number;
  readonly ops: number;
}
interface LedgerRow {
  readonly transferId: string;
  readonly fromId: number;
  readonly toId: number;
  readonly amount: number;
}

async function readBalances(node: CheckNode): Promise<Balance[]> {
  const rows = await node.query(
    `SELECT id, balance, ops FROM \`${BANK_DATABASE}\`.\`Account\` ORDER BY id`,
  );
  return rows.map((r) => ({id: Number(r.id), balance: Number(r.balance), ops: Number(r.ops)}));
}

async function readLedger(node: CheckNode): Promise<LedgerRow[]> {
  const rows = await node.query(
    `SELECT transferId, fromId, toId, amount FROM \`${BANK_DATABASE}\`.\`Transfer\``,
  );
  return rows.map((r) => ({
    transferId: String(r.transferId),
    fromId: Number(r.fromId),
    toId: Number(r.toId),
    amount: Number(r.amount),
  }));
}

/** mysql2's internals of a pool (its queues have a length). */
interface PoolInternals {
  _allConnections?: {length: number};
  _freeConnections?: {length: number};
  _connectionQueue?: {length: number};
  /** A PoolCluster: one pool per node. */
  _nodes?: Record<string, {pool?: PoolInternals}>;
}

/**
 * Connections of every pool of the data source (the primary's pool, the replicas' or nodes' PoolCluster): open, free,
 * and calls waiting for one. -1 when the connector holds no pool.
 */
function poolState(connectorInstance: unknown): {all: number; free: number; queued: number} {
  const c = connectorInstance as {client?: PoolInternals; topology?: {cluster?: PoolInternals}};
  const pools: PoolInternals[] = [];
  const add = (p: PoolInternals | undefined) => {
    if (!p) return;
    if (p._nodes) for (const node of Object.values(p._nodes)) add(node.pool);
    else pools.push(p);
  };
  add(c.client);
  add(c.topology?.cluster);
  if (pools.length === 0) return {all: -1, free: -1, queued: -1};
  const sum = (f: (p: PoolInternals) => number | undefined) =>
    pools.reduce((n, p) => n + (f(p) ?? Number.NaN), 0);
  return {
    all: sum((p) => p._allConnections?.length),
    free: sum((p) => p._freeConnections?.length),
    queued: sum((p) => p._connectionQueue?.length),
  };
}

/**
 * What bank.test.ts and bank-topologies.test.ts assert of a run: every invariant held, and it really was a chaos run
 * (every kind of fault, transfers that failed, and many that went through).
 */
export function assertBank(report: BankReport): void {
  const failed = report.invariants.filter((i) => !i.ok);
  assert.deepEqual(
    failed.map((i) => `${i.name}: ${i.detail}`),
    [],
    `invariants broken on ${report.target} (seed ${report.seed})`,
  );
  for (const [kind, n] of Object.entries(report.faults)) {
    assert.ok(n > 0, `no ${kind} fault was injected`);
  }
  assert.ok(report.transfers.failed > 0, 'no transfer failed: the faults did not reach the calls');
  assert.ok(
    report.transfers.acknowledged > 100,
    `only ${report.transfers.acknowledged} transfers acknowledged`,
  );
}

/** The report as text: what the summary prints. */
export function formatReport(r: BankReport): string {
  const lines = [
    `bank chaos on ${r.target}: seed ${r.seed} (CHAOS_SEED=${r.seed} replays the fault schedule), ${r.seconds} s of faults`,
    `  transfers: ${r.transfers.attempted} attempted, ${r.transfers.acknowledged} acknowledged, ${r.transfers.failed} failed ` +
      `(${r.transfers.failedBeforeCommit} before COMMIT, ${r.transfers.commitUnknown} with an unknown COMMIT outcome, ` +
      `${r.transfers.commitUnknownApplied} of which applied); ${r.transfers.acknowledgedAfterFaults} acknowledged after the faults`,
    `  transfers failed by code: ${JSON.stringify(r.transfers.failedByCode)}`,
    `  calls: ${r.calls.total}, ${r.calls.failed} failed ${JSON.stringify(r.calls.failedByCode)}; ` +
      `slowest failure ${r.calls.slowestFailure ? `${r.calls.slowestFailure.ms} ms (${r.calls.slowestFailure.label}, ${r.calls.slowestFailure.code})` : 'none'}, ` +
      `slowest call ${r.calls.slowestCall ? `${r.calls.slowestCall.ms} ms (${r.calls.slowestCall.label})` : 'none'}; bound ${r.calls.boundMs} ms`,
    '  failures, one message per code:',
    ...Object.entries(r.calls.messages).map(([code, message]) => `    ${code}  ${message}`),
    `  reads: ${r.reads.total}, ${r.reads.ok} ok, ${r.reads.failed} failed; ledger counts by @@server_id ` +
      `${JSON.stringify(r.reads.byServer)}; ledger rows ${r.ledgerRows}`,
    `  faults injected: ${JSON.stringify(r.faults)}`,
    `  fault effects: ${JSON.stringify(r.faultDetails)}`,
    '  schedule:',
    ...r.schedule.map((s) => `    ${s}`),
    '  invariants:',
    ...r.invariants.map((i) => `    ${i.ok ? 'ok  ' : 'FAIL'} ${i.name}: ${i.detail}`),
  ];
  return lines.join('\n');
}
