/**
 * A private three-master Redis Cluster for tests: redis-server in cluster mode on free local ports
 * (each with its cluster bus port, +10000, free too), joined with `redis-cli --cluster create`,
 * every file in a temporary directory. `stop()` kills the nodes and removes the directory. The
 * machine's Redis (6379) is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';

export interface RedisCluster {
  /** `redis://127.0.0.1:<port>` of each master. */
  urls: string[];
  ports: number[];
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free as well. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'revos-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(new Set(ports));
      ports.push(port);
      // prettier-ignore
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000',
        '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
      ], { stdio: 'ignore' });
      children.push(child);
    }
    for (const port of ports) await waitForPing(port);
    const created = await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.output}`);
    await waitForClusterOk(ports);
    return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { output } = await run('redis-cli', ['-p', String(port), 'ping']);
    if (output.trim() === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cluster node on ${port} did not answer`);
}

/** Every node agrees the cluster is up and all 16384 slots are served. */
async function waitForClusterOk(ports: number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const infos = await Promise.all(ports.map((p) => run('redis-cli', ['-p', String(p), 'cluster', 'info'])));
    if (infos.every((info) => info.output.includes('cluster_state:ok') && info.output.includes('cluster_slots_assigned:16384'))) {
      const probe = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
      try {
        await probe.set('{probe}:ready', '1');
        await probe.del('{probe}:ready');
        return;
      } finally {
        probe.disconnect();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the cluster did not reach cluster_state:ok');
}
