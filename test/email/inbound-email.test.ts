/**
 * Email end to end: a reminder goes out (WF36), the patient's reply arrives through Postmark's inbound
 * webhook (Basic auth per tenant) and starts WF37 as that patient, which opens a staff task and answers
 * once, however often Postmark delivers the webhook. STOP by email, the one-click unsubscribe link
 * (RFC 8058) and Postmark's bounce and complaint webhooks deny the address at once. Real producer,
 * workers, Redis, PostgreSQL and HTTP; no address or word of an email reaches a log line.
 */
import { createApiKey, setConsent } from '@revos/db';
import { postmarkWebhookPassword } from '@revos/producer';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';
import { startHarness, TENANT, TEST_PHI_SEAL_KEY, TEST_PHI_TOKEN_KEY, type Harness, type RunRow } from '../support/harness.js';

const SECRET = 'postmark-webhook-test-secret';
const ANN = 'ann.lee@patient.test';
const WORDS = 'Can I bring my daughter along on Tuesday? My knee still hurts.';

let h: Harness;
let p: TestProducer;

beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'] });
  p = await startTestProducer(h, { PHI_TOKEN_KEY: TEST_PHI_TOKEN_KEY, PHI_SEAL_KEY: TEST_PHI_SEAL_KEY, POSTMARK_WEBHOOK_SECRET: SECRET });
  await h.db.sql`update tenants set config = config || ${h.db.sql.json({ practice_name: 'Sunrise Dental' })} where tenant_id = ${TENANT}`;
  for (const patient of ['p_ann', 'p_bo']) await setConsent(h.db.sql, { tenantId: TENANT, subjectId: patient, channel: 'email', status: 'allow', source: 'test' });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});
beforeEach(() => h.postmark.reset());

const auth = (tenantId = TENANT, secret = SECRET) => `Basic ${Buffer.from(`postmark:${postmarkWebhookPassword(secret, tenantId)}`).toString('base64')}`;

function inboundJson(messageId: string, from: string, text: string, extra: Record<string, unknown> = {}) {
  return {
    FromName: 'Ann Lee',
    MessageStream: 'inbound',
    From: from,
    FromFull: { Email: from, Name: 'Ann Lee', MailboxHash: '' },
    To: 'frontdesk@practice.test',
    ToFull: [{ Email: 'frontdesk@practice.test', Name: '', MailboxHash: '' }],
    Subject: 'Re: Appointment reminder - Sunrise Dental',
    MessageID: messageId,
    ReplyTo: '',
    MailboxHash: '',
    Date: 'Sun, 6 Dec 2026 09:00:00 -0500',
    TextBody: `${text}\n\nOn Sat, Sunrise Dental wrote:\n> This is a reminder`,
    HtmlBody: `<p>${text}</p>`,
    StrippedTextReply: text,
    Tag: '',
    Headers: [{ Name: 'Message-ID', Value: `<${messageId}@mail.patient.test>` }],
    Attachments: [{ Name: 'knee-xray.pdf', Content: Buffer.from('%PDF-1.4 tiny').toString('base64'), ContentType: 'application/pdf', ContentLength: 13 }],
    ...extra,
  };
}

function postInbound(body: unknown, authorization = auth(), tenantId = TENANT) {
  return fetch(`${p.url}/webhooks/postmark/${tenantId}/inbound`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
}

function postEvent(body: unknown) {
  return fetch(`${p.url}/webhooks/postmark/${TENANT}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth() }, body: JSON.stringify(body) });
}

async function sendReminder(patient: string, to: string): Promise<RunRow> {
  const accepted = await submitRun(h, h.envelope({ workflow: 'WF36_Send_Email', payload: { to, template: 'appointment_reminder' }, subject: { patient_id: patient } }), { source: 'api' });
  return h.waitForRun(accepted.workflow_run_id, undefined, 20_000);
}

async function addressStatus(address: string): Promise<{ status: string; source: string } | undefined> {
  const [row] = await h.db.sql<{ status: string; source: string }[]>`
    select status, source from address_consents where tenant_id = ${TENANT} and address = ${address} and channel = 'email'`;
  return row;
}

const header = (email: { Headers: { Name: string; Value: string }[] }, name: string) => email.Headers.find((x) => x.Name === name)?.Value;

describe('an email arriving, and a reply going out once', () => {
  it('a reply to a reminder starts WF37 as the patient; a redelivered webhook is a duplicate; one answer goes out', async () => {
    expect((await sendReminder('p_ann', ANN)).status).toBe('ok');
    h.postmark.reset();

    const body = inboundJson('a8c1f0de-0001-4d2b-9a3e-000000000001', 'Ann Lee <Ann.Lee@Patient.test>', WORDS);
    const first = await postInbound(body);
    expect(first.status).toBe(200);
    const runId = first.headers.get('x-revos-run-id')!;
    const run = await h.waitForRun(runId, undefined, 20_000);
    expect(run.status).toBe('ok');
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'other', attachments: 1 });

    // Postmark retries: the same MessageID is the same run, answered 200 again.
    const again = await postInbound(body);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-revos-run-id')).toBe(runId);
    expect(again.headers.get('x-revos-status')).toBe('duplicate');

    const [stored] = await h.db.sql<{ subject: Record<string, string>; trigger_source: string; trigger_id: string; payload: Record<string, unknown> }[]>`
      select envelope->'subject' as subject, run_envelope(workflow_runs)->'meta'->>'trigger_source' as trigger_source, run_envelope(workflow_runs)->'meta'->>'trigger_id' as trigger_id, envelope->'payload' as payload
        from workflow_runs where workflow_run_id = ${runId}`;
    expect(stored).toMatchObject({ subject: { patient_id: 'p_ann' }, trigger_source: 'email', trigger_id: body.MessageID });
    // Attachments: name, type and size; never the contents.
    expect(stored!.payload['attachments']).toEqual([{ attachment_name: 'knee-xray.pdf', content_type: 'application/pdf', size: 13, too_large: false }]);
    expect(JSON.stringify(stored)).not.toContain(body.Attachments[0]!.Content);

    const tasks = await h.db.sql`select kind from tasks where workflow_run_id = ${runId}`;
    expect(tasks.map((t) => t['kind'])).toEqual(['patient_email']);

    expect(h.postmark.emails).toHaveLength(1);
    const answer = h.postmark.emails[0]!;
    expect(answer).toMatchObject({ To: ANN, Subject: 'We received your email - Sunrise Dental' });
    expect(header(answer, 'In-Reply-To')).toBe(`<${body.MessageID}@mail.patient.test>`);
    // An answer to the patient's own email is transactional: no unsubscribe link.
    expect(header(answer, 'List-Unsubscribe')).toBeUndefined();

    const logs = p.logText.join('') + JSON.stringify(h.logLines);
    for (const secret of [ANN, 'ann.lee', 'knee still hurts', 'knee-xray']) expect(logs).not.toContain(secret);
  });

  it('refuses a webhook without this tenant’s credentials before anything is recorded', async () => {
    const body = inboundJson('a8c1f0de-0002-4d2b-9a3e-000000000002', ANN, WORDS);
    const before = await h.db.sql`select count(*)::int as n from accepted_runs`;
    for (const authorization of ['', 'Basic bm9ib2R5Om5vdGhpbmc=', auth('t_other_practice'), auth(TENANT, 'another-secret-entirely')]) {
      expect((await postInbound(body, authorization)).status).toBe(403);
    }
    // Right credentials, unknown tenant: found only once the credentials held.
    expect((await postInbound(body, auth('t_nobody'), 't_nobody')).status).toBe(404);
    const after = await h.db.sql`select count(*)::int as n from accepted_runs`;
    expect(after[0]!['n']).toBe(before[0]!['n']);
  });

  it('STOP by email denies the address for every subject and confirms once; an automatic email is never answered', async () => {
    const stop = await postInbound(inboundJson('a8c1f0de-0003-4d2b-9a3e-000000000003', 'bo@patient.test', 'STOP'));
    const run = await h.waitForRun(stop.headers.get('x-revos-run-id')!, undefined, 20_000);
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'stop', consent_changed: true });
    expect(await addressStatus('bo@patient.test')).toEqual({ status: 'deny', source: 'email_keyword' });
    expect(h.postmark.emails.map((e) => e.Subject)).toEqual(['You are unsubscribed - Sunrise Dental']);
    expect((await sendReminder('p_bo', 'bo@patient.test')).status).toBe('blocked');
    expect(h.postmark.emails).toHaveLength(1);

    h.postmark.reset();
    const auto = await postInbound(inboundJson('a8c1f0de-0004-4d2b-9a3e-000000000004', 'robot@patient.test', 'I am out of the office.', { Headers: [{ Name: 'Auto-Submitted', Value: 'auto-replied' }] }));
    const autoRun = await h.waitForRun(auto.headers.get('x-revos-run-id')!, undefined, 20_000);
    expect(autoRun.output?.result.primary_outputs).toMatchObject({ intent: 'other', reply_message_id: null });
    expect(h.postmark.emails).toHaveLength(0);
  });

  it('one-click unsubscribe (RFC 8058) denies the address at once; a GET only shows the button; a forged link does nothing', async () => {
    expect((await sendReminder('p_ann', 'cy@patient.test')).status).toBe('ok');
    const link = /^<https:\/\/revos\.test(\/unsubscribe\/email\/[^>]+)>$/.exec(header(h.postmark.emails[0]!, 'List-Unsubscribe') ?? '')![1]!;

    const page = await fetch(`${p.url}${link}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect(await addressStatus('cy@patient.test')).toBeUndefined();

    const forged = await fetch(`${p.url}${link.slice(0, -6)}AAAAAA`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(forged.status).toBe(404);
    const otherTenant = await fetch(`${p.url}${link.replace(TENANT, 't_other_practice')}`, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(otherTenant.status).toBe(404);
    expect(await addressStatus('cy@patient.test')).toBeUndefined();

    const click = await fetch(`${p.url}${link}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(click.status).toBe(200);
    expect(await addressStatus('cy@patient.test')).toEqual({ status: 'deny', source: 'list_unsubscribe' });
    h.postmark.reset();
    expect((await sendReminder('p_ann', 'cy@patient.test')).status).toBe('blocked');
    expect(h.postmark.sends).toHaveLength(0);
  });

  it('a hard bounce, a spam complaint and a suppression deny the address; a soft bounce does not', async () => {
    const bounce = (type: string, email: string) => ({ RecordType: 'Bounce', ID: 4323372036854775807, Type: type, TypeCode: 1, MessageID: '883953f4-6105-42a2-a16a-77a8eac79483', Email: email, BouncedAt: '2026-12-06T09:00:00Z', Inactive: type === 'HardBounce', MessageStream: 'outbound' });
    expect((await postEvent(bounce('SoftBounce', 'soft@patient.test'))).status).toBe(200);
    expect(await addressStatus('soft@patient.test')).toBeUndefined();
    expect((await postEvent(bounce('HardBounce', 'Hard@Patient.test'))).status).toBe(200);
    expect(await addressStatus('hard@patient.test')).toEqual({ status: 'deny', source: 'postmark_bounce_hardbounce' });
    expect((await postEvent({ RecordType: 'SpamComplaint', ID: 42, Type: 'SpamComplaint', MessageID: 'x', Email: 'spam@patient.test' })).status).toBe(200);
    expect(await addressStatus('spam@patient.test')).toEqual({ status: 'deny', source: 'postmark_spam_complaint' });
    expect((await postEvent({ RecordType: 'SubscriptionChange', MessageID: 'y', Recipient: 'supp@patient.test', SuppressSending: true, SuppressionReason: 'ManualSuppression' })).status).toBe(200);
    expect(await addressStatus('supp@patient.test')).toEqual({ status: 'deny', source: 'postmark_suppression' });
    const logs = p.logText.join('');
    for (const address of ['hard@patient.test', 'spam@patient.test', 'supp@patient.test']) expect(logs.toLowerCase()).not.toContain(address);
  });

  it('the consent API takes an email address for channel email, and the webhook then knows its patient', async () => {
    const key = await createApiKey(h.db.sql, TENANT);
    const put = (body: unknown) => fetch(`${p.url}/v1/consents`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const set = await put({ subject: { patient_id: 'p_eve' }, address: 'Eve@Patient.test', channel: 'email', status: 'allow', source: 'intake_form' });
    expect(set.status).toBe(200);
    expect(await addressStatus('eve@patient.test')).toEqual({ status: 'allow', source: 'intake_form' });
    const shown = await fetch(`${p.url}/v1/consents?address=eve%40patient.test`, { headers: { authorization: `Bearer ${key}` } });
    expect((await shown.json()) as unknown).toMatchObject({ consents: [{ channel: 'email', status: 'allow' }] });
    // An email address for a text, or a number for an email, is refused naming the field.
    for (const body of [{ address: 'eve@patient.test', channel: 'sms', status: 'deny', source: 'x' }, { address: '+15551234567', channel: 'email', status: 'deny', source: 'x' }]) {
      const refused = await put(body);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ issues: [{ path: 'address' }] });
    }
    // Both named: an email from that address is about p_eve.
    const mail = await postInbound(inboundJson('a8c1f0de-0006-4d2b-9a3e-000000000006', 'eve@patient.test', 'Thanks!'));
    const [stored] = await h.db.sql<{ subject: Record<string, string> }[]>`select envelope->'subject' as subject from workflow_runs where workflow_run_id = ${mail.headers.get('x-revos-run-id')}`;
    expect(stored?.subject).toEqual({ patient_id: 'p_eve' });
  });

  it('names the field and rule of a bad inbound body', async () => {
    const missing = await postInbound({ From: ANN });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain('MessageID');
    const notAnAddress = await postInbound(inboundJson('a8c1f0de-0005-4d2b-9a3e-000000000005', 'not an address', WORDS, { FromFull: undefined }));
    expect(notAnAddress.status).toBe(400);
    expect(await notAnAddress.json()).toMatchObject({ issues: [{ path: 'From', rule: 'email' }] });
  });
});
