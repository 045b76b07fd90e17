/**
 * A private Redis master with one replica, watched by three Sentinels (quorum 2), for the Redis failover
 * test (issue #28, item 3). Each process has its own free port on 127.0.0.1 and its own directory; the
 * machine's Redis (6379) is never touched. Sentinels decide quickly here (`down-after-milliseconds`
 * 1000, `failover-timeout` 10000) so the test does not wait out production's defaults (30 s / 3 min).
 *
 * Data nodes keep no snapshot (`--save ""`) and replicate diskless: what a failover can lose is what the
 * master acknowledged but had not yet streamed to the replica (replication is asynchronous), which is
 * what the test is about. On loopback the replica is never behind, so the replica replicates through a
 * TCP proxy the test can cut (`cutReplication()`): writes the master takes after the cut are certain to
 * be lost by the failover. `maxmemory-policy noeviction`, as production needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { nameServicePort } from './open-handles.js';
import { freePort } from './processes.js';
import { startTcpProxy } from './tcp-proxy.js';

export const SENTINEL_MASTER_NAME = 'revos-test';

export interface SentinelRedis {
  masterPort: number;
  replicaPort: number;
  sentinels: { host: string; port: number }[];
  /** The fleet's settings: REDIS_URL (credentials only) and the Sentinels. */
  settings: { REDIS_URL: string; REDIS_SENTINELS: { host: string; port: number }[]; REDIS_SENTINEL_MASTER: string };
  /** Cuts the replication link (the master goes on taking writes the replica will never see). */
  cutReplication(): void;
  /** SIGKILL to the master: no shutdown, nothing more streamed to the replica. */
  killMaster(): Promise<void>;
  /** Resolves with the port the Sentinels name as master once it is no longer the killed one (the switch). */
  waitForSwitch(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
}

function start(binary: string, args: string[], cwd: string): Proc {
  const child = spawn(binary, args, { cwd, stdio: 'ignore' });
  return { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
}

/** Until `port` answers PING. */
async function answering(port: number): Promise<void> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {}); // refused while it starts: retried below
  try {
    for (let i = 0; i < 200; i++) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis on ${port} did not answer`);
  } finally {
    probe.disconnect();
  }
}

async function askSentinel<T>(port: number, ask: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  r.on('error', () => {});
  try {
    await r.connect();
    return await ask(r);
  } finally {
    r.disconnect();
  }
}

export async function startSentinelRedis(): Promise<SentinelRedis> {
  const root = mkdtempSync(join(tmpdir(), 'revos-sentinel-'));
  const masterPort = await freePort();
  const replicaPort = await freePort();
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  nameServicePort(masterPort, 'private Redis master');
  nameServicePort(replicaPort, 'private Redis replica');
  for (const p of sentinelPorts) nameServicePort(p, 'private Redis Sentinel');
  const procs: Proc[] = [];
  const replication = await startTcpProxy({ host: '127.0.0.1', port: masterPort });
  const node = (port: number, extra: string[]) =>
    start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--dir', root, ...extra], root);

  let stopped = false;
  const removeNow = () => {
    if (stopped) return;
    stopped = true;
    for (const p of procs) p.child.kill('SIGKILL');
    void replication.close();
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', removeNow);

  const master = node(masterPort, []);
  procs.push(master);
  try {
    await answering(masterPort);
    procs.push(node(replicaPort, ['--replicaof', '127.0.0.1', String(replication.port)]));
    await answering(replicaPort);
    // The replica has synced before Sentinels start, so a failover always has a candidate.
    for (let i = 0; i < 200; i++) {
      const info = await askSentinel(replicaPort, (r) => r.info('replication'));
      if (/master_link_status:up/.test(info)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const port of sentinelPorts) {
      const conf = join(root, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${root}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      procs.push(start('redis-sentinel', [conf], root));
    }
    for (const port of sentinelPorts) await answering(port);
    // Ready once every Sentinel knows the replica and the other Sentinels (else a vote cannot reach quorum).
    for (let i = 0; i < 400; i++) {
      const views = await Promise.all(
        sentinelPorts.map((p) => askSentinel(p, async (r) => (await r.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[]).catch(() => [] as string[])),
      );
      const ready = views.every((v) => {
        const field = (name: string) => Number(v[v.indexOf(name) + 1] ?? 0);
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
      });
      if (ready) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    removeNow();
    throw error;
  }

  const sentinels = sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
  return {
    masterPort,
    replicaPort,
    sentinels,
    settings: { REDIS_URL: 'redis://127.0.0.1', REDIS_SENTINELS: sentinels, REDIS_SENTINEL_MASTER: SENTINEL_MASTER_NAME },
    cutReplication: () => replication.cut(),
    async killMaster() {
      master.child.kill('SIGKILL');
      await master.exited;
    },
    async waitForSwitch(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const addr = await askSentinel(sentinelPorts[0]!, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME) as Promise<string[]>).catch(() => null);
        const port = Number(addr?.[1] ?? masterPort);
        if (port !== masterPort) return port;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the Sentinels did not fail over in ${timeoutMs} ms`);
    },
    async stop() {
      if (stopped) return;
      for (const p of procs) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await replication.close();
      removeNow();
      process.removeListener('exit', removeNow);
    },
  };
}
