/**
 * A private PostgreSQL 15 primary with a synchronous streaming replica, for the failover test (issue #28,
 * item 2). Failover is driven by the test, not by Patroni: `killPrimary()` takes the primary down at once
 * (SIGQUIT to its postmaster, an immediate shutdown: no checkpoint, no goodbye to the replica) and
 * `promote()` runs `pg_ctl promote` on the replica, which is what Patroni does once it has decided; what
 * the fleet sees (connections cut, the other host becoming the read-write one) is the same, without
 * the decision's timing (etcd TTLs), which belongs to an operator's Patroni settings.
 *
 * The primary runs with `synchronous_standby_names = 'replica'` and `synchronous_commit = on`: a commit
 * returns only once the replica has flushed its WAL, so a promoted replica holds every commit the
 * fleet was told of (RPO 0). The replica is made with `pg_basebackup -R` (it writes standby.signal and
 * primary_conninfo), naming itself `replica` to the primary. Each has its own free port on 127.0.0.1,
 * data and socket directory; the machine's server (5432) is never touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateDatabase } from '@revos/db';
import { nameServicePort } from './open-handles.js';
import { asPostgres, chown } from './postgres-server.js';
import { freePort } from './processes.js';
import type { TestDatabase } from './pg.js';

export interface ReplicatedPostgres {
  primaryPort: number;
  replicaPort: number;
  /** `postgres://postgres@127.0.0.1:<primary>,127.0.0.1:<replica>`: append `/<database>?target_session_attrs=read-write`. */
  hostsUrl: string;
  /** The database `name` on whichever host is the primary: the multi-host URL a fleet is given. */
  databaseUrl(name: string): string;
  /** A migrated database on the pair (created on the primary, replicated), opened through the multi-host URL. */
  createDatabase(): Promise<TestDatabase>;
  /** Immediate shutdown of the primary; resolves once it is down. */
  killPrimary(): Promise<void>;
  /** `pg_ctl promote -w` on the replica: resolves once it accepts writes. */
  promote(): Promise<void>;
  /** Stops both and removes their directories. */
  stop(): Promise<void>;
  logTail(which: 'primary' | 'replica', lines?: number): string;
}

interface Node {
  dataDir: string;
  socketDir: string;
  logFile: string;
  port: number;
}

function postmasterPid(node: Node): number | null {
  const pidFile = join(node.dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

async function stopNow(node: Node): Promise<void> {
  const pid = postmasterPid(node);
  if (pid === null) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return; // already gone
  }
  // Down once the postmaster removed its pid file (up to 30 s on a loaded machine, as postgres-server.ts).
  for (let i = 0; i < 3_000 && existsSync(join(node.dataDir, 'postmaster.pid')); i++) await new Promise((r) => setTimeout(r, 10));
}

const startNode = (node: Node) =>
  asPostgres('pg_ctl', ['-D', node.dataDir, '-l', node.logFile, '-w', '-t', '60', '-o', `-p ${node.port} -k ${node.socketDir} -c listen_addresses=127.0.0.1`, 'start']);

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'revos-pgfailover-'));
  const node = async (name: string): Promise<Node> => ({
    dataDir: join(root, name, 'data'),
    socketDir: join(root, name, 'sock'),
    logFile: join(root, name, 'server.log'),
    port: await freePort(),
  });
  const primary = await node('primary');
  const replica = await node('replica');
  nameServicePort(primary.port, 'private PostgreSQL primary');
  nameServicePort(replica.port, 'private PostgreSQL replica');
  for (const n of [primary, replica]) mkdirSync(n.socketDir, { recursive: true });

  let removed = false;
  const removeNow = () => {
    if (removed) return;
    removed = true;
    for (const n of [primary, replica]) {
      const pid = postmasterPid(n);
      if (pid !== null) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // already gone
        }
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', removeNow);

  try {
    await chown(root);
    await asPostgres('initdb', ['-D', primary.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    // initdb's pg_hba.conf already trusts replication connections from 127.0.0.1; wal_level is replica.
    const settings = { synchronous_standby_names: 'replica', synchronous_commit: 'on', wal_keep_size: '256MB' };
    const conf = join(primary.dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n${Object.entries(settings).map(([k, v]) => `${k} = '${v}'`).join('\n')}\n`);
    await startNode(primary);
    await asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replica.dataDir, '-R', '-X', 'stream', '--no-sync', '-d', `application_name=replica`]);
    // The copy carries the primary's synchronous_standby_names. Once promoted, with no standby of its own,
    // it would wait for one on every commit: writes would hang. Patroni's synchronous_mode does the same
    // (drops the requirement while no standby is left).
    writeFileSync(join(replica.dataDir, 'postgresql.auto.conf'), `${readFileSync(join(replica.dataDir, 'postgresql.auto.conf'), 'utf8')}\nsynchronous_standby_names = ''\n`);
    await startNode(replica);
  } catch (error) {
    removeNow();
    throw error;
  }

  const hostsUrl = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${replica.port}`;
  const databaseUrl = (name: string) => `${hostsUrl}/${name}?target_session_attrs=read-write`;
  const logTail = (which: 'primary' | 'replica', lines = 20) => {
    const file = (which === 'primary' ? primary : replica).logFile;
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  };

  return {
    primaryPort: primary.port,
    replicaPort: replica.port,
    hostsUrl,
    databaseUrl,
    async createDatabase() {
      const name = 'revos_failover';
      const url = databaseUrl(name);
      await migrateDatabase(url);
      const db = createDb({ url, max: 10, applicationName: 'revos-test' });
      return { name, url, db, drop: () => db.close() };
    },
    async killPrimary() {
      if (postmasterPid(primary) === null) throw new Error('the primary is not running');
      await stopNow(primary);
      if (existsSync(join(primary.dataDir, 'postmaster.pid'))) throw new Error(`the primary did not stop:\n${logTail('primary')}`);
    },
    async promote() {
      await asPostgres('pg_ctl', ['-D', replica.dataDir, '-w', '-t', '60', 'promote']);
    },
    async stop() {
      if (removed) return;
      await Promise.all([stopNow(primary), stopNow(replica)]);
      removeNow();
      process.removeListener('exit', removeNow);
    },
    logTail,
  };
}
