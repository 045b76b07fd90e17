/**
 * A private PostgreSQL 15 cluster for tests that crash the server: its own temporary data directory
 * (initdb, trust auth), its own free port on 127.0.0.1 and its own socket directory. The machine's
 * server (5432) is never touched. We run as root and PostgreSQL refuses to, so every binary runs as
 * the `postgres` OS user, who owns the directory.
 *
 * Settings, otherwise the defaults:
 * - `wal_writer_delay = 10s` (its maximum): the WAL writer is what writes an async commit's WAL to the
 *   OS when no synchronous commit does it first; waking it rarely leaves claims in WAL buffers longer,
 *   so a crash has something to lose. (Backends still wake it whenever a full WAL page is waiting.)
 * - `wal_writer_flush_after` stays at its default: it only chooses between write() and fsync() of WAL
 *   the writer has already taken, and a server crash keeps anything written to the OS. Only a machine
 *   crash would lose written-but-unsynced WAL, which this cluster does not simulate.
 *
 * `crash()` sends the postmaster SIGQUIT, which is what `pg_ctl stop -m immediate` sends: every server
 * process exits at once, without flushing WAL buffers or a checkpoint, and the next start runs crash
 * recovery. Sent from here rather than through pg_ctl so the crash lands within a millisecond of the
 * moment the test picked (spawning runuser + pg_ctl takes tens). Not SIGKILL: killing only the
 * postmaster leaves its backends running until they notice, still attached to the old shared memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateDatabase } from '@revos/db';
import { nameServicePort } from './open-handles.js';
import { freePort } from './processes.js';
import type { TestDatabase } from './pg.js';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  port: number;
  /** postgres:// URL of the server, without a database name. */
  url: string;
  /** The settings written to postgresql.conf beyond initdb's. */
  settings: Record<string, string>;
  /** A fresh database on this cluster, migrated; `drop()` only closes its pool (stop() removes the cluster). */
  createDatabase(): Promise<TestDatabase>;
  /** Immediate shutdown (SIGQUIT to the postmaster): WAL not yet written is lost. Resolves once it is down. */
  crash(): Promise<void>;
  /** Starts it again on the same port; resolves when it accepts connections (crash recovery done). */
  start(): Promise<void>;
  /** Stops it (if up) and removes the data and socket directories. */
  stop(): Promise<void>;
  /** The server log's last lines (for a failure message). */
  logTail(lines?: number): string;
}

/** Runs a PostgreSQL binary as the postgres user; rejects with its output on a non-zero exit. */
export function asPostgres(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}: ${output.trim()}`))));
  });
}

export function chown(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('chown', ['-R', 'postgres:postgres', path], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chown ${path} exited ${code}`))));
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), 'revos-pgcrash-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const logFile = join(root, 'server.log');
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}`;
  const settings = { wal_writer_delay: '10000ms' };
  nameServicePort(port, 'private PostgreSQL');

  let removed = false;
  const removeNow = () => {
    if (removed) return;
    removed = true;
    const pid = postmasterPid();
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  // A worker that exits without running afterAll (a crash, a timeout kill) still leaves no server behind.
  process.once('exit', removeNow);

  function postmasterPid(): number | null {
    const pidFile = join(dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return null;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  const start = async () => {
    await asPostgres('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`, 'start']);
  };
  const crash = async () => {
    const pid = postmasterPid();
    if (pid === null) throw new Error('private PostgreSQL is not running');
    process.kill(pid, 'SIGQUIT');
    // As pg_ctl does: down once the postmaster has removed its pid file (it may not be our child to wait on). Up to
    // 30 s: an immediate shutdown waits 5 s for its children before it kills them, longer on a loaded machine.
    for (let i = 0; i < 3_000 && existsSync(join(dataDir, 'postmaster.pid')); i++) await new Promise((r) => setTimeout(r, 10));
    if (existsSync(join(dataDir, 'postmaster.pid'))) throw new Error(`private PostgreSQL (pid ${pid}) did not stop:\n${logTail()}`);
  };
  const logTail = (lines = 20) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');

  try {
    await chown(root);
    await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    writeFileSync(join(dataDir, 'postgresql.conf'), `${readFileSync(join(dataDir, 'postgresql.conf'), 'utf8')}\n${Object.entries(settings).map(([k, v]) => `${k} = '${v}'`).join('\n')}\n`);
    mkdirSync(socketDir);
    await chown(root);
    await start();
  } catch (error) {
    removeNow();
    throw error;
  }

  return {
    port,
    url,
    settings,
    async createDatabase() {
      const name = 'revos_pgcrash';
      const dbUrl = `${url}/${name}`;
      await migrateDatabase(dbUrl);
      const db = createDb({ url: dbUrl, max: 10, applicationName: 'revos-test' });
      return { name, url: dbUrl, db, drop: () => db.close() };
    },
    crash,
    start,
    async stop() {
      if (removed) return;
      if (postmasterPid() !== null) await crash().catch(() => {});
      removeNow();
      process.removeListener('exit', removeNow);
    },
    logTail,
  };
}
