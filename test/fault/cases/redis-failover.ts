/**
 * Redis fails over under load (issue #28, item 3). The fleet's Redis is a private master with one
 * replica watched by three Sentinels (test/support/redis-sentinel.ts), and the fleet opens it as the apps
 * do with REDIS_SENTINELS and REDIS_SENTINEL_MASTER (createRedisConnection). Mid-load the master is
 * SIGKILLed; the Sentinels promote the replica and BullMQ's connections follow them to it. Replication is
 * asynchronous, so jobs the master took but had not streamed are gone: PostgreSQL's accepted_runs is the
 * record, and the reconciler (as the producer runs it) enqueues again every accepted run whose job
 * vanished. Every accepted run must finish once. Time to resume is reported, not asserted.
 */
import { createLogger, reconcileOnce } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { startFaultFleet, type FaultFleet } from '../../support/fault-fleet.js';
import { reportPhases, SEND_DEDUPED, SEND_ONCE } from '../../support/fault-workflows.js';
import { sleep } from '../../support/harness.js';
import { startSentinelRedis, type SentinelRedis } from '../../support/redis-sentinel.js';

export interface RedisFailoverProfile {
  name: 'short' | 'full';
  runs: number;
  runsPerSecond: number;
  /** The master is killed once this share of the runs was submitted. */
  killAt: number;
  /** How long the master takes writes after the replication link is cut, before it is killed: those are lost. */
  unreplicatedMs: number;
  /** Jobs each lane runs at once: low, so a backlog of waiting jobs is there to lose. */
  concurrency: number;
  /** The producer's RECONCILE_INTERVAL_MS and RECONCILE_GRACE_MS, shortened. */
  reconcileEveryMs: number;
  reconcileGraceMs: number;
  drainTimeoutMs: number;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function redisFailoverSuite(profile: RedisFailoverProfile): void {
  let redis: SentinelRedis;
  let fleet: FaultFleet;
  const vendorCalls: number[] = [];

  beforeAll(async () => {
    reportPhases((_runId, phase) => {
      if (phase === 'vendor') vendorCalls.push(Date.now());
    });
    redis = await startSentinelRedis();
    fleet = await startFaultFleet({ redisSettings: redis.settings, vendorDelayMs: 200, concurrency: profile.concurrency });
  });
  afterAll(async () => {
    reportPhases(() => {});
    await fleet?.close();
    await redis?.stop();
  });

  describe(`Redis failover (${profile.name}): master killed mid-load, Sentinel promotes the replica`, () => {
    it('BullMQ follows the Sentinels to the new master; the reconciler re-enqueues lost jobs; every accepted run finishes once', async () => {
      let enqueueFailures = 0;
      let jobsAtKill = 0;
      let killedAt = 0;
      let switchedAt = 0;
      let newMasterPort = 0;

      // The reconciler, as the producer runs it, throughout.
      const healed = { reenqueued: 0, replaced: 0, retried: 0, failedSweeps: 0 };
      let reconciling = true;
      const log = createLogger({ level: 'silent' });
      const reconciler = (async () => {
        while (reconciling) {
          try {
            const r = await reconcileOnce({ db: fleet.db, queues: fleet.queues, catalog: fleet.catalog, log }, { graceMs: profile.reconcileGraceMs });
            healed.reenqueued += r.reenqueued;
            healed.replaced += r.replaced;
            healed.retried += r.retried;
          } catch {
            healed.failedSweeps += 1;
          }
          await sleep(profile.reconcileEveryMs);
        }
      })();

      const submitOne = (i: number) => {
        const workflow = i % 2 === 0 ? SEND_ONCE : SEND_DEDUPED;
        const payload = { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 300), post_ms: rand(0, 300) };
        return fleet.submit(workflow, payload).then(
          () => {},
          // Recorded in accepted_runs but not enqueued: the API would answer 500; the reconciler owes it a job.
          () => void (enqueueFailures += 1),
        );
      };
      // Submissions go on during the switch (they wait in ioredis' offline queue); the loop keeps its pace.
      const submissions: Promise<void>[] = [];
      let switched: Promise<void> = Promise.resolve();
      for (let i = 0; i < profile.runs; i++) {
        if (i === Math.floor(profile.runs * profile.killAt)) {
          const counts = await fleet.queues.realtime.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          jobsAtKill = Object.values(counts).reduce((a, b) => a + b, 0);
          redis.cutReplication();
          const cutAt = Date.now();
          while (Date.now() - cutAt < profile.unreplicatedMs) {
            // Runs accepted now go to the master only: the failover loses their jobs.
            submissions.push(submitOne(i++));
            await sleep(1_000 / profile.runsPerSecond);
          }
          killedAt = Date.now();
          await redis.killMaster();
          switched = redis.waitForSwitch(60_000).then((port) => {
            switchedAt = Date.now();
            newMasterPort = port;
          });
        }
        submissions.push(submitOne(i));
        await sleep(1_000 / profile.runsPerSecond);
      }
      await switched;
      await Promise.all(submissions);

      const rows = await fleet.db.sql<{ workflow_run_id: string; idempotency_key: string; workflow_name: string }[]>`
        select workflow_run_id, idempotency_key, workflow_name from accepted_runs`;
      const all: AcceptedRun[] = rows.map((r) => ({ workflowRunId: r.workflow_run_id, idempotencyKey: r.idempotency_key, workflow: r.workflow_name }));
      const drainMs = await waitForFinal(fleet.db, all.map((r) => r.workflowRunId), profile.drainTimeoutMs);
      reconciling = false;
      await reconciler;
      const f = await auditFaultRuns(fleet.db, fleet.vendor, all);
      const role = (await fleet.redis.call('ROLE')) as [string];
      const [, port] = ((await fleet.redis.call('CONFIG', 'GET', 'port')) as string[]) ?? [];
      const firstCallAfter = vendorCalls.find((t) => t >= switchedAt);
      console.log(
        `redis-failover profile=${profile.name} runs=${f.accepted} kill_after=${Math.floor(profile.runs * profile.killAt)} jobs_in_redis_at_kill=${jobsAtKill} ` +
          `kill_to_switch_ms=${switchedAt - killedAt} switch_to_resume_ms=${firstCallAfter === undefined ? 'never' : firstCallAfter - switchedAt} ` +
          `enqueue_failures=${enqueueFailures} reconciler_reenqueued=${healed.reenqueued} reconciler_replaced=${healed.replaced} reconciler_retried=${healed.retried} ` +
          `failed_sweeps=${healed.failedSweeps} ok=${f.ok} outcome_unknown=${f.outcomeUnknown} dedupe_resends=${f.dedupedResends} double_sends=${f.doubleSends.length} ` +
          `duplicate_events=${f.duplicateEvents} unexpected=${f.unexpected.length} lost=${f.lost.length} drain_ms=${drainMs}`,
      );

      expect(newMasterPort).toBe(redis.replicaPort);
      expect(role[0]).toBe('master');
      expect(Number(port)).toBe(redis.replicaPort); // the fleet's connection is on the promoted replica
      expect(all.length).toBe(profile.runs);
      expect(healed.reenqueued + healed.replaced).toBeGreaterThan(0); // the failover did lose jobs, and the reconciler found them
      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      for (const w of fleet.workers) expect(w.isRunning()).toBe(true);
    }, profile.runs * (1_000 / profile.runsPerSecond + 200) + profile.drainTimeoutMs + 90_000);
  });
}
