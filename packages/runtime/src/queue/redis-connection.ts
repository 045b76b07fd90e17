/**
 * The one place a process opens its Redis connection: a single node (REDIS_URL), a master found
 * through Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER), or a Redis Cluster (REDIS_CLUSTER_NODES)
 * through ioredis' Cluster client, which BullMQ accepts the same way.
 * On a cluster every key of a queue must live in one slot, so the queue prefix must carry a hash tag
 * (`{revos}`): BullMQ's Lua scripts touch several keys of a queue at once.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisConnection = Redis | Cluster;

export interface RedisSettings {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string[] | undefined;
  REDIS_SENTINELS?: { host: string; port: number }[] | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
}

/**
 * Through Sentinel: ioredis asks the Sentinels for the master, connects to it, and after a failover (the
 * connection drops, or the old master answers READONLY as a replica) asks again. Credentials and TLS
 * of the Redis nodes come from REDIS_URL.
 */
function createSentinelConnection(settings: RedisSettings, options: RedisOptions): Redis {
  const url = new URL(settings.REDIS_URL);
  return new Redis({
    ...options,
    sentinels: settings.REDIS_SENTINELS!,
    name: settings.REDIS_SENTINEL_MASTER!,
    role: 'master',
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Told of a failover by the Sentinels (+switch-master) rather than waiting for the old link to fail.
    failoverDetector: true,
    // A demoted master answers writes with READONLY: reconnect (asking the Sentinels again) and resend.
    reconnectOnError: options.reconnectOnError ?? ((error) => (error.message.startsWith('READONLY') ? 2 : false)),
  });
}

/**
 * Opens the connection the settings name. `options` apply to every node (BullMQ needs
 * `maxRetriesPerRequest: null` on connections that block). Credentials and TLS of a cluster come
 * from its first node URL: every node of a cluster shares them.
 */
export function createRedisConnection(settings: RedisSettings, options: RedisOptions = {}): RedisConnection {
  if (settings.REDIS_SENTINELS && settings.REDIS_SENTINELS.length > 0) return createSentinelConnection(settings, options);
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
