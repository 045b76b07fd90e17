import { recordConsentChange, setConsent } from '@revos/db';
import { defineWorkflow } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, TENANT, type Harness } from '../support/harness.js';

/**
 * Consent_Check for any outbound workflow: calls as well as texts need the subject's consent and the
 * destination's status on the workflow's channel; a declared destination that is missing is bad input.
 */
let calls = 0;
const callPatient = defineWorkflow({
  name: 'WF94_Test_Call_Patient',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  outbound: { channel: 'voice', subject: 'patient_id', address: 'phone' },
  payload: z.object({ phone: z.string().optional() }).strict(),
  async run() {
    calls += 1;
    return { summary: 'called' };
  },
});
const subjectOnly = defineWorkflow({
  name: 'WF95_Test_Subject_Only',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  outbound: { channel: 'sms', subject: 'patient_id' },
  payload: z.object({ to: z.string() }).strict(),
  async run() {
    return { summary: 'would text' };
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [callPatient, subjectOnly] });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_ray', channel: 'voice', status: 'allow' });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_ray', channel: 'sms', status: 'allow' });
});
afterAll(async () => {
  await h?.close();
});

async function run(workflow: string, payload: Record<string, unknown>, subject: Record<string, string> = { patient_id: 'p_ray' }) {
  const e = h.envelope({ workflow, version: '1.0.0', payload, subject });
  await h.enqueue(e);
  return h.waitForRun(e.meta.workflow_run_id);
}

const optOut = (address: string, channel: string) =>
  recordConsentChange(h.db.sql, { tenantId: TENANT, target: { kind: 'address', address }, channel, status: 'deny', source: 'test', actor: 'test' });

describe('the consent gate', () => {
  it('lets a call through when the subject allows voice and the number never opted out', async () => {
    expect((await run(callPatient.name, { phone: '+15551110001' })).status).toBe('ok');
    expect(calls).toBe(1);
  });

  it("blocks a call to a number opted out of voice; a number's sms opt-out does not block calls", async () => {
    await optOut('+15551110002', 'voice');
    await optOut('+15551110003', 'sms');
    const blocked = await run(callPatient.name, { phone: '+15551110002' });
    expect(blocked).toMatchObject({ status: 'blocked', failure_code: 'consent_denied' });
    expect(blocked.output?.meta_out.failure_stage).toBe('consent_check');
    expect((await run(callPatient.name, { phone: '+15551110003' })).status).toBe('ok');
    expect(calls).toBe(2);
  });

  it('fails a run whose declared destination is missing as invalid_input naming the field', async () => {
    const missing = await run(callPatient.name, {});
    expect(missing).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
    expect(missing.output?.meta_out.failure_reason).toBe('payload.phone (the destination) is required for outbound voice');
  });

  it('still requires the subject', async () => {
    const noSubject = await run(callPatient.name, { phone: '+15551110001' }, {});
    expect(noSubject.output?.meta_out.failure_reason).toBe('subject.patient_id is required for outbound voice');
  });

  it('a workflow that declares no address checks the subject only', async () => {
    expect((await run(subjectOnly.name, { to: '+15551110003' })).status).toBe('ok');
  });
});
