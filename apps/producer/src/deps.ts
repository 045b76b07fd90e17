import type { Db } from '@revos/db';
import type { LaneQueues, Logger, WorkflowCatalog } from '@revos/runtime';
import type { Redis } from 'ioredis';
import type { ProducerEnv } from './env.js';

/** What the producer's HTTP app (and the background loops started beside it) work with. */
export interface ProducerDeps {
  db: Db;
  queues: LaneQueues;
  catalog: WorkflowCatalog;
  log: Logger;
  env: ProducerEnv;
  /** The connection the queues use; /healthz pings it. */
  redis: Redis;
}

/** Hono context variables: the tenant an API key authenticated. */
export type AppEnv = { Variables: { tenantId: string } };
