/*
 * The bank: accounts with balances, workers that move random amounts between random accounts (each transfer one
 * transaction through the connector, with a ledger row of its own transfer id), readers outside transactions, and a
 * chaos loop that breaks things on a seeded schedule: KILL CONNECTION, KILL QUERY, a clean restart, kill -9 and a
 * restart, and network faults through a TCP proxy between the connector and a private server (latency, stalled
 * connections that never answer, a reset in the middle of a result, refused connections).
 *
 * runBank() runs it once and returns what happened and which invariants held; bank.test.ts runs it per server kind
 * and asserts. Checked against the server directly, not through the connector:
 * - the total of all balances never changes;
 * - every acknowledged transfer is in the ledger exactly once, and each account's balance and operation count are
 *   what its ledger rows say (so every ledger row's two balance changes are applied, once, and none without a row);
 * - a transfer that failed before COMMIT was sent is not applied at all; one whose COMMIT failed (outcome unknown)
 *   is applied once or not at all;
 * - every call settles within acquireTimeout + queryTimeout + a margin, and every failure is an Error with a string
 *   code and a 4xx/5xx statusCode;
 * - the pool ends with every connection released and serves `connectionLimit` transactions at once afterwards;
 * - the process sees no unhandledRejection or uncaughtException;
 * - reads outside transactions always see the same total (each statement is a consistent snapshot) and a ledger
 *   that never shrinks between two crashes of the server.
 */
import {
  DefaultCrudRepository,
  DefaultTransactionalRepository,
  Entity,
  IsolationLevel,
  ModelDefinition,
  juggler,
} from '@loopback/repository';
import * as connector from '../../src';
import {type PrivateServer, startPrivateServer} from '../helpers/private-server';
import {SeededRandom} from '../helpers/seeded-random';
import {TcpProxy} from '../helpers/tcp-proxy';
import type {ServerKind} from '../servers/kinds';

export const FAULT_KINDS = [
  'kill-connection',
  'kill-query',
  'restart',
  'kill-9',
  'latency',
  'stall',
  'reset',
  'refuse',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface BankOptions {
  readonly kind: ServerKind;
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
  readonly kind: string;
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
    slowestFailure: {label: string; ms: number; code: string} | undefined;
    slowestCall: {label: string; ms: number} | undefined;
    boundMs: number;
  };
  readonly reads: {total: number; ok: number; failed: number};
  readonly faults: Record<FaultKind, number>;
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

/** The code a failure is counted under: `code/statusCode`. */
function codeOf(err: unknown): string {
  const e = err as {code?: unknown; statusCode?: unknown};
  return `${String(e?.code)}/${String(e?.statusCode)}`;
}

function count(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

const DATABASE = 'lbts_bank';
const APP_USER = 'lbts_bank';
const APP_PASSWORD = 'bank-Chaos-Secret-7';

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

  let server: PrivateServer | undefined;
  let proxy: TcpProxy | undefined;
  let ds: juggler.DataSource | undefined;
  try {
    server = await startPrivateServer({kind: o.kind});
    await server.query(`CREATE DATABASE ${DATABASE}`);
    await server.query(`CREATE USER '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}'`);
    await server.query(`GRANT ALL ON ${DATABASE}.* TO '${APP_USER}'@'%'`);
    proxy = await TcpProxy.start({host: server.host, port: server.port});

    ds = new juggler.DataSource({
      name: 'bank',
      connector,
      host: proxy.host,
      port: proxy.port,
      user: APP_USER,
      password: APP_PASSWORD,
      database: DATABASE,
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
    const reads = {total: 0, ok: 0, failed: 0};
    const readViolations: string[] = [];
    /** The ledger size seen by the last read that finished, and when it finished. */
    let ledgerSeen = {rows: 0, at: 0};
    const seeLedger = (rows: number, started: number) => {
      if (started > ledgerSeen.at && rows < ledgerSeen.rows) {
        readViolations.push(
          `the ledger shrank: ${rows} rows, after a read that saw ${ledgerSeen.rows}`,
        );
      }
      if (rows >= ledgerSeen.rows) ledgerSeen = {rows, at: Date.now()};
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
            const {count: n} = await call('read count ledger', () => transfers.count());
            seeLedger(n, started);
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
    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    const faultDetails: Record<string, number> = {};
    const schedule: string[] = [];
    const srv = server;
    const px = proxy;

    /** Connections of the application user that are running a statement or hold an open transaction. */
    const connectionsInUse = async (): Promise<number[]> => {
      const rows: {id: unknown}[] = await srv.query(
        `SELECT p.ID AS id FROM information_schema.PROCESSLIST p WHERE p.USER = '${APP_USER}' AND ` +
          `(p.COMMAND = 'Query' OR p.ID IN (SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX)) ` +
          'ORDER BY p.ID',
      );
      return rows.map((r) => Number(r.id));
    };

    const inject = async (kind: FaultKind, rng: SeededRandom): Promise<string> => {
      switch (kind) {
        case 'kill-connection': {
          const n = rng.int(1, 2);
          let ids = await connectionsInUse();
          if (ids.length === 0) {
            const rows: {id: unknown}[] = await srv.query(
              `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = '${APP_USER}' ORDER BY ID`,
            );
            ids = rows.map((r) => Number(r.id));
          }
          const victims = rng.shuffle(ids).slice(0, n);
          for (const id of victims) await srv.query(`KILL CONNECTION ${id}`).catch(() => undefined);
          count(faultDetails, 'connections killed', victims.length);
          return `KILL CONNECTION ${victims.join(', ') || '(none open)'}`;
        }
        case 'kill-query': {
          // Wait (briefly) for a statement to be running, then stop it.
          const deadline = Date.now() + 1500;
          let victims: number[] = [];
          while (victims.length === 0 && Date.now() < deadline) {
            const rows: {id: unknown}[] = await srv.query(
              `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = '${APP_USER}' ` +
                `AND COMMAND = 'Query' ORDER BY ID`,
            );
            victims = rows.map((r) => Number(r.id));
            if (victims.length === 0) await sleep(20);
          }
          const picked = victims.length > 0 ? [rng.pick(victims)] : [];
          for (const id of picked) await srv.query(`KILL QUERY ${id}`).catch(() => undefined);
          count(faultDetails, 'queries killed', picked.length);
          return `KILL QUERY ${picked.join(', ') || '(none running)'}`;
        }
        case 'restart': {
          const downMs = rng.int(200, 1500);
          await srv.stop();
          await sleep(downMs);
          await srv.restart();
          return `clean restart, down ${downMs} ms before the start`;
        }
        case 'kill-9': {
          const downMs = rng.int(200, 1500);
          await srv.kill();
          // InnoDB makes a commit visible a moment before it is durable: a row a reader saw just before the crash
          // may be gone after it (its COMMIT was never acknowledged). The ledger only has to grow from here.
          ledgerSeen = {rows: 0, at: Date.now()};
          await sleep(downMs);
          await srv.restart();
          return `kill -9, down ${downMs} ms before the start`;
        }
        case 'latency': {
          const ms = rng.int(20, 300);
          const forMs = rng.int(1000, 3000);
          px.setLatency(ms);
          await sleep(forMs);
          px.setLatency(0);
          return `latency ${ms} ms each way for ${forMs} ms`;
        }
        case 'stall': {
          const forMs = rng.int(500, 2500);
          const n = px.stallAll();
          px.stallNew(true);
          await sleep(forMs);
          px.stallNew(false);
          count(faultDetails, 'connections stalled', n);
          return `${n} open connections stalled for good, new ones stalled for ${forMs} ms`;
        }
        case 'reset': {
          const n = rng.int(1, 3);
          px.armResets(n);
          const deadline = Date.now() + 3000;
          while (px.pendingResets > 0 && Date.now() < deadline) await sleep(20);
          const done = n - px.pendingResets;
          px.armResets(0);
          count(faultDetails, 'connections reset mid-response', done);
          return `${done} of ${n} armed resets mid-response`;
        }
        case 'refuse': {
          // The network drops the open connections, then refuses new ones for a while.
          const forMs = rng.int(1000, 3000);
          const refusing = px.refuse(forMs);
          const n = px.resetAll();
          await refusing;
          return `${n} open connections reset, new ones refused for ${forMs} ms`;
        }
      }
    };

    const chaos = async (): Promise<void> => {
      const rng = new SeededRandom(o.seed, 'chaos');
      const t0 = Date.now();
      // Every kind once, in a seeded order (even past the time: the run must see each), then seeded picks until the
      // time is up.
      const plan = rng.shuffle(FAULT_KINDS);
      while (plan.length > 0 || Date.now() - t0 < o.seconds * 1000) {
        const kind = plan.shift() ?? rng.pick(FAULT_KINDS);
        const gap = rng.int(300, 1500);
        await sleep(gap);
        const at = Date.now() - t0;
        let what: string;
        try {
          what = await inject(kind, rng);
        } catch (err) {
          what = `failed to inject: ${(err as Error).message}`;
        }
        faults[kind]++;
        const line = `+${(at / 1000).toFixed(1)}s ${kind}: ${what} (${Date.now() - t0 - at} ms)`;
        schedule.push(line);
        o.log(line);
      }
      // Back to a healthy network and server.
      px.heal();
      if (!srv.running) await srv.restart();
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
    await Promise.race([Promise.all(workerRuns), sleep(hangCapMs + 1000)]);

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

    const balances: {id: number; balance: number; ops: number}[] = (
      await srv.query('SELECT id, balance, ops FROM `Account` ORDER BY id', DATABASE)
    ).map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      balance: Number(r.balance),
      ops: Number(r.ops),
    }));
    const ledger: {transferId: string; fromId: number; toId: number; amount: number}[] = (
      await srv.query('SELECT transferId, fromId, toId, amount FROM `Transfer`', DATABASE)
    ).map((r: Record<string, unknown>) => ({
      transferId: String(r.transferId),
      fromId: Number(r.fromId),
      toId: Number(r.toId),
      amount: Number(r.amount),
    }));

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

    check(
      'reads outside transactions saw the same total and a ledger that never shrank',
      readViolations,
      `${reads.ok} reads`,
    );

    // The pool: every connection back, and all connectionLimit of them usable at once.
    const poolProblems: string[] = [];
    const pool = (ds.connector as unknown as {client?: Record<string, {length: number}>}).client;
    const all = pool?._allConnections?.length ?? -1;
    const free = pool?._freeConnections?.length ?? -1;
    const queued = pool?._connectionQueue?.length ?? -1;
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
    await Promise.race([open.disconnect().then(() => (closed = true)), sleep(15000)]);
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
    for (const c of failedCalls) count(callFailures, `${c.code}/${String(c.statusCode)}`);

    return {
      kind: o.kind.name,
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
      faultDetails: {...faultDetails, ...proxyDetails(px)},
      schedule,
      ledgerRows: ledger.length,
      invariants,
    };
  } finally {
    try {
      if (ds) await Promise.race([ds.disconnect(), sleep(10000)]);
    } finally {
      try {
        await proxy?.close();
      } finally {
        await server?.destroy();
        // Late errors of this run (a socket closed during the disconnect) would otherwise go unseen.
        await sleep(50);
        process.off('unhandledRejection', onUnhandled);
        process.off('uncaughtException', onUncaught);
      }
    }
  }
}

function proxyDetails(px: TcpProxy): Record<string, number> {
  return {
    'proxy: connections accepted': px.stats.accepted,
    'proxy: server unreachable': px.stats.upstreamFailed,
  };
}

/** The report as text: what the summary prints. */
export function formatReport(r: BankReport): string {
  const lines = [
    `bank chaos on ${r.kind}: seed ${r.seed} (CHAOS_SEED=${r.seed} replays the fault schedule), ${r.seconds} s of faults`,
    `  transfers: ${r.transfers.attempted} attempted, ${r.transfers.acknowledged} acknowledged, ${r.transfers.failed} failed ` +
      `(${r.transfers.failedBeforeCommit} before COMMIT, ${r.transfers.commitUnknown} with an unknown COMMIT outcome, ` +
      `${r.transfers.commitUnknownApplied} of which applied); ${r.transfers.acknowledgedAfterFaults} acknowledged after the faults`,
    `  transfers failed by code: ${JSON.stringify(r.transfers.failedByCode)}`,
    `  calls: ${r.calls.total}, ${r.calls.failed} failed ${JSON.stringify(r.calls.failedByCode)}; ` +
      `slowest failure ${r.calls.slowestFailure ? `${r.calls.slowestFailure.ms} ms (${r.calls.slowestFailure.label}, ${r.calls.slowestFailure.code})` : 'none'}, ` +
      `slowest call ${r.calls.slowestCall ? `${r.calls.slowestCall.ms} ms (${r.calls.slowestCall.label})` : 'none'}; bound ${r.calls.boundMs} ms`,
    `  reads: ${r.reads.total}, ${r.reads.ok} ok, ${r.reads.failed} failed; ledger rows ${r.ledgerRows}`,
    `  faults injected: ${JSON.stringify(r.faults)}`,
    `  fault effects: ${JSON.stringify(r.faultDetails)}`,
    '  schedule:',
    ...r.schedule.map((s) => `    ${s}`),
    '  invariants:',
    ...r.invariants.map((i) => `    ${i.ok ? 'ok  ' : 'FAIL'} ${i.name}: ${i.detail}`),
  ];
  return lines.join('\n');
}
