/**
 * WF36_Send_Email through Postmark's stand-in: one email per trigger, from the practice by name, with
 * one-click unsubscribe on every email that is not transactional; a lost answer is looked up by the
 * reference the email carried (never sent again blindly); consent and the provider's own suppression
 * stop it. Real Redis, PostgreSQL and HTTP.
 */
import { setConsent, recordConsentChange } from '@revos/db';
import { openUnsubscribeToken } from '@revos/envelope';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, TENANT, TEST_PHI_TOKEN_KEY, type Harness } from '../support/harness.js';

let h: Harness;
const PATIENT = 'p_mail';
const TO = 'ann.lee@patient.test';

beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'], listingDelayMs: 300 });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: PATIENT, channel: 'email', status: 'allow', source: 'test' });
  await h.db.sql`update tenants set config = config || ${h.db.sql.json({ practice_name: 'Sunrise Dental' })} where tenant_id = ${TENANT}`;
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.postmark.reset();
});

async function send(payload: Record<string, unknown>, options: { triggerId?: string; patient?: string } = {}) {
  const e = h.envelope({ workflow: 'WF36_Send_Email', payload, subject: { patient_id: options.patient ?? PATIENT }, ...(options.triggerId ? { triggerId: options.triggerId } : {}) });
  const accepted = await submitRun(h, e, { source: 'api' });
  return { accepted, run: await h.waitForRun(accepted.workflow_run_id, undefined, 20_000) };
}

const header = (email: { Headers: { Name: string; Value: string }[] }, name: string) => email.Headers.find((x) => x.Name === name)?.Value;

describe('WF36_Send_Email', () => {
  it('sends a reminder once, from the practice by name, with one-click unsubscribe for this address', async () => {
    const { run } = await send({ to: 'Ann.Lee@Patient.test', template: 'appointment_reminder' }, { triggerId: 'reminder-1' });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails).toHaveLength(1);
    const email = h.postmark.emails[0]!;
    expect(email.To).toBe(TO);
    expect(email.From).toBe('"Sunrise Dental" <frontdesk@practice.test>');
    expect(email.Subject).toBe('Appointment reminder - Sunrise Dental');
    expect(email.TextBody).toContain('Sunrise Dental');
    expect(run.output?.result.primary_outputs).toMatchObject({ message_id: email.MessageID, status: 'sent' });
    // RFC 8058: an https List-Unsubscribe and List-Unsubscribe-Post naming one-click.
    expect(header(email, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const link = /^<(https:\/\/revos\.test\/unsubscribe\/email\/t_test_practice\/([A-Za-z0-9_-]+))>$/.exec(header(email, 'List-Unsubscribe') ?? '');
    expect(link).not.toBeNull();
    expect(email.TextBody).toContain(link![1]);
    // The token names the address sealed, never in the clear, and only for this tenant.
    expect(link![1]).not.toContain('ann');
    expect(openUnsubscribeToken(TEST_PHI_TOKEN_KEY, TENANT, link![2]!)).toBe(TO);
    expect(openUnsubscribeToken(TEST_PHI_TOKEN_KEY, 't_other_practice', link![2]!)).toBeNull();

    // The same trigger again is a duplicate: nothing more is sent.
    const again = await submitRun(h, h.envelope({ workflow: 'WF36_Send_Email', payload: { to: 'Ann.Lee@Patient.test', template: 'appointment_reminder' }, subject: { patient_id: PATIENT }, triggerId: 'reminder-1' }), { source: 'api' });
    expect(again.status).toBe('duplicate');
    expect(h.postmark.emails).toHaveLength(1);
  });

  it('sends a transactional email without an unsubscribe link', async () => {
    const { run } = await send({ to: TO, template: 'appointment_confirmation' });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails).toHaveLength(1);
    expect(header(h.postmark.emails[0]!, 'List-Unsubscribe')).toBeUndefined();
  });

  it('sends a practice’s own words as written', async () => {
    const { run } = await send({ to: TO, subject_line: 'Your forms from {practice}', body: 'Please bring the forms. {practice}', transactional: true });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails[0]).toMatchObject({ Subject: 'Your forms from Sunrise Dental', TextBody: 'Please bring the forms. Sunrise Dental' });
  });

  it('a lost answer after Postmark acted is found by its reference: one email, the run names it', async () => {
    h.postmark.script([{ destroy: true, accept: true }]);
    const { run } = await send({ to: TO, template: 'appointment_confirmation' });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails).toHaveLength(1);
    expect(h.postmark.sends).toHaveLength(1);
    expect(run.output?.result.primary_outputs).toMatchObject({ message_id: h.postmark.emails[0]!.MessageID });
    expect(h.postmark.searches).toBeGreaterThan(0);
  });

  it('a 5xx after acting is looked up, not sent again', async () => {
    h.postmark.script([{ status: 503, accept: true }]);
    const { run } = await send({ to: TO, template: 'appointment_confirmation' });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails).toHaveLength(1);
    expect(h.postmark.sends).toHaveLength(1);
  });

  it('a 5xx before acting is proven absent after the listing delay, then sent exactly once', async () => {
    h.postmark.script([{ status: 500 }]);
    const { run } = await send({ to: TO, template: 'appointment_confirmation' });
    expect(run.status).toBe('ok');
    expect(h.postmark.emails).toHaveLength(1);
    expect(h.postmark.sends).toHaveLength(2);
  });

  it('sends nothing without the patient’s email consent, or to an address that opted out', async () => {
    const none = await send({ to: TO, template: 'appointment_confirmation' }, { patient: 'p_no_consent' });
    expect(none.run).toMatchObject({ status: 'blocked', failure_code: 'consent_denied' });
    await recordConsentChange(h.db.sql, { tenantId: TENANT, target: { kind: 'address', address: 'gone@patient.test' }, channel: 'email', status: 'deny', source: 'test', actor: 'test' });
    const denied = await send({ to: 'Gone@Patient.test', template: 'appointment_confirmation' });
    expect(denied.run).toMatchObject({ status: 'blocked', failure_code: 'consent_denied' });
    expect(h.postmark.sends).toHaveLength(0);
  });

  it('an address Postmark holds inactive (406) is denied for every subject and the run is blocked', async () => {
    h.postmark.inactivate('bounced@patient.test');
    const { run } = await send({ to: 'bounced@patient.test', template: 'appointment_confirmation' });
    expect(run).toMatchObject({ status: 'blocked', failure_code: 'consent_denied' });
    const [row] = await h.db.sql<{ status: string; source: string }[]>`
      select status, source from address_consents where tenant_id = ${TENANT} and address = 'bounced@patient.test' and channel = 'email'`;
    expect(row).toEqual({ status: 'deny', source: 'postmark_inactive' });
    expect(h.postmark.emails).toHaveLength(0);
  });

  it('refuses a bad payload naming the field and rule', async () => {
    const e = h.envelope({ workflow: 'WF36_Send_Email', payload: { to: 'not-an-address', template: 'appointment_reminder' }, subject: { patient_id: PATIENT } });
    const accepted = await submitRun(h, e, { source: 'api' });
    const run = await h.waitForRun(accepted.workflow_run_id);
    expect(run).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
    expect(JSON.stringify(run.output)).toContain('must be an email address');
    expect(h.postmark.sends).toHaveLength(0);
  });
});
