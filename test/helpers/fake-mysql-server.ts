/*
 * A fake MySQL server on a free loopback port, written against the client/server protocol by hand so that a test
 * controls every byte: the greeting (with or without TLS), the login, and each answer (result sets, OK and ERR
 * packets, a LOAD DATA LOCAL INFILE request, malformed packets, results that never end). It records what the client
 * sent, on the wire and inside TLS, so a test can tell whether credentials or file contents ever left the client.
 *
 * Protocol: https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html (HandshakeV10, SSLRequest,
 * HandshakeResponse41, COM_QUERY, text result sets with EOF packets, LOCAL INFILE request).
 */
import net from 'node:net';
import {Duplex} from 'node:stream';
import tls from 'node:tls';
import {freePort} from './processes';

/** Capability flags (the subset this server speaks). */
export const CLIENT = {
  LONG_PASSWORD: 0x1,
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  LOCAL_FILES: 0x80,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_STATEMENTS: 0x10000,
  MULTI_RESULTS: 0x20000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
} as const;

/** Column types used by the fake result sets. */
export const TYPE = {LONG: 0x03, LONGLONG: 0x08, VAR_STRING: 0xfd} as const;

const SERVER_STATUS_AUTOCOMMIT = 0x0002;

/** The login the client sent (HandshakeResponse41), as far as the tests need it. */
export interface LoginRecord {
  readonly flags: number;
  readonly user: string;
  readonly authResponse: Buffer;
  readonly database: string | undefined;
}

/** One client connection, as the server saw it. */
export interface ConnectionRecord {
  readonly id: number;
  /** Every byte received on the TCP socket (TLS records included, encrypted). */
  wire: Buffer;
  /** Every packet payload received at the protocol layer (decrypted, after TLS), in order. */
  readonly packets: Buffer[];
  /** The client asked to switch to TLS (SSLRequest). */
  sslRequested: boolean;
  /** The TLS handshake completed. */
  secure: boolean;
  /** The client's login, when it sent one. */
  login: LoginRecord | undefined;
  /** The statements received (COM_QUERY). */
  readonly queries: string[];
}

/** What a query handler uses to answer. */
export interface Responder {
  readonly connection: ConnectionRecord;
  /** An OK packet. */
  ok(affectedRows?: number, insertId?: number): void;
  /** An ERR packet. */
  error(errno: number, sqlState: string, message: string): void;
  /** A text result set: column definitions, EOF, rows (null: SQL NULL), EOF. */
  resultSet(
    columns: readonly (string | {name: string; type: number})[],
    rows: readonly (readonly (string | null)[])[],
  ): void;
  /** The parts of a result set, for tests that break it: the column-count packet. */
  columnCount(n: number): void;
  columnDefinition(name: string, type?: number): void;
  eof(): void;
  row(values: readonly (string | null)[]): void;
  /** A packet with this payload and the next sequence id. */
  packet(payload: Buffer): void;
  /** Bytes as they are, without framing. */
  raw(bytes: Buffer): void;
  /** Asks the client for a local file (LOAD DATA LOCAL INFILE response); `then` gets what the client sent back. */
  requestLocalFile(path: string, then: (content: Buffer, packets: Buffer[]) => void): void;
  /** Closes the connection. */
  close(): void;
}

export type QueryHandler = (sql: string, respond: Responder) => void;

export interface FakeServerOptions {
  /** Offer TLS with this key and certificate (PEM). Without it the greeting has no SSL capability. */
  readonly tls?: {key: string; cert: string};
  /** The server version of the greeting. */
  readonly version?: string;
  /** Answers statements; the default answers the connector's server-info query and OKs anything else. */
  readonly onQuery?: QueryHandler;
  /** Answers the login (default: OK). */
  readonly onLogin?: (login: LoginRecord, respond: Responder) => void;
  /** Bytes sent instead of the MySQL greeting (a server that speaks something else). */
  readonly greeting?: Buffer;
}

function lenencInt(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

function lenencString(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([lenencInt(bytes.length), bytes]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** Reads a length-encoded integer at `offset`: [value, next offset]. */
function readLenenc(buf: Buffer, offset: number): [number, number] {
  const first = buf[offset] ?? 0;
  if (first < 0xfb) return [first, offset + 1];
  if (first === 0xfc) return [buf.readUInt16LE(offset + 1), offset + 3];
  if (first === 0xfd) return [buf.readUIntLE(offset + 1, 3), offset + 4];
  return [Number(buf.readBigUInt64LE(offset + 1)), offset + 9];
}

function parseLogin(payload: Buffer): LoginRecord {
  const flags = payload.readUInt32LE(0);
  let offset = 32;
  const userEnd = payload.indexOf(0, offset);
  const user = payload.subarray(offset, userEnd).toString('utf8');
  offset = userEnd + 1;
  let authLength: number;
  if (flags & CLIENT.PLUGIN_AUTH_LENENC_CLIENT_DATA)
    [authLength, offset] = readLenenc(payload, offset);
  else {
    authLength = payload[offset] ?? 0;
    offset++;
  }
  const authResponse = Buffer.from(payload.subarray(offset, offset + authLength));
  offset += authLength;
  let database: string | undefined;
  if (flags & CLIENT.CONNECT_WITH_DB && offset < payload.length) {
    const end = payload.indexOf(0, offset);
    database = payload.subarray(offset, end < 0 ? payload.length : end).toString('utf8');
  }
  return {flags, user, authResponse, database};
}

/** The default answers: the connector's server-info query, then OK for anything else. */
export const defaultQueryHandler: QueryHandler = (sql, respond) => {
  if (/^SELECT VERSION\(\) AS version/.test(sql)) {
    respond.resultSet(
      ['version', 'comment', 'autoIncrementIncrement', 'maxAllowedPacket'],
      [['8.0.99-fake', 'fake server of the test suite', '1', '4194304']],
    );
  } else if (/^SELECT 1 AS one$/.test(sql)) {
    respond.resultSet([{name: 'one', type: TYPE.LONGLONG}], [['1']]);
  } else respond.ok();
};

export class FakeMySqlServer {
  readonly host = '127.0.0.1';
  readonly connections: ConnectionRecord[] = [];
  /** Answers statements from now on (tests swap it between a hostile and a good server). */
  onQuery: QueryHandler;
  private readonly sockets = new Set<net.Socket>();
  private nextId = 100;

  private constructor(
    readonly port: number,
    private readonly server: net.Server,
    private readonly options: FakeServerOptions,
  ) {
    this.onQuery = options.onQuery ?? defaultQueryHandler;
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeMySqlServer> {
    const port = await freePort();
    const server = net.createServer();
    const fake = new FakeMySqlServer(port, server, options);
    server.on('connection', (socket) => fake.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const record: ConnectionRecord = {
      id: this.nextId++,
      wire: Buffer.alloc(0),
      packets: [],
      sslRequested: false,
      secure: false,
      login: undefined,
      queries: [],
    };
    this.connections.push(record);
    socket.on('data', (chunk: Buffer) => {
      record.wire = Buffer.concat([record.wire, chunk]);
    });

    let stream: net.Socket | tls.TLSSocket = socket;
    let pending = Buffer.alloc(0);
    let seq = 0;
    let phase: 'login' | 'command' | 'infile' = 'login';
    let upgradeTo: Duplex | undefined;
    let infile:
      {chunks: Buffer[]; packets: Buffer[]; then: (c: Buffer, p: Buffer[]) => void} | undefined;

    const closeAll = () => {
      stream.destroy();
      socket.destroy();
    };
    const write = (bytes: Buffer) => {
      if (!stream.destroyed) stream.write(bytes);
    };
    const sendPacket = (payload: Buffer) => {
      const header = Buffer.alloc(4);
      header.writeUIntLE(payload.length, 0, 3);
      header[3] = seq & 0xff;
      seq++;
      write(Buffer.concat([header, payload]));
    };
    const okPayload = (affectedRows = 0, insertId = 0) =>
      Buffer.concat([
        Buffer.from([0]),
        lenencInt(affectedRows),
        lenencInt(insertId),
        u16(SERVER_STATUS_AUTOCOMMIT),
        u16(0),
      ]);
    const eofPayload = () =>
      Buffer.concat([Buffer.from([0xfe]), u16(0), u16(SERVER_STATUS_AUTOCOMMIT)]);
    const columnPayload = (name: string, type: number) =>
      Buffer.concat([
        lenencString('def'),
        lenencString('fake'),
        lenencString('t'),
        lenencString('t'),
        lenencString(name),
        lenencString(name),
        lenencInt(0x0c),
        u16(type === TYPE.VAR_STRING ? 224 : 63),
        u32(1024),
        Buffer.from([type]),
        u16(0),
        Buffer.from([0]),
        u16(0),
      ]);
    const rowPayload = (values: readonly (string | null)[]) =>
      Buffer.concat(values.map((v) => (v === null ? Buffer.from([0xfb]) : lenencString(v))));

    const respond: Responder = {
      connection: record,
      ok: (affectedRows, insertId) => sendPacket(okPayload(affectedRows, insertId)),
      error: (errno, sqlState, message) =>
        sendPacket(
          Buffer.concat([
            Buffer.from([0xff]),
            u16(errno),
            Buffer.from(`#${sqlState}${message}`, 'utf8'),
          ]),
        ),
      resultSet: (columns, rows) => {
        sendPacket(lenencInt(columns.length));
        for (const c of columns) {
          const {name, type} = typeof c === 'string' ? {name: c, type: TYPE.VAR_STRING} : c;
          sendPacket(columnPayload(name, type));
        }
        sendPacket(eofPayload());
        for (const r of rows) sendPacket(rowPayload(r));
        sendPacket(eofPayload());
      },
      columnCount: (n) => sendPacket(lenencInt(n)),
      columnDefinition: (name, type = TYPE.VAR_STRING) => sendPacket(columnPayload(name, type)),
      eof: () => sendPacket(eofPayload()),
      row: (values) => sendPacket(rowPayload(values)),
      packet: (payload) => sendPacket(payload),
      raw: (bytes) => write(bytes),
      requestLocalFile: (path, then) => {
        phase = 'infile';
        infile = {chunks: [], packets: [], then};
        sendPacket(Buffer.concat([Buffer.from([0xfb]), Buffer.from(path, 'utf8')]));
      },
      close: closeAll,
    };

    const onPacket = (payload: Buffer, packetSeq: number) => {
      record.packets.push(payload);
      seq = packetSeq + 1;
      if (phase === 'login') {
        const flags = payload.length >= 4 ? payload.readUInt32LE(0) : 0;
        if (payload.length === 32 && flags & CLIENT.SSL) {
          record.sslRequested = true;
          if (!this.options.tls) return closeAll();
          // TLS over a duplex fed by the socket, so that the socket's bytes are still recorded as they arrive.
          const carrier = new Duplex({
            read: () => undefined,
            write: (chunk: Buffer, _encoding, callback) => {
              if (socket.destroyed) return callback();
              socket.write(chunk, () => callback());
            },
          });
          socket.removeListener('data', onData);
          socket.on('data', (chunk: Buffer) => carrier.push(chunk));
          // The ClientHello may have come in the same chunk as the SSLRequest.
          upgradeTo = carrier;
          socket.on('end', () => carrier.push(null));
          carrier.on('error', () => socket.destroy());
          const secure = new tls.TLSSocket(carrier, {
            isServer: true,
            key: this.options.tls.key,
            cert: this.options.tls.cert,
          });
          secure.on('error', () => socket.destroy());
          secure.on('secure', () => (record.secure = true));
          stream = secure;
          secure.on('data', onData);
          return;
        }
        record.login = parseLogin(payload);
        phase = 'command';
        if (this.options.onLogin) return this.options.onLogin(record.login, respond);
        return sendPacket(okPayload());
      }
      if (phase === 'infile' && infile) {
        infile.packets.push(payload);
        if (payload.length > 0) return infile.chunks.push(payload);
        const done = infile;
        infile = undefined;
        phase = 'command';
        return done.then(Buffer.concat(done.chunks), done.packets);
      }
      const command = payload[0];
      if (command === 0x01) return closeAll(); // COM_QUIT
      if (command === 0x03) {
        const sql = payload.subarray(1).toString('utf8');
        record.queries.push(sql);
        return this.onQuery(sql, respond);
      }
      // COM_PING, COM_RESET_CONNECTION and the rest: OK.
      return sendPacket(okPayload());
    };

    const onData = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        const packetSeq = pending[3] ?? 0;
        const payload = Buffer.from(pending.subarray(4, 4 + length));
        pending = pending.subarray(4 + length);
        onPacket(payload, packetSeq);
        if (upgradeTo) {
          // What follows the SSLRequest is TLS.
          const rest = pending;
          pending = Buffer.alloc(0);
          if (rest.length > 0) upgradeTo.push(rest);
          upgradeTo = undefined;
          return;
        }
      }
    };
    socket.on('data', onData);

    if (this.options.greeting) return write(this.options.greeting);
    // The greeting: HandshakeV10 with a 20-byte scramble and mysql_native_password.
    const scramble = Buffer.from('0123456789abcdefghij');
    const capabilities =
      CLIENT.LONG_PASSWORD |
      CLIENT.FOUND_ROWS |
      CLIENT.LONG_FLAG |
      CLIENT.CONNECT_WITH_DB |
      CLIENT.LOCAL_FILES |
      CLIENT.PROTOCOL_41 |
      CLIENT.TRANSACTIONS |
      CLIENT.SECURE_CONNECTION |
      CLIENT.MULTI_STATEMENTS |
      CLIENT.MULTI_RESULTS |
      CLIENT.PLUGIN_AUTH |
      CLIENT.CONNECT_ATTRS |
      CLIENT.PLUGIN_AUTH_LENENC_CLIENT_DATA |
      (this.options.tls ? CLIENT.SSL : 0);
    sendPacket(
      Buffer.concat([
        Buffer.from([10]),
        Buffer.from(`${this.options.version ?? '8.0.99-fake'}\0`),
        u32(record.id),
        scramble.subarray(0, 8),
        Buffer.from([0]),
        u16(capabilities & 0xffff),
        Buffer.from([224]),
        u16(SERVER_STATUS_AUTOCOMMIT),
        u16(capabilities >>> 16),
        Buffer.from([21]),
        Buffer.alloc(10),
        scramble.subarray(8, 20),
        Buffer.from([0]),
        Buffer.from('mysql_native_password\0'),
      ]),
    );
  }
}
