/**
 * The producer's Prometheus metrics (GET /metrics). Fleet-level series live here because the
 * producer is the one process that sees intake and can look at every lane: intake outcomes,
 * duplicates absorbed at intake and by the jobId of the runs it adds, and, read at scrape time so a scrape always
 * shows the present, queue depth and age per lane, the outbox lag, open tasks and unknown vendor outcomes. Run outcomes, durations and
 * vendor calls are counted by the workers that ran them (apps/worker/src/metrics.ts).
 */
import { countOpenTasks, oldestWaitingRunByLane, outboxLagSeconds, type Db } from '@revos/db';
import { LANES, readFairShareBacklog, runJobsFoundQueued, type IntakeRepeatCache, type LaneQueues } from '@revos/runtime';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Job states reported per lane; `completed` is left out (bounded by retention, not work). */
/** The front doors counted by revos_intake_total. */
export type SubmitSourceLabel = 'api' | 'webhook';
/** How an operator credential was presented (revos_admin_auth_failures_total). */
export type AdminAuthMethod = 'form' | 'basic' | 'bearer';

const DEPTH_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'failed'] as const;

export interface ProducerMetrics {
  registry: Registry;
  /** One front-door submission: queued, duplicate (the intake layer absorbed it) or refused. */
  intake(workflow: string | undefined, source: SubmitSourceLabel, status: 'queued' | 'duplicate' | 'refused'): void;
  /** An alert row the producer's checks wrote. */
  alertRaised(kind: string): void;
  /**
   * A Twilio status callback recorded for the first time (a redelivery is not counted): the status of
   * a text or call made by `workflow` (`unknown` when the send was not found) for `tenant`.
   */
  deliveryStatus(tenant: string, workflow: string, channel: 'sms' | 'voice', status: string): void;
  /** A wrong operator credential (login form, basic auth, metrics bearer token). */
  adminAuthFailure(method: AdminAuthMethod): void;
  /** A throttle key (a user name or a client address) locked by repeated failures. */
  adminAuthLockout(key: 'user' | 'address'): void;
  close(): Promise<void>;
}

export interface ProducerMetricsDeps {
  db: Db;
  queues: LaneQueues;
  cronQueue: Queue;
  prefix: string;
  /** Intake's repeat cache: its hits are read at scrape time. */
  repeats: IntakeRepeatCache;
}

export function createProducerMetrics(deps: ProducerMetricsDeps): ProducerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'revos_producer_' });
  const intakeTotal = new Counter({
    name: 'revos_intake_total',
    help: 'Runs submitted through a producer front door (api, webhook), by outcome',
    labelNames: ['workflow', 'source', 'status'] as const,
    registers: [registry],
  });
  let jobIdReported = 0;
  const duplicates = new Counter({
    name: 'revos_duplicates_absorbed_total',
    help: 'Duplicate deliveries absorbed, by layer: intake (accepted_runs answered duplicate), jobid (an add of this process found the job already in Redis)',
    labelNames: ['layer'] as const,
    registers: [registry],
    collect() {
      // The jobid layer is counted where runs are added (queue/enqueue.ts); the series catches up at each scrape.
      const found = runJobsFoundQueued();
      this.inc({ layer: 'jobid' }, found - jobIdReported);
      jobIdReported = found;
    },
  });
  const deliveries = new Counter({
    name: 'revos_delivery_status_total',
    help: 'Twilio status callbacks recorded once per (sid, status), by tenant, the workflow that sent, channel (sms, voice) and status; delivery rate = delivered / (delivered + undelivered + failed)',
    labelNames: ['tenant', 'workflow', 'channel', 'status'] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'revos_alerts_raised_total',
    help: 'Alert rows written by this producer\'s checks, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'revos_intake_repeat_cache_hits_total',
    help: 'Repeats of a key intake answered duplicate from this producer\'s memory of recent acceptances, without PostgreSQL (every intake of the process: api, webhook, cron, dispatcher); each is also counted as a duplicate',
    registers: [registry],
    collect() {
      // The cache counts its own hits; the series follows it on every scrape.
      this.reset();
      this.inc(deps.repeats.hits);
    },
  });
  const authFailures = new Counter({
    name: 'revos_admin_auth_failures_total',
    help: 'Wrong operator credentials (admin login form, basic auth, metrics bearer token), by method; refused attempts of a locked key are not counted',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const authLockouts = new Counter({
    name: 'revos_admin_auth_lockouts_total',
    help: 'Credential throttle keys locked by repeated failures, by key kind (user name or client address)',
    labelNames: ['key'] as const,
    registers: [registry],
  });
  for (const method of ['form', 'basic', 'bearer'] as const) authFailures.inc({ method }, 0);
  for (const key of ['user', 'address'] as const) authLockouts.inc({ key }, 0);
  // Start both label sets at 0 so a rate() has a series before the first duplicate.
  duplicates.inc({ layer: 'intake' }, 0);
  duplicates.inc({ layer: 'jobid' }, 0);

  const lanes: [string, Queue][] = [...LANES.map((l) => [l, deps.queues[l]] as [string, Queue]), ['cron', deps.cronQueue]];
  new Gauge({
    name: 'revos_queue_depth',
    help: 'Jobs in each lane\'s BullMQ queue by state, read at scrape time (getJobCounts)',
    labelNames: ['lane', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await Promise.all(lanes.map(([, q]) => q.getJobCounts(...DEPTH_STATES)));
      lanes.forEach(([lane], i) => {
        for (const state of DEPTH_STATES) this.set({ lane, state }, counts[i]![state] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'revos_lane_waiting_runs_by_tenant',
    help: 'Runs waiting per tenant in each lane, estimated at scrape time from the fair-share clocks (how many rounds each tenant runs ahead of the lane, times its weight); no series for a tenant with nothing waiting',
    labelNames: ['lane', 'tenant'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const backlogs = await Promise.all(LANES.map((lane) => readFairShareBacklog(deps.queues[lane], deps.prefix)));
      LANES.forEach((lane, i) => {
        for (const [tenant, waiting] of backlogs[i]!) if (waiting > 0) this.set({ lane, tenant }, waiting);
      });
    },
  });
  new Gauge({
    name: 'revos_outbox_lag_seconds',
    help: 'Age of the oldest pending outbox entry (0 when none), read at scrape time',
    registers: [registry],
    async collect() {
      this.set(await outboxLagSeconds(deps.db.sql));
    },
  });

  new Gauge({
    name: 'revos_queue_oldest_age_seconds',
    help: 'Per lane, seconds the oldest due run without an outcome yet has waited (from acceptance or run_after), read at scrape time; 0 when none',
    labelNames: ['lane'] as const,
    registers: [registry],
    async collect() {
      const ages = new Map((await oldestWaitingRunByLane(deps.db.sql)).map((r) => [r.lane, r.age_s]));
      for (const lane of LANES) this.set({ lane }, ages.get(lane) ?? 0);
    },
  });
  new Gauge({
    name: 'revos_tasks_open',
    help: 'Open staff tasks (escalations) by kind, read at scrape time',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      this.set({ kind: 'escalation' }, 0); // the kind the runtime opens: a series even before the first task
      const byKind = new Map<string, number>();
      for (const row of await countOpenTasks(deps.db.sql)) byKind.set(row.kind, (byKind.get(row.kind) ?? 0) + row.n);
      for (const [kind, n] of byKind) this.set({ kind }, n);
    },
  });
  new Gauge({
    name: 'revos_vendor_outcomes_unknown',
    help: 'Vendor calls whose outcome is unknown (runs failed effect_outcome_unknown) still waiting for staff to settle them, read at scrape time',
    registers: [registry],
    async collect() {
      this.set((await countOpenTasks(deps.db.sql)).filter((r) => r.failure_code === 'effect_outcome_unknown').reduce((a, r) => a + r.n, 0));
    },
  });

  return {
    registry,
    intake(workflow, source, status) {
      intakeTotal.inc({ workflow: workflow ?? 'unknown', source, status });
      if (status === 'duplicate') duplicates.inc({ layer: 'intake' });
    },
    alertRaised(kind) {
      alerts.inc({ kind });
    },
    deliveryStatus(tenant, workflow, channel, status) {
      deliveries.inc({ tenant, workflow, channel, status });
    },
    adminAuthFailure(method) {
      authFailures.inc({ method });
    },
    adminAuthLockout(key) {
      authLockouts.inc({ key });
    },
    // Nothing of its own to release: every series is counted in process or read at scrape time.
    async close() {},
  };
}
