/**
 * Every intake refusal, through the real HTTP API: each code answers its status, names the field
 * and the rule, and records nothing. The table must cover every code intake has (REFUSAL_CODES),
 * so a new refusal cannot ship without its answer being pinned here.
 */
import { createApiKey, upsertTenant } from '@revos/db';
import { keyForEnvelope } from '@revos/envelope';
import { refusalStatus, submitPartial } from '@revos/producer';
import { REFUSAL_CODES, type RefusalCode } from '@revos/runtime';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { queuedJobCount, rowCounts, startTestProducer, type TestProducer } from './helpers.js';

let h: Harness;
let p: TestProducer;
let key: string;

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  await upsertTenant(h.db.sql, { tenantId: 't_refusal_other', name: 'Other Practice' });
  key = await createApiKey(h.db.sql, TENANT);
  p = await startTestProducer(h);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

type Body = { meta: Record<string, unknown>; subject: Record<string, unknown>; payload: Record<string, unknown> };

function logEvent(meta: Record<string, unknown> = {}, payload?: Record<string, unknown>): Body {
  const trigger_id = `ui:${ulid()}`;
  return {
    meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id, environment: 'staging', privacy_mode: 'standard', ...meta },
    subject: {},
    payload: payload ?? { event_type: 'note.added', direction: 'internal', attributes: {} },
  };
}

/** A WF11 body whose caller-supplied key was computed for another payload. */
function keyForOtherPayload(): Body {
  const body = logEvent();
  body.meta.idempotency_key = keyForEnvelope({ tenant_id: TENANT, workflow_name: 'WF11_Log_Event', trigger_id: body.meta.trigger_id as string, payload: { other: true } });
  return body;
}

function collectPayment(reference: string): Body {
  return {
    meta: { workflow_name: 'WF60_Collect_Payment', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
    subject: { patient_id: 'p_refusal' },
    payload: { amount_minor: 2500, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'copay', reference },
  };
}

async function post(body: unknown): Promise<{ status: number; json: { error: string; issues: { path: string; rule: string; message: string }[] } }> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { error: string; issues: { path: string; rule: string; message: string }[] } };
}

interface Case {
  name: string;
  code: RefusalCode;
  status: number;
  body: () => Body;
  issue: { path: string; rule: string };
}

const CASES: Case[] = [
  {
    name: 'a payload breaking the workflow schema',
    code: 'invalid_envelope',
    status: 400,
    body: () => logEvent({}, { event_type: 'Not Valid', direction: 'internal' }),
    issue: { path: 'payload.event_type', rule: 'pattern:event_type' },
  },
  { name: 'card data in a payment workflow', code: 'invalid_envelope', status: 400, body: () => collectPayment('4242424242424242'), issue: { path: 'payload.reference', rule: 'card_number_forbidden' } },
  { name: "another tenant's envelope", code: 'tenant_mismatch', status: 403, body: () => logEvent({ tenant_id: 't_refusal_other' }), issue: { path: 'meta.tenant_id', rule: 'tenant_mismatch' } },
  { name: 'an unregistered workflow', code: 'unknown_workflow', status: 404, body: () => logEvent({ workflow_name: 'WF98_Not_Registered' }), issue: { path: 'meta.workflow_name', rule: 'unknown_workflow' } },
  { name: 'a key computed for another payload', code: 'idempotency_conflict', status: 409, body: keyForOtherPayload, issue: { path: 'meta.idempotency_key', rule: 'payload_hash_mismatch' } },
];

describe('producer API: every intake refusal answers its status, naming the field and the rule', () => {
  it.each(CASES)('$code ($name): $status', async ({ code, status, body, issue }) => {
    const before = await rowCounts(h);
    const jobsBefore = await queuedJobCount(h);
    const res = await post(body());
    expect(res.status).toBe(status);
    expect(res.json.error).toBe(code);
    expect(res.json.issues).toContainEqual(expect.objectContaining({ path: issue.path, rule: issue.rule, message: expect.any(String) }));
    expect(await rowCounts(h)).toEqual(before);
    expect(await queuedJobCount(h)).toBe(jobsBefore);
  });

  it('refuses a phi_minimized run where no PHI keys are configured with 503 privacy_not_configured, storing nothing', async () => {
    // The producer always holds PHI keys (env.ts defaults them), so its own HTTP app cannot reach this
    // refusal: an embedder's intake without a PrivacyGuard can, through the same front-door function.
    const body = logEvent({ privacy_mode: 'phi_minimized' });
    const before = await rowCounts(h);
    const outcome = await submitPartial({ db: h.db, queues: h.queues, catalog: h.catalog }, body, TENANT, { source: 'api' });
    expect(outcome).toMatchObject({ ok: false, httpStatus: 503, body: { error: 'privacy_not_configured', issues: [{ path: 'meta.privacy_mode', rule: 'privacy_not_configured' }] } });
    expect(await rowCounts(h)).toEqual(before);
  });

  it('covers every refusal code, each mapped to the status pinned above', () => {
    const pinned = new Map<RefusalCode, number>([...CASES.map((c) => [c.code, c.status] as const), ['privacy_not_configured', 503]]);
    expect([...pinned.keys()].sort()).toEqual([...REFUSAL_CODES].sort());
    for (const code of REFUSAL_CODES) expect(refusalStatus(code)).toBe(pinned.get(code));
  });
});
