import type { Db } from '@revos/db';
import type { CronSchedule, IntakeRepeatCache, LaneQueues, Logger, ManifestCatalog, PrivacyGuard, RedisConnection, RunReplies } from '@revos/runtime';
import type { Tracer } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import type { ProducerEnv } from './env.js';
import type { ProducerMetrics } from './metrics.js';

/** What the producer's HTTP app (and the background loops started beside it) work with. */
export interface ProducerDeps {
  db: Db;
  queues: LaneQueues;
  /** Manifests only: the producer validates, routes and describes runs, it never runs one. */
  catalog: ManifestCatalog;
  log: Logger;
  env: ProducerEnv;
  /** The connection the queues use; /healthz pings it. */
  redis: RedisConnection;
  /** The cron schedulers' queue (shown in Bull Board beside the lanes). */
  cronQueue: Queue;
  metrics: ProducerMetrics;
  /** Redacts and seals phi_minimized runs at intake, unseals follow-ups in the dispatcher. */
  privacy: PrivacyGuard;
  /** CRON_SCHEDULES, checked at start (boot/cron-file.ts); the background loops register them. */
  schedules: CronSchedule[];
  /** Traces intake and dispatch (OTEL_EXPORTER_OTLP_ENDPOINT); absent: tracing is off. */
  tracer?: Tracer;
  /** Request–reply: waits for a run's output until a deadline (the voice webhook). */
  replies: RunReplies;
  /** Recent acceptances: every intake of this process (API, webhooks, cron, dispatcher) answers repeats from it. */
  repeats: IntakeRepeatCache;
}
