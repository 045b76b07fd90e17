/**
 * PostgreSQL fails over under load (issue #28, item 2). The fleet's database lives on a private primary
 * with a synchronous streaming replica (test/support/postgres-replicated.ts), and every process of the
 * fleet (intake, workers, reconciler) is given the pair's multi-host URL with
 * `target_session_attrs=read-write`, as DATABASE_URL would be. Mid-load the primary is killed (an
 * immediate shutdown), the replica is promoted a moment later (what Patroni would do once it decided),
 * and the fleet must carry on against it with nothing lost: every run intake answered 'queued' is on the
 * promoted replica (synchronous replication: RPO 0), every accepted run finishes, no text is sent twice,
 * one event per effect. How long the fleet took to resume is reported, not asserted.
 */
import { isTypeFetchCutByConnectionLoss } from '@revos/db';
import { createLogger, reconcileOnce } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFaultRuns, describeLostRuns, NO_VIOLATIONS, violations, waitForFinal, type AcceptedRun } from '../../support/fault-audit.js';
import { startFaultFleet, type FaultFleet } from '../../support/fault-fleet.js';
import { reportPhases, SEND_DEDUPED, SEND_ONCE } from '../../support/fault-workflows.js';
import { sleep } from '../../support/harness.js';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../../support/postgres-replicated.js';

export interface PostgresFailoverProfile {
  name: 'short' | 'full';
  runsPerSecond: number;
  /** Load before the kill, and after the promotion. */
  loadBeforeMs: number;
  loadAfterMs: number;
  /** From the primary's death to the promotion (the failure detection a Patroni deployment would spend). */
  promoteAfterMs: number;
  /** The producer's RECONCILE_INTERVAL_MS and RECONCILE_GRACE_MS, shortened. */
  reconcileEveryMs: number;
  reconcileGraceMs: number;
  drainTimeoutMs: number;
}

const rand = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

export function postgresFailoverSuite(profile: PostgresFailoverProfile): void {
  let pair: ReplicatedPostgres;
  let fleet: FaultFleet;
  /** When runs reached the vendor: the first after the promotion says when the fleet resumed. */
  const vendorCalls: number[] = [];
  let typeFetchRejections = 0;
  const countTypeFetch = (reason: unknown) => {
    if (isTypeFetchCutByConnectionLoss(reason)) typeFetchRejections += 1;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', countTypeFetch);
    reportPhases((_runId, phase) => {
      if (phase === 'vendor') vendorCalls.push(Date.now());
    });
    pair = await startReplicatedPostgres();
    fleet = await startFaultFleet({
      createDatabase: () => pair.createDatabase(),
      // The workers' own pool on the same multi-host URL, as a worker process has.
      workerDatabaseUrl: (database) => database.url,
      vendorDelayMs: 200,
    });
  });
  afterAll(async () => {
    process.removeListener('unhandledRejection', countTypeFetch);
    reportPhases(() => {});
    await fleet?.close();
    await pair?.stop();
  });

  const timeoutMs = profile.loadBeforeMs + profile.promoteAfterMs + profile.loadAfterMs + profile.drainTimeoutMs + 90_000;

  describe(`PostgreSQL failover (${profile.name}): primary killed mid-load, synchronous replica promoted, fleet on a multi-host DATABASE_URL`, () => {
    it('loses no accepted run, sends no text twice, writes one event per effect, and resumes on the promoted replica', async () => {
      const answered: AcceptedRun[] = [];
      let refused = 0;
      const refusedBy = new Map<string, number>();
      let loading = true;
      const submissions: Promise<void>[] = [];
      const load = (async () => {
        for (let n = 0; loading; n++) {
          const workflow = n % 2 === 0 ? SEND_ONCE : SEND_DEDUPED;
          const payload = { to: `+1555${String(rand(0, 9_999_999)).padStart(7, '0')}`, pre_ms: rand(0, 300), post_ms: rand(0, 300) };
          submissions.push(
            fleet.submit(workflow, payload).then(
              ({ accepted: run, status }) => void (status === 'queued' && answered.push(run)),
              // Not answered: a producer's 5xx; the caller may try again.
              (error: unknown) => {
                refused += 1;
                const code = String((error as { code?: unknown }).code ?? 'none');
                refusedBy.set(code, (refusedBy.get(code) ?? 0) + 1);
              },
            ),
          );
          await sleep(1_000 / profile.runsPerSecond);
        }
      })();

      // The reconciler, as the producer runs it (a failed sweep is logged and the next one tried).
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
            healed.failedSweeps += 1; // no primary yet
          }
          await sleep(profile.reconcileEveryMs);
        }
      })();

      await sleep(profile.loadBeforeMs);
      const answeredBeforeKill = answered.length;
      const killedAt = Date.now();
      await pair.killPrimary();
      await sleep(profile.promoteAfterMs);
      const promoteStart = Date.now();
      await pair.promote();
      const promotedAt = Date.now();
      await sleep(profile.loadAfterMs);
      loading = false;
      await load;
      await Promise.all(submissions);

      // Accepted = every row of accepted_runs on the promoted replica; every run intake answered must be there.
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
      const [where] = await fleet.db.sql<{ port: number; standby: boolean }[]>`select inet_server_port() as port, pg_is_in_recovery() as standby`;
      const firstCallAfter = vendorCalls.find((t) => t >= promotedAt);
      const resumeMs = firstCallAfter === undefined ? 'never' : String(firstCallAfter - promotedAt);
      const outageMs = firstCallAfter === undefined ? 'never' : String(firstCallAfter - killedAt);
      const parked = fleet.logLines.filter((l) => l['msg'] === 'infrastructure unavailable; job parked').length;

      console.log(
        `pg-failover profile=${profile.name} runs=${f.accepted} answered=${answered.length} (before_kill=${answeredBeforeKill}) refused=${refused} (${[...refusedBy].map(([c, n]) => `${c}:${n}`).join(',')}) ` +
          `promote_after_ms=${promoteStart - killedAt} promote_ms=${promotedAt - promoteStart} resume_after_promote_ms=${resumeMs} kill_to_resume_ms=${outageMs} ` +
          `parked=${parked} unhandled_type_fetch_rejections=${typeFetchRejections} reconciler_reenqueued=${healed.reenqueued} reconciler_replaced=${healed.replaced} ` +
          `reconciler_retried=${healed.retried} failed_sweeps=${healed.failedSweeps} ok=${f.ok} outcome_unknown=${f.outcomeUnknown} dedupe_resends=${f.dedupedResends} ` +
          `double_sends=${f.doubleSends.length} duplicate_events=${f.duplicateEvents} unexpected=${f.unexpected.length} lost=${f.lost.length} ` +
          `answered_but_lost=${answeredButLost.length} drain_ms=${drainMs}`,
      );

      expect(where).toEqual({ port: pair.replicaPort, standby: false }); // the fleet is on the promoted replica
      expect(answeredBeforeKill).toBeGreaterThan(0);
      expect(answered.length).toBeGreaterThan(answeredBeforeKill); // and intake accepted runs after the failover
      expect(answeredButLost).toEqual([]);
      // No write reached the standby before its promotion (25006: read-only transaction): the pool asks for the primary.
      expect(refusedBy.get('25006') ?? 0).toBe(0);
      expect(violations(f)).toEqual(NO_VIOLATIONS);
      expect(f.ok + f.outcomeUnknown).toBe(f.accepted);
      expect(firstCallAfter).toBeDefined();
      for (const w of fleet.workers) expect(w.isRunning()).toBe(true);
    }, timeoutMs);
  });
}
