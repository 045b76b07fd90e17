/**
 * The settings of the production topologies (issue #28): a multi-host DATABASE_URL for a failover pair,
 * DATABASE_POOLER for a pooler in transaction mode, REDIS_SENTINELS with REDIS_SENTINEL_MASTER. Read by
 * the worker's and the producer's env.ts (the shared rules in @revos/settings) and by the migrate CLI (DatabaseSettings).
 */
import { loadProducerEnv } from '@revos/producer';
import { databaseNameOf, withDatabaseName } from '@revos/db';
import { DatabaseSettings, parseSettings } from '@revos/settings';
import { loadWorkerEnv } from '@revos/worker';
import { describe, expect, it } from 'vitest';

const FAILOVER_URL = 'postgres://revos:s%40cret@db1.internal:5432,db2.internal:5433/revos?target_session_attrs=read-write';

describe('topology settings', () => {
  it('accepts a multi-host DATABASE_URL (libpq and postgres.js spelling) and DATABASE_POOLER', () => {
    const worker = loadWorkerEnv({ DATABASE_URL: FAILOVER_URL, DATABASE_POOLER: 'transaction' });
    expect(worker.DATABASE_URL).toBe(FAILOVER_URL);
    expect(worker.DATABASE_POOLER).toBe('transaction');
    expect(loadProducerEnv({ DATABASE_URL: FAILOVER_URL }).DATABASE_POOLER).toBe('none');
    expect(parseSettings(DatabaseSettings, { DATABASE_URL: 'postgresql://[::1]:5432,127.0.0.1/revos' }).DATABASE_URL).toBe('postgresql://[::1]:5432,127.0.0.1/revos');
  });

  it('refuses a bad host list or pooler naming the variable and the rule', () => {
    expect(() => loadWorkerEnv({ DATABASE_URL: 'postgres://db1:5432,,db2/revos' })).toThrow(/DATABASE_URL: host "" must be host or host:port/);
    expect(() => loadWorkerEnv({ DATABASE_URL: 'postgres://db1:5432,db2:99999/revos' })).toThrow(/DATABASE_URL: port of "db2:99999" must be 1-65535/);
    expect(() => loadWorkerEnv({ DATABASE_URL: 'mysql://db1/revos' })).toThrow(/DATABASE_URL: must be a postgres: or postgresql:\/\/ URL/);
    expect(() => loadWorkerEnv({ DATABASE_POOLER: 'statement' })).toThrow(/DATABASE_POOLER/);
  });

  it("reads and replaces a multi-host URL's database name (what the migration's create-database step uses)", () => {
    expect(databaseNameOf(FAILOVER_URL)).toBe('revos');
    expect(withDatabaseName(FAILOVER_URL, 'postgres')).toBe('postgres://revos:s%40cret@db1.internal:5432,db2.internal:5433/postgres?target_session_attrs=read-write');
    expect(databaseNameOf('postgres://h1,h2')).toBe('');
  });

  it('reads REDIS_SENTINELS as host:port pairs, and requires REDIS_SENTINEL_MASTER with them', () => {
    const env = loadWorkerEnv({ REDIS_SENTINELS: 'sentinel-a:26379, sentinel-b:26379,10.0.0.3:26380', REDIS_SENTINEL_MASTER: 'revos' });
    expect(env.REDIS_SENTINELS).toEqual([
      { host: 'sentinel-a', port: 26379 },
      { host: 'sentinel-b', port: 26379 },
      { host: '10.0.0.3', port: 26380 },
    ]);
    expect(env.REDIS_SENTINEL_MASTER).toBe('revos');
    expect(() => loadWorkerEnv({ REDIS_SENTINELS: 'sentinel-a:26379' })).toThrow(/REDIS_SENTINEL_MASTER: required when REDIS_SENTINELS is set/);
    expect(() => loadProducerEnv({ REDIS_SENTINELS: 'sentinel-a', REDIS_SENTINEL_MASTER: 'revos' })).toThrow(/REDIS_SENTINELS: each must be host:port/);
    expect(() => loadWorkerEnv({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'revos', REDIS_CLUSTER_NODES: 'redis://b:7000', QUEUE_PREFIX: '{revos}' })).toThrow(
      /REDIS_SENTINELS: set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both/,
    );
  });
});
