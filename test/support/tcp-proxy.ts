/**
 * A TCP proxy the test owns, between the fleet and a server (PostgreSQL): `cut()` destroys every
 * open connection and resets new ones until `restore()`. The machine's own server keeps running;
 * only this fleet's path to it is broken, as by a network partition or a failover.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections accepted and forwarded, and connections reset while cut. */
  stats: { forwarded: number; refused: number; cuts: number };
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const stats = { forwarded: 0, refused: 0, cuts: 0 };
  let down = false;
  const server = createServer((client) => {
    if (down) {
      stats.refused += 1;
      client.destroy();
      return;
    }
    stats.forwarded += 1;
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    cut() {
      down = true;
      stats.cuts += 1;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
