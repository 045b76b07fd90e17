/**
 * Fault case 6: Redis restarted without persistence mid-load. A redis-server the test starts on
 * its own port (`--save "" --appendonly no`; the machine's 6379 is never touched) is SIGKILLed
 * while runs are queued and running, and started again empty on the same port. PostgreSQL's
 * accepted_runs is the record: the reconciler (as the producer runs it, here with a 0 grace)
 * must re-enqueue every accepted run that lost its job, and each must finish exactly once.
 */
import { reconcileOnce } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { startFaultFleet, type FaultFleet } from '../../support/fault-fleet.js';
import { SEND_DEDUPED, SEND_ONCE } from '../../support/fault-workflows.js';
import { sleep } from '../../support/harness.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/redis-server.js';
import { createLogger } from '@revos/runtime';

export interface RedisRestartProfile {
  name: 'short' | 'full';
  runs: number;
  runsPerSecond: number;
  /** The restart happens once this share of the runs was submitted. */
  restartAt: number;
  /** How long Redis stays down between the kill and the new start. */
  downMs: number;
  /** Jobs each lane runs at once: low, so a backlog of waiting jobs is there to lose. */
  concurrency: number;
  /** How often the reconciler sweeps after the restart (the producer's RECONCILE_INTERVAL_MS). */
  reconcileEveryMs: number;
  drainTimeoutMs: number;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function redisRestartSuite(profile: RedisRestartProfile): void {
  let redis: PrivateRedis;
  let fleet: FaultFleet;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    fleet = await startFaultFleet({ redisUrl: redis.url, vendorDelayMs: 200, concurrency: profile.concurrency });
  });
  afterAll(async () => {
    await fleet?.close();
    await redis?.stop();
  });

  describe(`fault#6 (${profile.name}): Redis restarted without persistence mid-load`, () => {
    it('the reconciler re-enqueues every accepted run whose job was lost; each finishes once', async () => {
      const accepted: AcceptedRun[] = [];
      let jobsLost = 0;
      let enqueueFailures = 0;
      let restartMs = 0;
      // Submissions go on while Redis is down (they block in ioredis until it is back); the loop
      // keeps its pace by not awaiting them one by one.
      const submissions: Promise<void>[] = [];
      for (let i = 0; i < profile.runs; i++) {
        if (i === Math.floor(profile.runs * profile.restartAt)) {
          const counts = await fleet.queues.realtime.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          jobsLost = Object.values(counts).reduce((a, b) => a + b, 0);
          const t0 = Date.now();
          await redis.kill9();
          await sleep(profile.downMs);
          await redis.start();
          restartMs = Date.now() - t0;
        }
        const workflow = i % 2 === 0 ? SEND_ONCE : SEND_DEDUPED;
        const payload = { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 300), post_ms: rand(0, 300) };
        submissions.push(
          fleet.submit(workflow, payload).then(
            ({ accepted: run }) => void accepted.push(run),
            // Recorded in accepted_runs but not enqueued: the API would answer 500; the reconciler owes it a job.
            () => void (enqueueFailures += 1),
          ),
        );
        await sleep(1_000 / profile.runsPerSecond);
      }
      await Promise.all(submissions);
      // Every row of accepted_runs counts as accepted, including any whose enqueue failed.
      const rows = await fleet.db.sql<{ workflow_run_id: string; idempotency_key: string; workflow_name: string }[]>`
        select workflow_run_id, idempotency_key, workflow_name from accepted_runs`;
      const all: AcceptedRun[] = rows.map((r) => ({ workflowRunId: r.workflow_run_id, idempotencyKey: r.idempotency_key, workflow: r.workflow_name }));

      const log = createLogger({ level: 'silent' });
      let reenqueued = 0;
      let retried = 0;
      let sweeps = 0;
      const started = Date.now();
      while (Date.now() - started < profile.drainTimeoutMs) {
        const result = await reconcileOnce({ db: fleet.db, queues: fleet.queues, catalog: fleet.catalog, log }, { graceMs: 0 });
        sweeps += 1;
        reenqueued += result.reenqueued;
        retried += result.retried;
        if ((await waitForFinal(fleet.db, all.map((r) => r.workflowRunId), profile.reconcileEveryMs)) < profile.reconcileEveryMs) break;
      }
      const drainMs = Date.now() - started;
      const f = await auditFaultRuns(fleet.db, fleet.vendor, all);
      console.log(
        `fault#6 profile=${profile.name} runs=${f.accepted} restart_after=${Math.floor(profile.runs * profile.restartAt)} jobs_in_redis_at_kill=${jobsLost} ` +
          `down_ms=${restartMs} enqueue_failures=${enqueueFailures} reconciler_sweeps=${sweeps} reenqueued=${reenqueued} retried=${retried} ` +
          `ok=${f.ok} outcome_unknown=${f.outcomeUnknown} dedupe_resends=${f.dedupedResends} double_sends=${f.doubleSends.length} ` +
          `duplicate_events=${f.duplicateEvents} unexpected=${f.unexpected.length} lost=${f.lost.length} drain_ms=${drainMs}`,
      );

      expect(all.length).toBe(profile.runs);
      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      expect(reenqueued).toBeGreaterThan(0); // the restart did lose jobs, and the reconciler found them
      for (const w of fleet.workers) expect(w.isRunning()).toBe(true);
    }, profile.runs * (1_000 / profile.runsPerSecond + 200) + profile.drainTimeoutMs + 60_000);
  });
}
