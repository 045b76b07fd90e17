/**
 * Fault case 1: SIGKILL worker replicas (real processes) at random moments of runs, before,
 * during and after their vendor call, while load keeps arriving; restart each victim. Every
 * accepted run must reach a final status, the vendor must see each effect at most once (once for
 * every ok run), and no (key, effect) may have two events.
 *
 * A kill during a call to a vendor without token dedupe leaves an intent whose outcome is unknown:
 * the next attempt looks the message up (found: completed with it; proven absent: one new call;
 * `settled_by_lookup` counts those). Only what the lookup cannot tell ends `failed` with
 * `effect_outcome_unknown` and an escalation task, counted apart, not as losses.
 */
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, describeLostRuns, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { fakeTwilioWithDedupe, type FaultVendor } from '../../support/fault-vendor.js';
import { enqueueOnlyServices, faultWorkflows, SEND_DEDUPED, SEND_ONCE, type FaultPhase } from '../../support/fault-workflows.js';
import { REDIS_URL, sleep, startHarness, type Harness } from '../../support/harness.js';
import { spawnTs, type Spawned } from '../../support/processes.js';

export interface WorkerKillsProfile {
  name: 'short' | 'full';
  kills: number;
  replicas: number;
  /** Runs submitted per second while the killer works. */
  runsPerSecond: number;
  /** Pause between kills, ms (uniform in the range). */
  killGapMs: [number, number];
  /** How long, after the last kill, every accepted run has to reach a final status. */
  drainTimeoutMs: number;
}

interface Replica {
  slot: number;
  generation: number;
  accountSid: string;
  proc: Spawned;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** The last phase each run reached on a replica, from its phase lines. */
function lastPhases(replica: Replica): Map<string, FaultPhase> {
  const phases = new Map<string, FaultPhase>();
  for (const line of replica.proc.output.join('').split('\n')) {
    if (!line.startsWith('{"fault_phase"')) continue;
    try {
      const { fault_phase, run } = JSON.parse(line) as { fault_phase: FaultPhase; run: string };
      phases.set(run, fault_phase);
    } catch {
      // A line cut by the kill.
    }
  }
  return phases;
}

export function workerKillsSuite(profile: WorkerKillsProfile): void {
  let h: Harness;
  let vendor: FaultVendor;
  const live = new Map<number, Replica>();
  const everSpawned: Spawned[] = [];

  beforeAll(async () => {
    h = await startHarness({ noWorkers: true, extraWorkflows: faultWorkflows(enqueueOnlyServices()) });
    vendor = fakeTwilioWithDedupe(h.vendor, 300);
  });
  afterAll(async () => {
    for (const p of everSpawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(everSpawned.map((p) => p.exited));
    await h?.close();
  });

  async function spawnReplica(slot: number, generation: number): Promise<Replica> {
    const accountSid = `AC_fault_r${slot}_g${generation}`;
    const proc = await spawnTs(
      'test/support/fault-worker-process.ts',
      {
        REDIS_URL,
        DATABASE_URL: h.database.url,
        MIGRATE_ON_START: 'false',
        QUEUE_PREFIX: h.prefix,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'error',
        WORKER_ID: `fault-r${slot}-g${generation}`,
        TWILIO_BASE_URL: h.vendor.url,
        TWILIO_ACCOUNT_SID: accountSid,
        PMS_BASE_URL: `${h.vendor.url}/pms`,
        SHUTDOWN_TIMEOUT_MS: '1000',
        DB_POOL_MAX: '8',
        VENDOR_TIMEOUT_MS: '3000',
        // The stand-in lists at once; a short delay keeps absence-proof quick without skipping it.
        RECONCILE_LISTING_DELAY_MS: '1000',
      },
      /"ready":true/,
      60_000,
    );
    everSpawned.push(proc);
    const replica = { slot, generation, accountSid, proc };
    live.set(slot, replica);
    return replica;
  }

  const timeoutMs = profile.kills * (profile.killGapMs[1] + 4_000) + profile.drainTimeoutMs + 60_000;

  describe(`fault#1 (${profile.name}): worker replicas SIGKILLed at random points of runs`, () => {
    it(`${profile.kills} kills among ${profile.replicas} replicas: every accepted run finishes, each effect reaches the vendor at most once`, async () => {
      await Promise.all(Array.from({ length: profile.replicas }, (_, slot) => spawnReplica(slot, 0)));

      const accepted: AcceptedRun[] = [];
      let loading = true;
      const load = (async () => {
        let n = 0;
        while (loading) {
          const workflow = n++ % 2 === 0 ? SEND_ONCE : SEND_DEDUPED;
          const payload = { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 400), post_ms: rand(0, 400) };
          const envelope = h.envelope({ workflow, payload });
          const result = await submitRun(h, envelope, { source: 'api' });
          if (result.status === 'queued') accepted.push({ workflowRunId: result.workflow_run_id, idempotencyKey: result.idempotency_key, workflow });
          await sleep(1_000 / profile.runsPerSecond);
        }
      })();

      const interrupted: Record<FaultPhase, number> = { pre: 0, vendor: 0, post: 0 };
      let killsDuringVendorCall = 0;
      const restarts: Promise<unknown>[] = [];
      let generation = 1;
      await sleep(1_500); // let runs start before the first kill
      for (let k = 0; k < profile.kills; k++) {
        await sleep(rand(...profile.killGapMs));
        // Keep at least one replica serving: wait for restarts when too few are up.
        while (live.size < 2) await sleep(100);
        const candidates = [...live.values()];
        const victim = candidates[rand(0, candidates.length - 1)]!;
        if (vendor.inFlight(victim.accountSid).length > 0) killsDuringVendorCall += 1;
        live.delete(victim.slot);
        victim.proc.child.kill('SIGKILL');
        expect(await victim.proc.exited).toBe('SIGKILL');
        // Runs the victim was in the middle of: those it had started and that are not final now.
        const phases = lastPhases(victim);
        if (phases.size > 0) {
          const finished = await h.db.sql<{ workflow_run_id: string }[]>`
            select workflow_run_id from workflow_runs
             where workflow_run_id in ${h.db.sql([...phases.keys()])} and status in ('ok', 'noop', 'failed', 'blocked')`;
          const done = new Set(finished.map((r) => r.workflow_run_id));
          for (const [run, phase] of phases) if (!done.has(run)) interrupted[phase] += 1;
        }
        restarts.push(spawnReplica(victim.slot, generation++));
      }
      loading = false;
      await load;
      await Promise.all(restarts);

      const drainMs = await waitForFinal(h.db, accepted.map((r) => r.workflowRunId), profile.drainTimeoutMs);
      const f = await auditFaultRuns(h.db, vendor, accepted);
      const summary =
        `fault#1 profile=${profile.name} replicas=${profile.replicas} kills=${profile.kills} kills_during_vendor_call=${killsDuringVendorCall} ` +
        `interrupted_before=${interrupted.pre} interrupted_during=${interrupted.vendor} interrupted_after=${interrupted.post} ` +
        `runs=${f.accepted} ok=${f.ok} settled_by_lookup=${f.settledByLookup} outcome_unknown=${f.outcomeUnknown} dedupe_resends=${f.dedupedResends} ` +
        `double_sends=${f.doubleSends.length} duplicate_events=${f.duplicateEvents} unexpected=${f.unexpected.length} lost=${f.lost.length} drain_ms=${drainMs}`;
      console.log(summary);
      for (const line of await describeLostRuns(h.db, f.lost, h.queues)) console.log(line);

      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      // The kills did land where they were meant to (before and during/after calls alike).
      expect(interrupted.pre + interrupted.vendor + interrupted.post).toBeGreaterThan(0);
      // The replicas still up are healthy processes, not crashed ones.
      for (const r of live.values()) expect(r.proc.child.exitCode).toBeNull();
    }, timeoutMs);
  });
}
