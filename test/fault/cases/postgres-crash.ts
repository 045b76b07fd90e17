/**
 * Fault case 9: the PostgreSQL server crashes mid-load. The fleet's database lives on a private
 * cluster (test/support/postgres-server.ts) that the test crashes with an immediate shutdown while
 * vendor calls are in flight, keeps down a moment and starts again (crash recovery), under steady
 * load, a few times. Unlike fault#5 (a cut proxy, the server never stops) WAL that was not yet written
 * is really lost here, and claims commit asynchronously (claimIdempotencyKeys): a crash can take a
 * claim an attempt already acted on. The crash is timed for that: when the test picks it, it waits
 * (briefly) for a moment with vendor calls in flight and WAL not yet written, and notes which claims
 * it saw committed, to count after recovery those the crash took.
 *
 * The fleet heals as production does: intake answers only after its record committed (a submission
 * that fails while the server is down is not accepted: a producer would answer 5xx), parked jobs come
 * back, and the reconciler (run here on an interval, as the producer runs it) enqueues accepted runs
 * whose attempt ended 'lost'.
 */
import { createDb, type Db } from '@revos/db';
import { createLogger, reconcileOnce } from '@revos/runtime';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, describeLostRuns, effectToken, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { startFaultFleet, type FaultFleet } from '../../support/fault-fleet.js';
import { tokenOf } from '../../support/fault-vendor.js';
import { reportPhases, SEND_DEDUPED, SEND_ONCE } from '../../support/fault-workflows.js';
import { sleep } from '../../support/harness.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../support/postgres-server.js';
import { isTypeFetchCutByConnectionLoss } from '@revos/db';

export interface PostgresCrashProfile {
  name: 'short' | 'full';
  crashes: number;
  runsPerSecond: number;
  /** Load before the first crash, between crashes (from one restart to the next crash) and after the last restart. */
  loadBeforeMs: number;
  betweenMs: number;
  loadAfterMs: number;
  /** How long the server stays down after each crash. */
  downMs: number;
  /** How long a crash waits for its moment (a claim just committed, vendor calls in flight) before it crashes anyway. */
  timingPatienceMs: number;
  /** The producer's RECONCILE_INTERVAL_MS and RECONCILE_GRACE_MS, shortened. */
  reconcileEveryMs: number;
  reconcileGraceMs: number;
  drainTimeoutMs: number;
}

interface CrashFigures {
  /** Whether the moment it waited for came (vendor calls in flight and unwritten WAL) before it gave up. */
  timed: boolean;
  inFlight: number;
  unwrittenWalBytes: number;
  /** In-progress claims the last look before the crash saw committed. */
  claimsSeen: number;
  /** Of those, claims recovery did not bring back (row gone or fence lower): lost with the crash. */
  claimsLost: number;
  downMs: number;
  recoveryMs: number;
  /** When the restarted server accepted connections again. */
  readyAt: number;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function postgresCrashSuite(profile: PostgresCrashProfile): void {
  let pg: PrivatePostgres;
  let fleet: FaultFleet;
  /** One connection of the test's own: the crash's timing probe. */
  let probe: Db;

  beforeAll(async () => {
    process.on('unhandledRejection', countTypeFetch);
    reportPhases((runId, phase) => {
      if (phase === 'pre') onPre?.(runId);
      else if (phase === 'vendor') vendorPhases.push(Date.now());
    });
    pg = await startPrivatePostgres();
    fleet = await startFaultFleet({
      createDatabase: () => pg.createDatabase(),
      // The workers' own pool, as a worker process has (the intake's is fleet.db).
      workerDatabaseUrl: (database) => database.url,
      vendorDelayMs: 300,
    });
    probe = createDb({ url: fleet.database.url, max: 1, applicationName: 'revos-crash-probe' });
  });
  afterAll(async () => {
    process.removeListener('unhandledRejection', countTypeFetch);
    reportPhases(() => {});
    await probe?.close();
    await fleet?.close();
    await pg?.stop();
  });

  /**
   * Crashes at a moment worth crashing in: a run has just reported its 'pre' phase (its claim committed
   * asynchronously a few milliseconds ago, and the steps in between only read) while other runs' vendor
   * calls are in flight. The signal goes out inside the report, before anything else can flush WAL.
   * Meanwhile a read-only probe notes the in-progress claims it sees committed, with their fences.
   */
  async function timedCrash(): Promise<Omit<CrashFigures, 'claimsLost' | 'downMs' | 'recoveryMs' | 'readyAt'> & { seen: Map<string, number> }> {
    const deadline = Date.now() + profile.timingPatienceMs;
    const seen = new Map<string, number>();
    let crashed: { at: 'pre' | 'timeout'; inFlight: number; trigger?: string; down: Promise<void> } | null = null;
    onPre = (runId) => {
      if (crashed) return;
      const inFlight = fleet.vendor.inFlight().length;
      if (inFlight === 0) return;
      crashed = { at: 'pre', inFlight, trigger: runId, down: pg.crash() };
    };
    let unwritten = 0;
    try {
      while (!crashed) {
        // Read-only: this look writes no WAL of its own, so it does not flush the claims it counts.
        const [row] = await probe.sql<{ unwritten: string; keys: { k: string; f: number }[] }[]>`
          select (pg_current_wal_insert_lsn() - pg_current_wal_lsn())::bigint::text as unwritten,
                 (select coalesce(json_agg(json_build_object('k', idempotency_key, 'f', fence)), '[]'::json)
                    from idempotency_keys where state = 'in_progress') as keys`.catch(() => []);
        if (crashed) break; // the server went down under this look: what it saw is from before
        unwritten = Number(row?.unwritten ?? 0);
        for (const { k, f } of row?.keys ?? []) seen.set(k, Number(f));
        if (Date.now() >= deadline) crashed = { at: 'timeout', inFlight: fleet.vendor.inFlight().length, down: pg.crash() };
        else await sleep(5);
      }
    } finally {
      onPre = null;
    }
    const done = crashed as { at: 'pre' | 'timeout'; inFlight: number; trigger?: string; down: Promise<void> };
    await done.down;
    // The run that pulled the trigger had its claim committed; the probe may not have seen it (fence
    // unknown: it counts as lost only if its row is gone).
    const triggerKey = done.trigger ? keyOf.get(done.trigger) : undefined;
    if (triggerKey && !seen.has(triggerKey)) seen.set(triggerKey, 1);
    return { timed: done.at === 'pre', inFlight: done.inFlight, unwrittenWalBytes: unwritten, claimsSeen: seen.size, seen };
  }
  /** Run id → idempotency key of every run intake answered. */
  const keyOf = new Map<string, string>();
  /** Set while a crash is armed: told of every run entering its 'pre' phase. */
  let onPre: ((runId: string) => void) | null = null;
  /**
   * postgres.js rejections nobody can handle: the array-type query each new connection runs, cut by
   * a crash (vitest.config.ts lets exactly these through). A production process exits on one.
   */
  let typeFetchRejections = 0;
  const countTypeFetch = (reason: unknown) => {
    if (isTypeFetchCutByConnectionLoss(reason)) typeFetchRejections += 1;
  };
  /** When runs last reached the vendor (to see how long the fleet takes to resume after a restart). */
  const vendorPhases: number[] = [];

  const loadMs = profile.loadBeforeMs + (profile.crashes - 1) * profile.betweenMs + profile.loadAfterMs + profile.crashes * profile.downMs;
  const timeoutMs = loadMs + profile.crashes * (profile.timingPatienceMs + 15_000) + profile.drainTimeoutMs + 60_000;

  describe(`fault#9 (${profile.name}): PostgreSQL server crashed ${profile.crashes}× mid-load (immediate shutdown, crash recovery)`, () => {
    it('every accepted run survives the crashes and finishes; no text is sent twice; one event per effect', async () => {
      const answered: AcceptedRun[] = [];
      let refused = 0;
      let downNow = false;
      let refusedWhileDown = 0;
      let leaseLostJobs = 0;
      for (const w of fleet.workers) {
        w.on('completed', (_job, value: { status?: string } | undefined) => {
          if (value?.status === 'lease_lost') leaseLostJobs += 1;
        });
      }

      // Steady load, each submission on its own so a slow one does not slow the pace.
      let loading = true;
      const submissions: Promise<void>[] = [];
      const load = (async () => {
        for (let n = 0; loading; n++) {
          const workflow = n % 2 === 0 ? SEND_ONCE : SEND_DEDUPED;
          const payload = { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 300), post_ms: rand(0, 300) };
          submissions.push(
            fleet.submit(workflow, payload).then(
              ({ accepted: run, status }) => {
                keyOf.set(run.workflowRunId, run.idempotencyKey);
                if (status === 'queued') answered.push(run);
              },
              // Not answered 'queued': the caller was told no (a producer's 5xx), and may try again.
              () => {
                refused += 1;
                if (downNow) refusedWhileDown += 1;
              },
            ),
          );
          await sleep(1_000 / profile.runsPerSecond);
        }
      })();

      // The reconciler, as the producer runs it (every() there logs and goes on when a sweep fails).
      // Its warn lines say which runs it re-enqueued, and when.
      const healedRuns: { run: string; msg: string; at: number }[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString('utf8').split('\n')) {
            if (!line.trim()) continue;
            const parsed = JSON.parse(line) as { workflow_run_id?: string; msg?: string };
            if (parsed.workflow_run_id) healedRuns.push({ run: parsed.workflow_run_id, msg: parsed.msg ?? '', at: Date.now() });
          }
          done();
        },
      });
      const log = createLogger({ level: 'warn', destination: sink });
      const healed = { reenqueued: 0, replaced: 0, retried: 0, sweeps: 0, failedSweeps: 0 };
      let reconciling = true;
      const reconciler = (async () => {
        while (reconciling) {
          try {
            const r = await reconcileOnce({ db: fleet.db, queues: fleet.queues, catalog: fleet.catalog, log }, { graceMs: profile.reconcileGraceMs });
            healed.reenqueued += r.reenqueued;
            healed.replaced += r.replaced;
            healed.retried += r.retried;
            healed.sweeps += 1;
          } catch {
            healed.failedSweeps += 1; // the server is down
          }
          await sleep(profile.reconcileEveryMs);
        }
      })();

      const crashes: CrashFigures[] = [];
      await sleep(profile.loadBeforeMs);
      for (let c = 0; c < profile.crashes; c++) {
        if (c > 0) await sleep(profile.betweenMs);
        const seen = await timedCrash();
        downNow = true;
        const downAt = Date.now();
        await sleep(profile.downMs);
        const startAt = Date.now();
        await pg.start();
        downNow = false;
        const recoveryMs = Date.now() - startAt;
        const downMs = Date.now() - downAt;
        const seenKeys: string[] = [...seen.seen.keys(), ''];
        const after = await probe.sql<{ k: string; f: string }[]>`
          select idempotency_key as k, fence::text as f from idempotency_keys where idempotency_key in ${probe.sql(seenKeys)}`;
        const fenceAfter = new Map(after.map((r) => [r.k, Number(r.f)]));
        const claimsLost = [...seen.seen].filter(([k, f]) => (fenceAfter.get(k) ?? 0) < f).length;
        crashes.push({ timed: seen.timed, inFlight: seen.inFlight, unwrittenWalBytes: seen.unwrittenWalBytes, claimsSeen: seen.claimsSeen, claimsLost, downMs, recoveryMs, readyAt: startAt + recoveryMs });
      }
      await sleep(profile.loadAfterMs);
      loading = false;
      await load;
      await Promise.all(submissions);

      // Accepted = every row of accepted_runs (a commit whose answer the crash cut counts too); every
      // run intake answered 'queued' must be among them.
      const rows = await fleet.db.sql<{ workflow_run_id: string; idempotency_key: string; workflow_name: string }[]>`
        select workflow_run_id, idempotency_key, workflow_name from accepted_runs`;
      const all: AcceptedRun[] = rows.map((r) => ({ workflowRunId: r.workflow_run_id, idempotencyKey: r.idempotency_key, workflow: r.workflow_name }));
      const recorded = new Set(all.map((r) => r.workflowRunId));
      const answeredButLost = answered.filter((r) => !recorded.has(r.workflowRunId)).map((r) => r.workflowRunId);

      const drainMs = await waitForFinal(fleet.db, all.map((r) => r.workflowRunId), profile.drainTimeoutMs);
      reconciling = false;
      await reconciler;
      const f = await auditFaultRuns(fleet.db, fleet.vendor, all);
      for (const line of await describeLostRuns(fleet.db, f.lost)) console.log(line);

      // A deduping vendor must only ever see the one token each key derives, and issue one message for it.
      const dedupeTokens = new Set(all.filter((r) => r.workflow === SEND_DEDUPED).map((r) => effectToken(r.idempotencyKey)));
      const dedupeRequests = [...fleet.vendor.stats('dedupe').requestsPerToken.values()].flat();
      const strayTokens = [...new Set(dedupeRequests.map(tokenOf).filter((t) => !dedupeTokens.has(t)))];
      const leaseLostLogged = fleet.logLines.filter((l) => String(l['msg'] ?? '').startsWith('lease lost')).length;
      const parked = fleet.logLines.filter((l) => l['msg'] === 'infrastructure unavailable; job parked').length;
      // From the restart to the first vendor call after it: how long the fleet took to resume.
      const resumeMs = crashes.map((c) => {
        const first = vendorPhases.find((t) => t >= c.readyAt);
        return first === undefined ? 'never' : String(first - c.readyAt);
      });
      // A replaced job is either the 'lost' attempt's (its job ended without an outcome) or a run that
      // finished between the sweep's list and its look at the job (harmless: the new job is a noop).
      const replacedIds = healedRuns.filter((h) => h.msg.includes('replaced')).map((h) => h.run);
      const ended = replacedIds.length === 0 ? [] : await fleet.db.sql<{ workflow_run_id: string; ended_ms: string }[]>`
        select workflow_run_id, (extract(epoch from ended_at) * 1000)::bigint::text as ended_ms from workflow_runs where workflow_run_id in ${fleet.db.sql(replacedIds)}`;
      const endedAt = new Map(ended.map((r) => [r.workflow_run_id, Number(r.ended_ms)]));
      const replacedAfterFinish = healedRuns.filter((h) => h.msg.includes('replaced') && (endedAt.get(h.run) ?? Infinity) <= h.at).length;
      const sum = (pick: (c: CrashFigures) => number) => crashes.reduce((n, c) => n + pick(c), 0);

      console.log(
        `fault#9 profile=${profile.name} runs=${f.accepted} answered=${answered.length} refused=${refused} (while_down=${refusedWhileDown}) ` +
          `crashes=${crashes.length} timed=${crashes.filter((c) => c.timed).length} in_flight_at_crash=${crashes.map((c) => c.inFlight).join('/')} ` +
          `unwritten_wal_bytes=${crashes.map((c) => c.unwrittenWalBytes).join('/')} claims_seen=${sum((c) => c.claimsSeen)} claims_lost=${sum((c) => c.claimsLost)} ` +
          `down_ms=${crashes.map((c) => c.downMs).join('/')} recovery_ms=${crashes.map((c) => c.recoveryMs).join('/')} resume_ms=${resumeMs.join('/')} ` +
          `unhandled_type_fetch_rejections=${typeFetchRejections} lease_lost_jobs=${leaseLostJobs} lease_lost_logged=${leaseLostLogged} parked=${parked} ` +
          `reconciler_reenqueued=${healed.reenqueued} reconciler_replaced=${healed.replaced} (finished_meanwhile=${replacedAfterFinish}) reconciler_retried=${healed.retried} reconciler_sweeps=${healed.sweeps} failed_sweeps=${healed.failedSweeps} ` +
          `ok=${f.ok} outcome_unknown=${f.outcomeUnknown} settled_by_lookup=${f.settledByLookup} dedupe_resends=${f.dedupedResends} double_sends=${f.doubleSends.length} ` +
          `duplicate_events=${f.duplicateEvents} unexpected=${f.unexpected.length} lost=${f.lost.length} answered_but_lost=${answeredButLost.length} drain_ms=${drainMs}`,
      );

      expect(crashes).toHaveLength(profile.crashes);
      expect(answeredButLost).toEqual([]);
      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(strayTokens).toEqual([]);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      // Runs against a deduping vendor have no excuse: every one of them is ok.
      expect(all.filter((r) => r.workflow === SEND_DEDUPED).length).toBe(
        (await fleet.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where workflow_name = ${SEND_DEDUPED} and status = 'ok'`)[0]?.n,
      );
      expect(refusedWhileDown).toBeGreaterThan(0); // the crashes were felt at the intake
      for (const w of fleet.workers) expect(w.isRunning()).toBe(true);
    }, timeoutMs);
  });
}
