import {
  acceptRun,
  claimIdempotencyKey,
  completeEffect,
  failEffect,
  markEffectUnknown,
  recordRunOutcome,
  startEffect,
  type EventRow,
  type Lease,
  type RunRecord,
} from '@revos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const TENANT = 't_acme';
let n = 0;

async function claim(): Promise<{ lease: Lease; runId: string }> {
  n += 1;
  const key = `idem:${TENANT}:WF30_Send_SMS:api:trg_${n}:${String(n).padStart(64, '0')}`;
  const runId = `wr_attempts_${n}`;
  // A key is claimed only for a run intake accepted with this envelope hash.
  const envelopeHash = `envelope_${n}`;
  await acceptRun(t.db.sql, {
    idempotencyKey: key, workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: `corr_${n}`, tenantId: TENANT,
    workflowName: 'WF30_Send_SMS', workflowVersion: '1.0.0', jobId: `job_${n}`, lane: 'interactive', triggerSource: 'api', triggerId: `trg_${n}`,
    privacyMode: 'standard', priority: null, runAfter: null, source: 'api', envelope: {}, envelopeHash,
  });
  const claimed = await claimIdempotencyKey(t.db.sql, {
    idempotencyKey: key, tenantId: TENANT, workflowName: 'WF30_Send_SMS', payloadHash: String(n).padStart(64, '0'),
    workflowRunId: runId, envelopeHash, workerId: 'test', lockMs: 30_000,
  });
  if (claimed.kind !== 'claimed') throw new Error(`claim: ${claimed.kind}`);
  return { lease: { idempotencyKey: key, fence: claimed.fence, token: claimed.token }, runId };
}

function event(runId: string, eventId: string): EventRow {
  return { eventId, workflowRunId: runId, rootRunId: runId, tenantId: TENANT, subject: {}, eventType: 'sms.sent', direction: 'outbound', payloadRef: 'ref', payload: { sid: 'SM1' } };
}

const entry = (lease: Lease, runId: string) => ({ lease, effectName: 'sms.send', tenantId: TENANT, workflowRunId: runId, service: 'sms', endpoint: 'messages.create' });

async function journal(lease: Lease) {
  const rows = await t.db.sql<{ state: string; attempts: number; event_id: string | null }[]>`
    select state, attempts, event_id from effects where idempotency_key = ${lease.idempotencyKey}`;
  const events = await t.db.sql<{ event_id: string }[]>`select event_id from events where idempotency_key = ${lease.idempotencyKey}`;
  return { rows, events: events.map((e) => e.event_id) };
}

function retryOutcome(lease: Lease, runId: string, eventId: string) {
  const run: RunRecord = {
    workflowRunId: runId, parentRunId: null, rootRunId: runId, correlationId: 'corr', tenantId: TENANT, workflowName: 'WF30_Send_SMS',
    workflowVersion: '1.0.0', idempotencyKey: lease.idempotencyKey, jobId: runId, lane: 'interactive', triggerSource: 'api', triggerId: 'trg',
    privacyMode: 'standard', status: 'retry', failureCode: 'network', failureStage: 'core_logic', retryCount: 1, latencyMs: 1,
    latencyBreach: false, inputsHash: null, outputsHash: null, envelope: {}, output: null, startedAt: new Date(), endedAt: new Date(),
  };
  return {
    run,
    ledger: { lease, action: 'release' as const },
    effects: [{ effectName: 'sms.send', service: 'sms', endpoint: 'messages.create', result: { sid: 'SM1' }, latencyMs: 3, event: event(runId, eventId) }],
  };
}

describe('effect completion: attempts count calls to the vendor, each once', () => {
  it('a call with an intent is counted by its intent, not again by its result', async () => {
    const { lease, runId } = await claim();
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    await failEffect(t.db.sql, { ...entry(lease, runId), latencyMs: 5, failureCode: 'network' });
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    expect(await completeEffect(t.db.sql, { ...entry(lease, runId), result: { sid: 'SM1' }, latencyMs: 4, event: event(runId, `ev_a${n}`) })).toBe(true);
    expect(await journal(lease)).toEqual({ rows: [{ state: 'completed', attempts: 2, event_id: `ev_a${n}` }], events: [`ev_a${n}`] });
  });

  it('a deferred effect written with the outcome is one call, with its event, and is never completed twice', async () => {
    const { lease, runId } = await claim();
    expect(await recordRunOutcome(t.db.sql, retryOutcome(lease, runId, `ev_b${n}`))).toBe(true);
    expect(await journal(lease)).toEqual({ rows: [{ state: 'completed', attempts: 1, event_id: `ev_b${n}` }], events: [`ev_b${n}`] });
    // Completing it again (a late duplicate) writes nothing.
    expect(await completeEffect(t.db.sql, { ...entry(lease, runId), result: { sid: 'SM2' }, latencyMs: 4, event: event(runId, `ev_c${n}`) })).toBe(false);
    expect((await journal(lease)).events).toEqual([`ev_b${n}`]);
  });

  it('a deferred effect over an earlier unfinished entry counts the new call', async () => {
    const { lease, runId } = await claim();
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    await failEffect(t.db.sql, { ...entry(lease, runId), latencyMs: 5, failureCode: 'network' });
    expect(await recordRunOutcome(t.db.sql, retryOutcome(lease, runId, `ev_d${n}`))).toBe(true);
    expect((await journal(lease)).rows).toEqual([{ state: 'completed', attempts: 2, event_id: `ev_d${n}` }]);
  });

  it('an unknown outcome the vendor lookup finds is the one call its intent counted', async () => {
    const { lease, runId } = await claim();
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    expect(await markEffectUnknown(t.db.sql, { lease, effectName: 'sms.send', latencyMs: 5, failureCode: 'vendor_unavailable' })).toBe(true);
    expect(await completeEffect(t.db.sql, { ...entry(lease, runId), result: { sid: 'SM1' }, latencyMs: 5, event: event(runId, `ev_u${n}`) })).toBe(true);
    expect((await journal(lease)).rows).toEqual([{ state: 'completed', attempts: 1, event_id: `ev_u${n}` }]);
  });

  it('an unknown outcome proven absent, then called again: two calls', async () => {
    const { lease, runId } = await claim();
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    expect(await markEffectUnknown(t.db.sql, { lease, effectName: 'sms.send', latencyMs: 5, failureCode: 'network' })).toBe(true);
    await failEffect(t.db.sql, { ...entry(lease, runId), latencyMs: 5, failureCode: 'network' });
    expect(await startEffect(t.db.sql, entry(lease, runId))).toBe(true);
    expect(await completeEffect(t.db.sql, { ...entry(lease, runId), result: { sid: 'SM1' }, latencyMs: 4, event: event(runId, `ev_v${n}`) })).toBe(true);
    expect((await journal(lease)).rows).toEqual([{ state: 'completed', attempts: 2, event_id: `ev_v${n}` }]);
  });

  it('a deduping vendor writes no intent: each failed call counts itself, and the deferred result one more', async () => {
    const { lease, runId } = await claim();
    await failEffect(t.db.sql, { ...entry(lease, runId), latencyMs: 5, failureCode: 'vendor_unavailable' });
    await failEffect(t.db.sql, { ...entry(lease, runId), latencyMs: 5, failureCode: 'vendor_unavailable' });
    expect(await recordRunOutcome(t.db.sql, retryOutcome(lease, runId, `ev_w${n}`))).toBe(true);
    expect((await journal(lease)).rows).toEqual([{ state: 'completed', attempts: 3, event_id: `ev_w${n}` }]);
  });

  it('neither path writes an effect under a lease that was lost', async () => {
    const { lease, runId } = await claim();
    const stale = { ...lease, fence: lease.fence + 1 };
    expect(await completeEffect(t.db.sql, { ...entry(stale, runId), result: {}, latencyMs: 1, event: event(runId, `ev_e${n}`) })).toBe(false);
    expect(await recordRunOutcome(t.db.sql, retryOutcome(stale, runId, `ev_f${n}`))).toBe(false);
    expect(await journal(lease)).toEqual({ rows: [], events: [] });
  });
});
