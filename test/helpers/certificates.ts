/*
 * Throw-away certificates for TLS tests, made with `openssl` in a temporary directory: certificate authorities, and
 * certificates they sign for the names a test chooses (a server's, another server's, a client's).
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface KeyPair {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its private key, PEM. */
  readonly key: string;
}

export class TestCertificates {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbts-certs-'));

  private openssl(args: string[]): void {
    execFileSync('openssl', args, {
      cwd: this.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30000,
    });
  }

  private read(name: string): KeyPair {
    return {
      cert: fs.readFileSync(path.join(this.dir, `${name}.pem`), 'utf8'),
      key: fs.readFileSync(path.join(this.dir, `${name}-key.pem`), 'utf8'),
    };
  }

  /** A self-signed certificate authority. */
  authority(name: string): KeyPair {
    this.openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=lbts ${name} test CA`,
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.pem`,
    ]);
    return this.read(name);
  }

  /**
   * A certificate signed by the authority `ca` (made by {@link authority}) for `altNames` (`IP:127.0.0.1`,
   * `DNS:localhost`...), for a server or a client.
   */
  issue(
    name: string,
    ca: string,
    altNames: readonly string[],
    usage: 'server' | 'client' = 'server',
  ): KeyPair {
    fs.writeFileSync(
      path.join(this.dir, `${name}-ext.cnf`),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
        '',
      ].join('\n'),
    );
    this.openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
    ]);
    this.openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}-key.pem`,
      '-set_serial',
      `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      '-sha256',
      '-days',
      '2',
      '-extfile',
      `${name}-ext.cnf`,
      '-out',
      `${name}.pem`,
    ]);
    return this.read(name);
  }

  remove(): void {
    fs.rmSync(this.dir, {recursive: true, force: true});
  }
}
