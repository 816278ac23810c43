import net from 'node:net';
import type {SslOptions} from 'mysql2';

/** The connection options {@link withIpIdentity} reads and sets. */
interface SocketOptions {
  host?: string | undefined;
  port?: number | undefined;
  socketPath?: string | undefined;
  ssl?: string | SslOptions | undefined;
  stream?: unknown;
  enableKeepAlive?: boolean | undefined;
  keepAliveInitialDelay?: number | undefined;
}

/**
 * TLS to an IP address with the certificate's name checked (`verifyIdentity`). mysql2 3.x starts TLS on its socket
 * without telling Node the host, and (rightly) sends no server name for an IP address: Node then checks the
 * certificate against "localhost", so a certificate for the address itself is refused and one for "localhost" is
 * accepted for any address. For such a connection the connector opens the socket itself (what mysql2 would do:
 * TCP_NODELAY, keep-alive as configured) and records the address where Node's TLS looks for the host when it is
 * given a socket (`socket._host`, which `net.connect` leaves empty for an address), so the certificate is checked
 * against the address, its IP SANs. Any other connection is left to mysql2.
 */
export function withIpIdentity<T extends SocketOptions>(options: T): T {
  const {host, ssl} = options;
  if (!host || net.isIP(host) === 0 || options.socketPath || options.stream) return options;
  if (!ssl || typeof ssl !== 'object' || ssl.verifyIdentity !== true) return options;
  if (ssl.rejectUnauthorized === false) return options;
  const port = options.port ?? 3306;
  const keepAlive = options.enableKeepAlive !== false;
  const keepAliveDelay = options.keepAliveInitialDelay ?? 0;
  return {
    ...options,
    stream: () => {
      const socket = net.connect(port, host);
      (socket as net.Socket & {_host?: string | null})._host = host;
      if (keepAlive) socket.on('connect', () => socket.setKeepAlive(true, keepAliveDelay));
      socket.setNoDelay(true);
      return socket;
    },
  };
}
