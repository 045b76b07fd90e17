import { createDb, loadTenant, migrateDatabase, type Db } from '@revos/db';
import { closeLaneQueues, createLaneQueues, createPrivacyGuard, createRedisConnection, type AnyManifest, type RedisConnection } from '@revos/runtime';
import { createProducerCatalog } from '../services/catalog.js';
import type { ProducerEnv } from '../platform/env.js';
import { CommandFailed } from './errors.js';

/** Resources opened lazily and closed once, whatever the command did. */
export class Session {
  private dbHandle: Db | null = null;
  private redis: RedisConnection | null = null;
  private queuesHandle: ReturnType<typeof createLaneQueues> | null = null;
  constructor(
    readonly env: ProducerEnv,
    /** Manifests of the workflows accepted beside the reference ones (a deployment's own, or a test's). */
    private readonly manifests: readonly AnyManifest[] = [],
  ) {}

  catalog() {
    return createProducerCatalog(this.manifests);
  }

  /** phi_minimized runs submitted here are stored redacted and sealed, as through the API. */
  privacy() {
    return createPrivacyGuard({ tokenKey: this.env.PHI_TOKEN_KEY, sealKey: this.env.PHI_SEAL_KEY, previousSealKeys: this.env.PHI_SEAL_KEYS_PREVIOUS });
  }

  async db(): Promise<Db> {
    if (!this.dbHandle) {
      // A fresh machine works: the database is created and migrated first (idempotent, locked).
      await migrateDatabase(this.env.DATABASE_URL);
      this.dbHandle = createDb({ url: this.env.DATABASE_URL, pooler: this.env.DATABASE_POOLER, max: 2, applicationName: 'revos-cli' });
    }
    return this.dbHandle;
  }

  queues() {
    if (!this.queuesHandle) {
      // Fail fast instead of waiting forever when Redis is down: a CLI call is not a worker.
      this.redis = createRedisConnection(this.env, { maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 3 ? null : 200 * n) });
      this.queuesHandle = createLaneQueues(this.redis, this.env.QUEUE_PREFIX, { fairShare: this.env.FAIR_SHARE });
    }
    return this.queuesHandle;
  }

  /** What intake (and every path that submits a run) needs: the same deps as the API's. */
  async intake() {
    return { db: await this.db(), queues: this.queues(), catalog: this.catalog(), privacy: this.privacy() };
  }

  async close(): Promise<void> {
    if (this.queuesHandle) await closeLaneQueues(this.queuesHandle).catch(() => {});
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
    if (this.dbHandle) await this.dbHandle.close();
  }
}

/** Commands on a tenant's data need the tenant to exist; say how to create it. */
export async function requireTenant(db: Db, tenantId: string): Promise<void> {
  if (!(await loadTenant(db.sql, tenantId))) throw new CommandFailed(`tenant ${tenantId} not found (create it with: revos tenants create ${tenantId})`);
}
