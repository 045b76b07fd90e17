import { setConsent } from '@revos/db';
import { reconcileOnce, submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';

/**
 * A PHI canary sent through phi_minimized runs of the reference workflows must
 * be found nowhere the fleet stores or logs, only in what the vendor received.
 */
const CANARY_PHONE = '+15559871234';
const CANARY_DIGITS = '5559871234';
const CANARY_NAME = 'Quinella Canarywood';
const CANARY_BODY = 'CANARY-4471 my knee hurts since Tuesday';
const CANARY_EMAIL = 'q.canarywood-4471@patient.test';
const CANARY_SUBJECT = 'CANARY-SUBJECT-4471 about my knee';
const CANARY_ATTACHMENT = 'canary-xray-4471.pdf';
const CANARIES = [CANARY_DIGITS, CANARY_NAME, 'Quinella', 'Canarywood', 'CANARY-4471', 'knee hurts', 'canarywood-4471', 'CANARY-SUBJECT', 'canary-xray'];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ immediateDispatch: true });
  await allowSms(h.db, 'p_canary');
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_canary', channel: 'email', status: 'allow', source: 'test' });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_optout', channel: 'sms', status: 'deny' });
});
afterAll(async () => {
  await h?.close();
});

const TABLES = ['workflow_runs', 'accepted_runs', 'idempotency_keys', 'effects', 'events', 'outbox', 'tasks', 'alerts', 'subject_contacts', 'appointment_prompts', 'address_consents', 'consents'];

async function storedText(h: Harness): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const rows = await h.db.sql.unsafe(`select row_to_json(t)::text as j from ${table} t`);
    out[table] = rows.map((r) => String(r.j)).join('\n');
  }
  return out;
}

function leaks(text: string): string[] {
  return CANARIES.filter((c) => text.includes(c));
}

async function settle(h: Harness, runIds: string[]): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const rows = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id in ${h.db.sql(runIds)}`;
    // Runs scheduled for later (WF42's follow-up, an hour out) are not waited for.
    const open = await h.db.sql`
      select 1 from workflow_runs w join accepted_runs a using (workflow_run_id)
       where w.status in ('queued', 'retry') and (a.run_after is null or a.run_after <= now())`;
    const pending = await h.db.sql`select 1 from outbox where state = 'pending'`;
    if (rows.length === runIds.length && open.length === 0 && pending.length === 0) return;
    await sleep(50);
  }
  const state = await h.db.sql`select workflow_name, status, failure_code from workflow_runs`;
  const ob = await h.db.sql`select workflow, state, last_error from outbox`;
  throw new Error(`runs did not settle: ${JSON.stringify(state)} ${JSON.stringify(ob)}`);
}

describe('privacy_mode=phi_minimized', () => {
  it('keeps a PHI canary out of every table and log line; only the vendor receives it', async () => {
    const phi = 'phi_minimized' as const;
    const envelopes = [
      h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: CANARY_PHONE, body: CANARY_BODY }, subject: { patient_id: 'p_canary' }, privacyMode: phi }),
      h.envelope({ workflow: 'WF31_Inbound_SMS', payload: { message_sid: 'SM' + 'c'.repeat(32), from: CANARY_PHONE, to: '+15550000001', body: CANARY_BODY }, privacyMode: phi }),
      h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'call.note', direction: 'inbound', attributes: { caller_name: CANARY_NAME, callback: CANARY_PHONE } }, privacyMode: phi }),
      // Books, then asks WF30 to text the canary number: the follow-up must get the real number (sealed), not a token.
      h.envelope({ workflow: 'WF18_Schedule', payload: { practice_id: 'prac_1', slot_start: new Date(Date.now() + 2 * 86_400_000).toISOString(), confirm_to: CANARY_PHONE }, subject: { patient_id: 'p_canary' }, privacyMode: phi }),
      // A voice turn: what the caller said is PHI and goes no further than the run's (redacted) envelope.
      h.envelope({ workflow: 'WF17_RealTime_Voice_Orchestrator', version: '2.0.0', payload: { call_sid: 'CA' + 'd'.repeat(32), turn: 1, speech_result: `I am ${CANARY_NAME}, call me on ${CANARY_PHONE}, I want to talk to someone`, confidence: 0.9, from: CANARY_PHONE }, privacyMode: phi }),
      // A voice turn that fails (turn 0 is not a caller's answer): the call goes to WF71, the failure escalates.
      h.envelope({ workflow: 'WF17_RealTime_Voice_Orchestrator', version: '2.0.0', payload: { call_sid: 'CA' + 'e'.repeat(32), turn: 0, speech_result: `I am ${CANARY_NAME}`, from: CANARY_PHONE }, privacyMode: phi }),
      h.envelope({ workflow: 'WF10_Consent_Check', payload: { channel: 'sms' }, subject: { patient_id: 'p_canary' }, privacyMode: phi }),
      h.envelope({ workflow: 'WF06_Load_Tenant_Entitlements', payload: {}, privacyMode: phi }),
      // Terminal paths store too: consent denied (blocked), and an invalid payload that escalates (WF21).
      h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: CANARY_PHONE, body: CANARY_BODY }, subject: { patient_id: 'p_optout' }, privacyMode: phi }),
      h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: CANARY_PHONE, body: CANARY_BODY, template: 'appointment_reminder' }, subject: { patient_id: 'p_canary' }, privacyMode: phi }),
      // Email: the address, the subject line, the words and an attachment's name are PHI, in and out.
      h.envelope({ workflow: 'WF36_Send_Email', payload: { to: CANARY_EMAIL, subject_line: CANARY_SUBJECT, body: CANARY_BODY }, subject: { patient_id: 'p_canary' }, privacyMode: phi }),
      h.envelope({
        workflow: 'WF37_Inbound_Email',
        payload: { message_id: 'canary-0001', from: CANARY_EMAIL, to: 'frontdesk@practice.test', subject_line: CANARY_SUBJECT, text: `${CANARY_BODY}, ${CANARY_NAME}`, attachments: [{ attachment_name: CANARY_ATTACHMENT, content_type: 'application/pdf', size: 10, too_large: false }] },
        privacyMode: phi,
      }),
    ];
    for (const e of envelopes) await submitRun(h, e, { source: 'api' });
    await settle(h, envelopes.map((e) => e.meta.workflow_run_id));

    const statuses = await h.db.sql<{ workflow_name: string; status: string; privacy_mode: string }[]>`
      select workflow_name, status, privacy_mode from workflow_runs order by accepted_at`;
    // The chain ran: WF18's follow-up texted the canary number, the failed voice turn handed over to WF71, bad payloads escalated.
    expect(statuses.filter((s) => s.workflow_name === 'WF30_Send_SMS' && s.status === 'ok')).toHaveLength(2);
    expect(statuses.map((s) => s.workflow_name)).toEqual(expect.arrayContaining(['WF71_RealTime_Fallback', 'WF21_Escalate_To_Staff']));
    expect(statuses.every((s) => s.privacy_mode === 'phi_minimized')).toBe(true);
    expect(statuses.find((s) => s.workflow_name === 'WF18_Schedule')?.status).toBe('ok');

    // Settling clears the sealed copies the reconciler would need.
    await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 });
    const sealed = await h.db.sql`
      select 1 from accepted_runs where sealed_envelope is not null and (run_after is null or run_after <= now())`;
    expect(sealed).toHaveLength(0);
    const sealedOutbox = await h.db.sql`select 1 from outbox where sealed_payload is not null`;
    expect(sealedOutbox).toHaveLength(0);

    const stored = await storedText(h);
    for (const [table, text] of Object.entries(stored)) expect({ table, leaks: leaks(text) }).toEqual({ table, leaks: [] });
    const events = await h.db.sql`select 1 from events where payload is not null`;
    expect(events).toHaveLength(0); // payload_ref only
    expect(leaks(JSON.stringify(h.logLines))).toEqual([]);

    // The vendor did receive what it needed: the text went to the real number.
    const sent = h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CANARY_PHONE);
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => r.form?.Body)).toContain(CANARY_BODY);
    // The email went to the real address, and WF37's answer too.
    expect(h.postmark.emails.filter((e) => e.To === CANARY_EMAIL).map((e) => e.TextBody)).toEqual(expect.arrayContaining([expect.stringContaining(CANARY_BODY), expect.stringContaining('Thank you for your email')]));
    expect(statuses.filter((s) => s.workflow_name === 'WF36_Send_Email' || s.workflow_name === 'WF37_Inbound_Email').map((s) => s.status)).toEqual(['ok', 'ok']);

    // audit.phi_touched is set for runs about a patient.
    const [wf30] = await h.db.sql<{ touched: boolean }[]>`
      select (output->'audit'->>'phi_touched')::boolean as touched from workflow_runs
       where workflow_run_id = ${envelopes[0]!.meta.workflow_run_id}`;
    expect(wf30?.touched).toBe(true);
  }, 60_000);

  it('in standard mode stores the data where the run needs it, and still never logs it', async () => {
    const before = h.logLines.length;
    const e = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: CANARY_PHONE, body: CANARY_BODY }, subject: { patient_id: 'p_canary' }, privacyMode: 'standard' });
    await submitRun(h, e, { source: 'api' });
    const run = await h.waitForRun(e.meta.workflow_run_id);
    expect(run.status).toBe('ok');
    const [row] = await h.db.sql<{ envelope: { payload: { to: string; body: string } } }[]>`
      select envelope from workflow_runs where workflow_run_id = ${e.meta.workflow_run_id}`;
    expect(row?.envelope.payload).toEqual({ to: CANARY_PHONE, body: CANARY_BODY });
    expect(leaks(JSON.stringify(h.logLines.slice(before)))).toEqual([]);
  });
});
