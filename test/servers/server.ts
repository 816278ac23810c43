/*
 * Starts and stops the database servers of the test matrix on free loopback ports, from the shell:
 *
 *   npm run server -- start mysql-9.7       # prints MYSQL_URL=... and LBTS_SERVER_PID=...; the server keeps running
 *   npm run server -- stop <pid>            # clean shutdown by pid, then removes its data directory
 *   npm run server -- build mariadb-11.8    # only builds the chroot (cached in LBTS_CACHE, default /var/cache/lbts)
 *
 * Kinds: mariadb-10.11 (the system's MariaDB), mariadb-11.8 and mysql-9.7 (chroots built by mmdebstrap from Debian's
 * trixie and sid suites). Root logs in over TCP with no password. `eval "$(npm run -s server -- start mysql-9.7)"`
 * sets both variables in a shell; `.ci/run` does exactly that.
 */
import {startPrivateServer, stopServerByPid} from '../helpers/private-server';
import {ensureInstalled, kind, KIND_NAMES} from './kinds';

const USAGE = `usage: server start <kind> | stop <pid> | build <kind>   (kinds: ${KIND_NAMES.join(', ')})`;

async function main(argv: string[]): Promise<void> {
  const [verb, arg] = argv;
  switch (verb ?? '') {
    case 'start': {
      const server = await startPrivateServer({kind: kind(arg ?? ''), detached: true});
      console.log(`MYSQL_URL=mysql://root@${server.host}:${server.port}`);
      console.log(`LBTS_SERVER_PID=${server.pid}`);
      return;
    }
    case 'stop': {
      const pid = Number(arg);
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(USAGE);
      const dir = await stopServerByPid(pid);
      console.error(`stopped ${pid} and removed ${dir}`);
      return;
    }
    case 'build':
      await ensureInstalled(kind(arg ?? ''));
      return;
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`server: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
