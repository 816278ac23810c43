/*
 * A small TCP proxy on a free loopback port, between the connector and a test server, that injects network faults
 * on demand: added latency, connections that stall and never answer again, a reset in the middle of a result, and
 * refused connections for a while. For the chaos and hostile-network tests; it only ever listens on 127.0.0.1.
 */
import net from 'node:net';
import {freePort} from './processes';

/** What the proxy has done so far. */
export interface ProxyStats {
  /** Client connections accepted. */
  accepted: number;
  /** Connections blackholed by stallAll(), or accepted while stallNew() was on. */
  stalled: number;
  /** Connections cut by a reset in the middle of a server response. */
  reset: number;
  /** Client connections whose server could not be reached (server down). */
  upstreamFailed: number;
}

/** One client connection and its server connection. */
interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  stalled: boolean;
  readonly toClient: DelayQueue;
  readonly toServer: DelayQueue;
}

/**
 * Chunks written to a socket after a delay, in order: a chunk is never written before one that came earlier, even
 * when the delay shrinks in between.
 */
class DelayQueue {
  private readonly items: {due: number; chunk: Buffer}[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;

  constructor(private readonly write: (chunk: Buffer) => void) {}

  push(chunk: Buffer, delayMs: number): void {
    if (delayMs <= 0 && this.items.length === 0) return this.write(chunk);
    const due = Math.max(Date.now() + delayMs, this.lastDue);
    this.lastDue = due;
    this.items.push({due, chunk});
    this.schedule();
  }

  clear(): void {
    this.items.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.items.length === 0) return;
    const wait = Math.max(0, (this.items[0]?.due ?? 0) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.items.length > 0 && (this.items[0]?.due ?? 0) <= now) {
        this.write((this.items.shift() as {chunk: Buffer}).chunk);
      }
      this.schedule();
    }, wait);
  }
}

export class TcpProxy {
  readonly stats: ProxyStats = {accepted: 0, stalled: 0, reset: 0, upstreamFailed: 0};
  private listener: net.Server | undefined;
  private readonly pairs = new Set<Pair>();
  private latencyMs = 0;
  private stallingNew = false;
  private resetsArmed = 0;
  private refuseTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly port: number,
    private readonly target: {readonly host: string; readonly port: number},
  ) {}

  /** A proxy on a free port of 127.0.0.1 that forwards to `target`. */
  static async start(target: {host: string; port: number}): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.listen();
    return proxy;
  }

  readonly host = '127.0.0.1';

  /** Client connections open now (stalled ones included). */
  get open(): number {
    return this.pairs.size;
  }

  /** Delay added to every chunk, both ways, from now on (0: none). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Every open connection stops forwarding, both ways, for good: calls on it never get an answer. */
  stallAll(): number {
    let n = 0;
    for (const pair of this.pairs) {
      if (pair.stalled) continue;
      pair.stalled = true;
      pair.toClient.clear();
      pair.toServer.clear();
      n++;
    }
    this.stats.stalled += n;
    return n;
  }

  /** While on, new connections are accepted and then never answered (no handshake ever arrives). */
  stallNew(on: boolean): void {
    this.stallingNew = on;
  }

  /**
   * The next `count` server responses of at least `minBytes` bytes are cut in the middle: the first half reaches the
   * client, then its connection is reset (RST) and the server's is closed.
   */
  armResets(count: number, minBytes = 64): void {
    this.resetsArmed = count;
    this.resetMinBytes = minBytes;
  }

  private resetMinBytes = 64;

  /** Resets still armed (not yet triggered by a large enough response). */
  get pendingResets(): number {
    return this.resetsArmed;
  }

  /** Stops listening for `ms`: connection attempts are refused (ECONNREFUSED); open connections go on. */
  refuse(ms: number): Promise<void> {
    this.stopListening();
    return new Promise((resolve) => {
      this.refuseTimer = setTimeout(() => {
        this.refuseTimer = undefined;
        if (this.closed) return resolve();
        this.listen().then(resolve, () => resolve());
      }, ms);
    });
  }

  /** Back to a clean pipe: no latency, no stalling of new connections, no armed resets (stalled ones stay so). */
  heal(): void {
    this.latencyMs = 0;
    this.stallingNew = false;
    this.resetsArmed = 0;
  }

  /** Resets every open connection (the client gets an RST, the server a close). */
  resetAll(): number {
    const n = this.pairs.size;
    for (const pair of this.pairs) this.drop(pair, true);
    return n;
  }

  /** Closes every connection (reset) and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refuseTimer) clearTimeout(this.refuseTimer);
    for (const pair of this.pairs) this.drop(pair, true);
    await new Promise<void>((resolve) => {
      const l = this.listener;
      this.listener = undefined;
      if (!l) return resolve();
      l.close(() => resolve());
    });
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        this.listener = server;
        resolve();
      });
    });
  }

  private stopListening(): void {
    const l = this.listener;
    this.listener = undefined;
    // close() stops accepting at once; its callback would wait for the open connections, which go on.
    l?.close();
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.setNoDelay(true);
    const pair: Pair = {
      client,
      upstream: undefined,
      stalled: false,
      toClient: new DelayQueue((chunk) => client.write(chunk)),
      toServer: new DelayQueue((chunk) => pair.upstream?.write(chunk)),
    };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(pair, false));
    if (this.stallingNew) {
      pair.stalled = true;
      this.stats.stalled++;
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    let connected = false;
    upstream.on('connect', () => (connected = true));
    upstream.on('error', () => {
      if (!connected) this.stats.upstreamFailed++;
    });
    // A stalled connection stays silent even when its server goes away: the client must notice by itself.
    upstream.on('close', () => (pair.stalled ? undefined : this.drop(pair, false)));
    client.on('data', (chunk: Buffer) => {
      if (!pair.stalled) pair.toServer.push(chunk, this.latencyMs);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (pair.stalled) return;
      if (this.resetsArmed > 0 && chunk.length >= this.resetMinBytes) {
        this.resetsArmed--;
        this.stats.reset++;
        pair.stalled = true;
        pair.toClient.clear();
        client.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => this.drop(pair, true));
        return;
      }
      pair.toClient.push(chunk, this.latencyMs);
    });
  }

  /** Closes both sides of a pair; `reset` sends the client an RST instead of a FIN. */
  private drop(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    pair.toClient.clear();
    pair.toServer.clear();
    if (reset && !pair.client.destroyed) pair.client.resetAndDestroy();
    else pair.client.destroy();
    pair.upstream?.destroy();
  }
}
