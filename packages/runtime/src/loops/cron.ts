import { JsonObject, PrivacyMode, Subject, TenantId, WorkflowName } from '@revos/envelope';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { z } from 'zod';
import { cronPatternProblem } from './cron-pattern.js';
import { acceptSubmission, IntakeRefused, type IntakeDeps } from '../intake/intake.js';

/** One schedule from configuration: which tenant runs which workflow when. */
export const CronSchedule = z
  .object({
    /** Stable id: the BullMQ job scheduler id, and part of every firing's trigger id. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,59}$/, 'lowercase letters, digits, _ and - (max 60)'),
    tenant_id: TenantId,
    workflow: WorkflowName,
    version: z.string().optional(),
    /** Cron pattern (5 fields, 6 with seconds first, or an @alias), evaluated in `tz`; checked at load (cron-pattern.ts). */
    pattern: z.string().min(1),
    tz: z.string().default('UTC'),
    payload: JsonObject.default({}),
    subject: Subject.default({}),
    privacy_mode: PrivacyMode.default('standard'),
    environment: z.enum(['prod', 'staging']).default('prod'),
  })
  .strict()
  .superRefine((s, ctx) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: s.tz });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'must be an IANA time zone such as America/New_York' });
      return;
    }
    const problem = cronPatternProblem(s.pattern, s.tz);
    if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `${JSON.stringify(s.pattern.slice(0, 60))} ${problem}`, params: { rule: 'cron_pattern' } });
  });
export type CronSchedule = z.infer<typeof CronSchedule>;
export const CronSchedules = z.array(CronSchedule).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate schedule id ${s.id}` });
    seen.add(s.id);
  });
});

export const CRON_QUEUE = 'revos-cron';

/** The trigger id of one firing: the schedule and its slot, so every replica firing the slot makes the same key. */
export function cronTriggerId(scheduleId: string, slot: Date): string {
  return `cron:${scheduleId}:${slot.toISOString()}`;
}

/** The envelope of one firing (before intake fills ids and the key). */
export function cronEnvelope(schedule: CronSchedule, slot: Date): Record<string, unknown> {
  return {
    meta: {
      workflow_name: schedule.workflow,
      ...(schedule.version ? { workflow_version: schedule.version } : {}),
      trigger_source: 'cron',
      trigger_id: cronTriggerId(schedule.id, slot),
      environment: schedule.environment,
      privacy_mode: schedule.privacy_mode,
    },
    subject: schedule.subject,
    payload: schedule.payload,
  };
}

export interface CronProducer {
  close(): Promise<void>;
}

/**
 * Registers the schedules as BullMQ job schedulers (upsert: replicas share one
 * scheduler per id; ids no longer configured are removed) and turns each firing
 * into a run through intake. Two replicas that both fire a slot submit the same
 * key: one run, one duplicate.
 */
export async function startCronProducer(
  deps: IntakeDeps & { log: Logger; connection: ConnectionOptions; prefix: string },
  schedules: CronSchedule[],
): Promise<CronProducer> {
  const queue = new Queue(CRON_QUEUE, { connection: deps.connection, prefix: deps.prefix });
  const byId = new Map(schedules.map((s) => [s.id, s]));
  for (const s of schedules) {
    await queue.upsertJobScheduler(s.id, { pattern: s.pattern, tz: s.tz }, { name: s.id, data: { schedule_id: s.id }, opts: { removeOnComplete: 1000, removeOnFail: 5000 } });
  }
  for (const existing of await queue.getJobSchedulers()) {
    const id = existing.key;
    if (!byId.has(id)) {
      await queue.removeJobScheduler(id);
      deps.log.info({ schedule_id: id }, 'removed a schedule no longer configured');
    }
  }

  const worker = new Worker(
    CRON_QUEUE,
    async (job: Job<{ schedule_id: string }>) => {
      const schedule = byId.get(job.data.schedule_id);
      if (!schedule) return { status: 'unknown_schedule' };
      const slot = new Date(Number(job.opts.prevMillis ?? job.timestamp));
      const outcome = await acceptSubmission(deps, cronEnvelope(schedule, slot), schedule.tenant_id, { source: 'cron' });
      // Schedules are checked at start; a refusal now (a workflow removed since) fails the slot's job, naming why.
      if (!outcome.ok) throw new IntakeRefused(outcome.refusal);
      const { result } = outcome;
      deps.log.info({ schedule_id: schedule.id, slot: slot.toISOString(), workflow_run_id: result.workflow_run_id, status: result.status }, 'cron slot fired');
      return { status: result.status, workflow_run_id: result.workflow_run_id };
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4 },
  );
  worker.on('error', (error) => deps.log.error({ err: error }, 'cron worker error'));
  await worker.waitUntilReady();
  deps.log.info({ schedules: schedules.map((s) => s.id) }, 'cron schedules registered');
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
