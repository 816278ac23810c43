/*
 * One line for each way a first connection goes wrong, naming the cause and the next step. Shared by the demo
 * (demo/demo.ts) and the test command's pre-check (require-server.ts, mysql-config.ts admin()), so that both say
 * the same thing. No message ever holds a password: they name the user, host and port only.
 */

/** The form MYSQL_URL takes. */
export const URL_FORM = 'mysql://user:password@host:port';

/** Where a command tried to connect, and how to run it again. */
export interface FailureContext {
  host: string;
  port: number;
  user: string;
  /** The command to run again with a better MYSQL_URL, e.g. `npm run demo`. */
  command: string;
  /** How to get a server when none listens; the default names docker-compose.yml. */
  howToStart?: string;
}

/** The parts of MYSQL_URL, or a one-line error for a text that is not a mysql:// URL. */
export interface ServerUrl {
  url: URL;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The database the URL names, or '' */
  database: string;
}

/** A mistake in what the user passed (not a server failure): its message is the whole story, no stack needed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Reads a `mysql://` URL. Throws a {@link UsageError} that does not repeat the text (it may hold a password).
 *
 * ```ts
 * parseServerUrl('mysql://app:secret@db:3307/shop'); // {host: 'db', port: 3307, user: 'app', database: 'shop', ...}
 * ```
 */
export function parseServerUrl(text: string, name = 'MYSQL_URL'): ServerUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${name} is not a valid URL: expected ${URL_FORM}, e.g. ${name}=mysql://root@127.0.0.1:3306`,
    );
  }
  if (!/^(mysql|mariadb)(\+\w+)?:$/.test(url.protocol)) {
    throw new UsageError(
      `${name} must start with mysql:// (not ${url.protocol}//): expected ${URL_FORM}, ` +
        `e.g. ${name}=mysql://root@127.0.0.1:3306`,
    );
  }
  return {
    url,
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

/** The driver's code of `err`; Node reports a host with several addresses (localhost) as an AggregateError. */
export function errorCode(err: unknown): string | undefined {
  const e = err as {code?: unknown; errors?: unknown[]; cause?: unknown} | null | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (Array.isArray(e?.errors)) return errorCode(e.errors[0]);
  if (e?.cause) return errorCode(e.cause);
  return undefined;
}

/** The login was refused: wrong user or password, or not from this host. */
const CREDENTIALS =
  /^ER_(ACCESS_DENIED_ERROR|ACCESS_DENIED_NO_PASSWORD_ERROR|HOST_NOT_PRIVILEGED)$/;
/** The login worked, a statement needed a privilege the user lacks. */
const PRIVILEGE = /^ER_(DB|TABLE|COLUMN|SPECIFIC_|PROC)ACCESS_DENIED/;
const REFUSED = new Set(['ECONNREFUSED']);
const UNKNOWN_HOST = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const NO_ANSWER = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);
/** The peer accepted the TCP connection but did not talk MySQL: another service, or a TLS requirement. */
const NOT_MYSQL = new Set([
  'ECONNRESET',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'HANDSHAKE_SSL_ERROR',
]);

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}

/**
 * The one line that says why `err` kept `ctx.command` from using the server, and what to do next. Errors it does
 * not recognize come back as their own first line, with their code.
 *
 * ```ts
 * explainServerFailure(err, {host: '127.0.0.1', port: 3306, user: 'root', command: 'npm run demo'});
 * // "Nothing listens on 127.0.0.1:3306 (ECONNREFUSED): start a server with `docker compose up -d` ..."
 * ```
 */
export function explainServerFailure(err: unknown, ctx: FailureContext): string {
  if (err instanceof UsageError) return err.message;
  const {host, port, user, command} = ctx;
  const at = `${host}:${port}`;
  const code = errorCode(err) ?? '';
  const retry = `MYSQL_URL=${URL_FORM.replace('host:port', at)} ${command}`;
  const start =
    ctx.howToStart ??
    'start one with `docker compose up -d` (MySQL 8.4 on 3306, MariaDB 11 on 3307; ' +
      'LBTS_MYSQL_PORT / LBTS_MARIADB_PORT move them)';
  if (CREDENTIALS.test(code)) {
    return (
      `The server at ${at} refused the credentials of user "${user}" (${code}): give the right user and ` +
      `password with ${retry} (percent-encode @ : / # in the password)`
    );
  }
  if (PRIVILEGE.test(code)) {
    const sqlMessage = (err as {sqlMessage?: unknown}).sqlMessage;
    const what = typeof sqlMessage === 'string' ? sqlMessage : `user "${user}" lacks a privilege`;
    return `${firstLine(what)} on ${at} (${code}): ${command} needs a user that may create and drop a database, e.g. ${retry}`;
  }
  if (REFUSED.has(code)) {
    return `Nothing listens on ${at} (${code}): ${start}, or point MYSQL_URL at a running server: ${retry}`;
  }
  if (UNKNOWN_HOST.has(code)) {
    return `Cannot resolve the host "${host}" (${code}): check the host name in MYSQL_URL, e.g. MYSQL_URL=${URL_FORM.replace('host:port', '127.0.0.1:3306')} ${command}`;
  }
  if (NO_ANSWER.has(code)) {
    return (
      `No answer from ${at} (${code}): check that a server runs there and that no firewall drops the port, ` +
      `or point MYSQL_URL at another server: ${retry}`
    );
  }
  if (NOT_MYSQL.has(code)) {
    return (
      `${at} accepted the connection but the MySQL handshake failed (${code}): check that this port is a ` +
      `MySQL/MariaDB server and whether it needs TLS (add ?ssl=true to MYSQL_URL)`
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return `${firstLine(message)}${code && !message.includes(code) ? ` (${code})` : ''}`;
}
