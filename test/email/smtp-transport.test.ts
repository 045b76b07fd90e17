/**
 * The second email transport: a practice's own SMTP relay through nodemailer. The relay's refusals
 * are "not sent"; a connection lost after the message may have been handed over is "unknown", and
 * since a relay cannot be asked, such an email goes to a person instead of being sent again.
 */
import { setConsent } from '@revos/db';
import { isWorkflowError } from '@revos/envelope';
import { defineWorkflow, submitRun } from '@revos/runtime';
import { createSmtpEmailProvider, sendEmailOnce } from '@revos/workflows';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startSmtpStandin, type SmtpStandin } from '../support/smtp-standin.js';

let relay: SmtpStandin;
let h: Harness;
const message = { to: 'dee@patient.test', from: '"Sunrise Dental" <frontdesk@practice.test>', subject: 'Your forms', text: 'Please bring your forms.', headers: { 'List-Unsubscribe': '<https://revos.test/unsubscribe/email/t_x/abc>' } };

/** Sends one email through the relay, as WF36 does through Postmark (WF36 itself is bound to the harness's Postmark). */
const smtpSender = defineWorkflow({
  name: 'WF98_Test_Smtp_Email',
  version: '1.0.0',
  lane: 'interactive',
  attempts: 3,
  payload: z.object({ n: z.number() }).strict(),
  async run(ctx) {
    const email = createSmtpEmailProvider({ url: relay.url, timeoutMs: 2_000 });
    const sent = await sendEmailOnce(ctx, email, { name: 'email.send', eventType: 'email.sent', eventPayload: (r) => ({ message_id: r.message_id }) }, message);
    return { summary: 'sent', primary_outputs: sent, phi_touched: false };
  },
});

beforeAll(async () => {
  relay = await startSmtpStandin();
  h = await startHarness({ lanes: ['interactive'], extraWorkflows: [smtpSender] });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_dee', channel: 'email', status: 'allow', source: 'test' });
});
afterAll(async () => {
  await h?.close();
  await relay?.close();
});
beforeEach(() => {
  relay.messages.length = 0;
});

async function outcomeOf(promise: Promise<unknown>): Promise<{ code: string; outcome: string | undefined } | 'sent'> {
  try {
    await promise;
    return 'sent';
  } catch (error) {
    if (!isWorkflowError(error)) throw error;
    return { code: error.code, outcome: error.outcome };
  }
}

describe('SMTP relay transport', () => {
  it('hands the message over with our headers and a Message-ID made from our reference', async () => {
    const smtp = createSmtpEmailProvider({ url: relay.url, timeoutMs: 2_000 });
    const sent = await smtp.sendEmail({ ...message, reference: 'ref-0001' });
    expect(sent).toMatchObject({ messageId: '<ref-0001@practice.test>', status: 'sent' });
    expect(relay.messages).toHaveLength(1);
    expect(relay.messages[0]!.to).toEqual(['dee@patient.test']);
    expect(relay.messages[0]!.data).toContain('List-Unsubscribe: <https://revos.test/unsubscribe/email/t_x/abc>');
    expect(relay.messages[0]!.data).toContain('Message-ID: <ref-0001@practice.test>');
  });

  it('a refusal is not sent, a closed port is not sent, a connection lost after DATA is unknown', async () => {
    const smtp = createSmtpEmailProvider({ url: relay.url, timeoutMs: 2_000 });
    relay.rejectRecipient('nobody@patient.test');
    expect(await outcomeOf(smtp.sendEmail({ ...message, to: 'nobody@patient.test', reference: 'ref-0002' }))).toEqual({ code: 'invalid_input', outcome: 'not_sent' });
    const closed = createSmtpEmailProvider({ url: 'smtp://127.0.0.1:9', timeoutMs: 2_000 });
    expect(await outcomeOf(closed.sendEmail({ ...message, reference: 'ref-0003' }))).toMatchObject({ outcome: 'not_sent' });
    relay.dropAfterData(1);
    expect(await outcomeOf(smtp.sendEmail({ ...message, reference: 'ref-0004' }))).toMatchObject({ outcome: 'unknown' });
    expect(relay.messages).toHaveLength(1);
  });

  it('an email whose outcome is unknown goes to a person, never to the relay again', async () => {
    relay.dropAfterData(1);
    const accepted = await submitRun(h, h.envelope({ workflow: 'WF98_Test_Smtp_Email', payload: { n: 1 }, subject: { patient_id: 'p_dee' } }), { source: 'api' });
    const run = await h.waitForRun(accepted.workflow_run_id, undefined, 20_000);
    expect(run).toMatchObject({ status: 'failed', failure_code: 'effect_outcome_unknown' });
    const tasks = await h.db.sql`select kind, status from tasks where workflow_run_id = ${accepted.workflow_run_id}`;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'open' });
    expect(relay.messages).toHaveLength(1);
  });

  it('refuses a URL that is not smtp(s)', () => {
    expect(() => createSmtpEmailProvider({ url: 'http://relay.example', timeoutMs: 1_000 })).toThrow(/smtp:\/\//);
  });
});
