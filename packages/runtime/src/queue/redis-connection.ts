/**
 * The one place a process opens its Redis connection: a single node (REDIS_URL), or a Redis
 * Cluster (REDIS_CLUSTER_NODES) through ioredis' Cluster client, which BullMQ accepts the same way.
 * On a cluster every key of a queue must live in one slot, so the queue prefix must carry a hash tag
 * (`{revos}`): BullMQ's Lua scripts touch several keys of a queue at once.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisConnection = Redis | Cluster;

export interface RedisSettings {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string[];
}

/**
 * Opens the connection the settings name. `options` apply to every node (BullMQ needs
 * `maxRetriesPerRequest: null` on connections that block). Credentials and TLS of a cluster come
 * from its first node URL: every node of a cluster shares them.
 */
export function createRedisConnection(settings: RedisSettings, options: RedisOptions = {}): RedisConnection {
  const nodes = settings.REDIS_CLUSTER_NODES;
  if (!nodes || nodes.length === 0) return new Redis(settings.REDIS_URL, options);
  const first = new URL(nodes[0]!);
  const redisOptions: RedisOptions = {
    ...options,
    username: first.username ? decodeURIComponent(first.username) : undefined,
    password: first.password ? decodeURIComponent(first.password) : undefined,
    tls: first.protocol === 'rediss:' ? {} : undefined,
  };
  return new Cluster(
    nodes.map((u) => {
      const url = new URL(u);
      return { host: url.hostname, port: Number(url.port || 6379) };
    }),
    { redisOptions, maxRedirections: 16, retryDelayOnFailover: 200 },
  );
}
