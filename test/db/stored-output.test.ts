/**
 * A run's output is stored without the meta_out fields its row repeats (migration 0014, issue 27 item 5) and read
 * back whole through run_output(): every reader (the API's run view, the export, the PHI scan) must get exactly
 * the contract the worker built, a retried attempt's own start and a failure's reason included; rows written
 * whole before the migration are returned as they are.
 */
import { createHash } from 'node:crypto';
import { acceptRun, findRun, listRunsForExport, listRunsForPhiScan, recordRunOutcome, type RunRecord } from '@revos/db';
import { validateOutput, type OutputContract } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const TENANT = 't_stored_output';
const hash = (s: string) => `sha256_${createHash('sha256').update(s).digest('hex')}`;
let n = 0;

/** An accepted run and the outcome the worker would write for it, meta_out and row columns from one build. */
async function acceptedRun(opts: { status: 'ok' | 'failed'; firstStartedAt: Date; attemptStartedAt: Date; endedAt: Date; privacy?: string }) {
  n += 1;
  const runId = `wr_storedoutput${n}`;
  const key = `idem:${TENANT}:WF30_Send_SMS:api:trg_${n}:${hash(String(n)).slice(7)}`;
  await acceptRun(t.db.sql, {
    idempotencyKey: key, workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: `corr_${n}`, tenantId: TENANT,
    workflowName: 'WF30_Send_SMS', workflowVersion: '1.2.0', jobId: `job_${n}`, lane: 'interactive', triggerSource: 'api', triggerId: `trg_${n}`,
    privacyMode: opts.privacy ?? 'standard', priority: null, runAfter: null, source: 'api', envelope: { meta: { workflow_run_id: runId } }, envelopeHash: `env_${n}`,
  });
  const failed = opts.status === 'failed';
  const output: OutputContract = {
    meta_out: {
      workflow_name: 'WF30_Send_SMS', workflow_version: '1.2.0', workflow_run_id: runId, root_run_id: runId, idempotency_key: key,
      started_at_utc: opts.attemptStartedAt.toISOString(), ended_at_utc: opts.endedAt.toISOString(), latency_ms: 1_234, success: !failed,
      failure_stage: failed ? 'core_logic' : null, failure_reason: failed ? 'the carrier refused the number (21610)' : null,
      failure_code: failed ? 'policy_violation' : null, outputs_hash: hash('out'), inputs_hash: hash('in'), retry_count: 2, latency_breach: true,
    },
    result: { status: opts.status, summary: failed ? 'refused' : 'sent', primary_outputs: { sid: `SM${n}` }, next_actions: [] },
    audit: {
      phi_touched: false, consent_checked: true, consent_result: 'allow', disclaimer_used: false,
      data_written: [{ table: 'events', record_id: `ev_${n}` }],
      external_calls: [{ service: 'sms', endpoint: 'messages.create', latency_ms: 28, success: !failed }],
    },
  };
  const run: RunRecord = {
    workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: `corr_${n}`, tenantId: TENANT, workflowName: 'WF30_Send_SMS',
    workflowVersion: '1.2.0', idempotencyKey: key, jobId: `job_${n}`, lane: 'interactive', triggerSource: 'api', triggerId: `trg_${n}`,
    privacyMode: opts.privacy ?? 'standard', status: opts.status, failureCode: output.meta_out.failure_code, failureStage: output.meta_out.failure_stage,
    retryCount: 2, latencyMs: 1_234, latencyBreach: true, inputsHash: hash('in'), outputsHash: hash('out'), envelope: { meta: { workflow_run_id: runId } },
    output, startedAt: opts.firstStartedAt, endedAt: opts.endedAt,
  };
  return { runId, output, run };
}

describe('stored output', () => {
  it('stores result, audit and the attempt fields only, and every reader gets the whole contract back, field for field', async () => {
    const first = new Date('2026-12-06T10:00:00.001Z');
    const ok = await acceptedRun({ status: 'ok', firstStartedAt: first, attemptStartedAt: new Date('2026-12-06T10:00:05.120Z'), endedAt: new Date('2026-12-06T10:00:05.999Z'), privacy: 'phi_minimized' });
    const failed = await acceptedRun({ status: 'failed', firstStartedAt: first, attemptStartedAt: first, endedAt: new Date('2026-12-06T10:00:01.000Z') });
    for (const r of [ok, failed]) expect(await recordRunOutcome(t.db.sql, { run: r.run })).toBe(true);

    const [raw] = await t.db.sql<{ output: Record<string, unknown>; stored: number; whole: number }[]>`
      select output, pg_column_size(output) as stored, pg_column_size(run_output(workflow_runs)) as whole
        from workflow_runs where workflow_run_id = ${ok.runId}`;
    expect(Object.keys(raw!.output).sort()).toEqual(['attempt', 'audit', 'result']);
    expect(raw!.output.attempt).toEqual({ started_at_utc: '2026-12-06T10:00:05.120Z', failure_reason: null });
    expect(raw!.whole - raw!.stored).toBeGreaterThan(500);

    for (const r of [ok, failed]) {
      const view = await findRun(t.db.sql, TENANT, r.runId);
      expect(view?.output).toEqual(r.output);
      expect(validateOutput(view?.output)).toEqual({ ok: true, value: expect.anything() });
    }
    // The row keeps the first attempt's start; the output names this attempt's.
    expect((await findRun(t.db.sql, TENANT, ok.runId))?.started_at).toMatch(/^2026-12-06 10:00:00\.001/);

    const exported = await listRunsForExport(t.db.sql, { tenantId: TENANT, until: new Date('2027-01-01T00:00:00Z') }, null, 10);
    expect(new Map(exported.map((e) => [e.workflow_run_id, e.output]))).toEqual(new Map([[ok.runId, ok.output], [failed.runId, failed.output]]));
    const scanned = await listRunsForPhiScan(t.db.sql, { tenantId: TENANT, since: new Date(0), until: new Date(Date.now() + 60_000), limit: 10 });
    expect(scanned.map((s) => s.output)).toEqual([ok.output]);
  });

  it('returns an output stored whole before migration 0014 as it is', async () => {
    const old = await acceptedRun({ status: 'ok', firstStartedAt: new Date(), attemptStartedAt: new Date(), endedAt: new Date() });
    expect(await recordRunOutcome(t.db.sql, { run: { ...old.run, output: null } })).toBe(true);
    // What a worker of the previous release wrote, with a meta_out the row's columns do not repeat exactly.
    const whole = { ...old.output, meta_out: { ...old.output.meta_out, latency_ms: 7 } };
    await t.db.sql`update workflow_runs set output = ${t.db.sql.json(whole as never)} where workflow_run_id = ${old.runId}`;
    expect((await findRun(t.db.sql, TENANT, old.runId))?.output).toEqual(whole);
  });

  it('a run without an output (queued, deferred) reads as null', async () => {
    const queued = await acceptedRun({ status: 'ok', firstStartedAt: new Date(), attemptStartedAt: new Date(), endedAt: new Date() });
    expect((await findRun(t.db.sql, TENANT, queued.runId))?.output).toBeNull();
  });
});
