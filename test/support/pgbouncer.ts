/**
 * A private PgBouncer (Debian's `pgbouncer` package) in front of a PostgreSQL server, for tests that run
 * the fleet through a connection pooler: its own free port on 127.0.0.1 and its own temporary directory.
 * Every database name is passed through to the server (`* =`), authentication is trust (the test
 * server's), and the pool mode is the caller's: `transaction` is the one that breaks session state.
 * PgBouncer refuses to run as root, so it runs as the `postgres` OS user, who owns the directory. It is
 * spawned as that user directly (not through runuser, which would leave it running when killed), and
 * stopped with SIGTERM, PgBouncer 1.18's immediate shutdown (SIGINT would wait for its clients).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { nameServicePort } from './open-handles.js';
import { freePort } from './processes.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The server it pools (host and port only). */
  serverHost: string;
  serverPort: number;
  poolMode: 'session' | 'transaction' | 'statement';
  /** Server connections per (database, user) pair. */
  poolSize?: number;
}

export interface PrivatePgBouncer {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>`: append `/<database>`. */
  url: string;
  /** The URL of `database` through the pooler. */
  databaseUrl(database: string): string;
  /** Its log's last lines (for a failure message). */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function chown(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('chown', ['-R', 'postgres:postgres', path], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chown ${path} exited ${code}`))));
  });
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PrivatePgBouncer> {
  if (!existsSync(PGBOUNCER)) throw new Error(`${PGBOUNCER} not found: install the Debian package pgbouncer`);
  const root = mkdtempSync(join(tmpdir(), 'revos-pgbouncer-'));
  const port = await freePort();
  const logFile = join(root, 'pgbouncer.log');
  nameServicePort(port, 'private PgBouncer');
  writeFileSync(join(root, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    join(root, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${options.serverHost} port=${options.serverPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(root, 'users.txt')}`,
      `pool_mode = ${options.poolMode}`,
      'max_client_conn = 1000',
      `default_pool_size = ${options.poolSize ?? 20}`,
      // postgres.js sends no startup parameter PgBouncer rejects; these are what other clients send.
      'ignore_startup_parameters = extra_float_digits,options',
      // After a failed server login PgBouncer waits this long before the next (default 15 s): a
      // restored server would sit unused that long. Waiting clients get an error meanwhile.
      'server_login_retry = 1',
      `logfile = ${logFile}`,
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  await chown(root);

  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  const child: ChildProcess = spawn(PGBOUNCER, [join(root, 'pgbouncer.ini')], { stdio: 'ignore', uid, gid });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const removeNow = () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', removeNow);
  const url = `postgres://postgres@127.0.0.1:${port}`;
  const logTail = (lines = 20) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');

  // Ready when a query goes through it.
  const probe = postgres(`${url}/postgres`, { max: 1, prepare: false, onnotice: () => {}, connect_timeout: 2 });
  try {
    let lastError: unknown;
    for (let i = 0; i < 100; i++) {
      try {
        await probe`select 1`;
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (lastError) throw new Error(`PgBouncer on ${port} did not answer: ${String(lastError)}\n${logTail()}`);
  } catch (error) {
    removeNow();
    throw error;
  } finally {
    await probe.end({ timeout: 1 });
  }

  return {
    port,
    url,
    databaseUrl: (database) => `${url}/${database}`,
    logTail,
    async stop() {
      if (stopped) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
      removeNow();
      process.removeListener('exit', removeNow);
    },
  };
}
