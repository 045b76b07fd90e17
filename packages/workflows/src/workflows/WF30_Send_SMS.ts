import { defaultSmsMps, isWorkflowError, TENANT_CONFIG_KEYS, WorkflowError } from '@revos/envelope';
import { deferRun, defineWorkflow, type RunContext } from '@revos/runtime';
import { SLOW_FACTOR } from '../pacing/sender-pacer.js';
import { quietHoursRuleOf, quietHoursVerdict } from '../quiet-hours/text-quiet-hours.js';
import { practiceText, signedText } from '../voice/practice-name.js';
import { expiredError, isExpired, recordExpiry } from './expiry.js';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';
import { TEMPLATE_VALIDITY_HOURS, TEMPLATES, type WF30Payload, WF30Manifest } from '../manifests/WF30_Send_SMS.js';

/**
 * Sends one text through the SMS provider, exactly once per trigger, after Consent_Check (the
 * patient's consent and the destination number's opt-out). A number the carrier reports unsubscribed
 * (Twilio 21610) is recorded as opted out and the run ends `blocked` / `consent_denied`. A reminder
 * naming its `appointment_id` lets a "C" reply from that number confirm the appointment; one naming
 * its `appointment_at` is not sent once that has passed (`blocked` / `expired`, an `sms.expired` event).
 * A template goes out signed with the practice's name (`practice_name`), a free `body` as written.
 *
 * Before the call (only when this attempt is the one to send): a text of a class the tenant's quiet
 * hours cover waits until the window opens at the patient (`deferred_quiet_hours`); a sender over
 * its rate (`sms_mps`) waits for its slot (`deferred_pacing`), and a vendor refusing for the rate
 * slows the sender down and defers the run instead of failing it. A text whose useful time
 * (`valid_until`, the appointment, its template's validity) passes before it may go ends `expired`.
 */
export function WF30_Send_SMS(services: WorkflowServices) {
  return defineWorkflow({
    ...WF30Manifest,
    async run(ctx) {
      const config = ctx.tenant.config;
      const template = ctx.payload.template ? TEMPLATES[ctx.payload.template] : undefined;
      const body = ctx.payload.body !== undefined ? practiceText(ctx.payload.body, config) : template && signedText(template, config);
      if (!body) throw new WorkflowError('invalid_input', 'no message text', { stage: 'core_logic' });
      const from = configString(ctx.tenant.config, 'sms_from');
      const message = { to: ctx.payload.to, from, body };
      const sent = await sendOnce(ctx, message).catch(async (error: unknown) => {
        if (isWorkflowError(error) && error.code === 'consent_denied' && error.details?.['recipientOptedOut'] === true) {
          // The carrier holds an opt-out we did not know of: keep it, so no other subject's text tries again.
          await ctx.patients.setAddressConsent({ address: ctx.payload.to, channel: 'sms', status: 'deny', source: 'twilio_21610', evidenceRef: ctx.envelope.meta.workflow_run_id });
        }
        if (isExpired(error)) await recordExpiry(ctx, 'sms.expired', error);
        throw error;
      });
      // A 2xx whose body was unreadable: sent, its id unknown.
      if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
      await ctx.patients.rememberContact(ctx.payload.to);
      if (ctx.payload.appointment_id) await ctx.patients.recordAppointmentPrompt(ctx.payload.appointment_id, ctx.payload.to);
      return { summary: `sms ${sent.status}`, primary_outputs: { message_sid: sent.sid, status: sent.status } };
    },
  });

  function now(): number {
    return (services.clock ?? Date.now)();
  }

  /** Holds or stops the text before the call: expiry, quiet hours, then the sender's rate. */
  async function admit(ctx: RunContext<WF30Payload>, from: string, deadline: Deadline | null): Promise<void> {
    const nowMs = now();
    if (deadline && deadline.atMs <= nowMs) throw expiredError(deadline.field, new Date(deadline.atMs).toISOString(), nowMs);
    const p = ctx.payload;
    const messageClass = p.message_class ?? (p.template === 'appointment_reminder' ? 'reminder' : 'transactional');
    const verdict = quietHoursVerdict(
      { messageClass, inReplyToReceivedAt: p.in_reply_to_received_at, callbackRequestedAt: p.callback_requested_at, recipientZone: p.recipient_timezone },
      quietHoursRuleOf(ctx.policy.ruleset),
      typeof ctx.tenant.config['timezone'] === 'string' ? ctx.tenant.config['timezone'] : undefined,
      nowMs,
    );
    if (verdict.held === 'no_zone') {
      throw new WorkflowError('config_missing', 'quiet hours need the recipient_timezone or the practice timezone (config.timezone)', { stage: 'core_logic', outcome: 'not_sent' });
    }
    if (verdict.held) {
      if (deadline && verdict.untilMs >= deadline.atMs) throw goesTooLate(deadline, 'quiet_hours');
      throw deferRun('deferred_quiet_hours', verdict.untilMs, { message_class: messageClass, zone_source: verdict.zoneSource }, nowMs);
    }
    if (!services.pacer) return;
    const mps = senderMps(ctx.tenant.config, from);
    const pace = await services.pacer.acquire(from, mps);
    if (!pace.ok) {
      const untilMs = nowMs + Math.max(0, pace.retryAtMs - Date.now());
      if (deadline && untilMs >= deadline.atMs) throw goesTooLate(deadline, 'pacing');
      throw deferRun('deferred_pacing', untilMs, { sms_mps: mps, slowed: pace.slowed }, nowMs);
    }
  }

  /** The vendor refused for the sender's rate (rate_limited): slow the sender and put the run off, unless that makes it too late. */
  async function pushedBack(ctx: RunContext<WF30Payload>, from: string, deadline: Deadline | null, error: WorkflowError): Promise<never> {
    const pacer = services.pacer;
    if (!pacer) throw error;
    await pacer.slowDown(from);
    const nowMs = now();
    const mps = senderMps(ctx.tenant.config, from);
    const untilMs = nowMs + Math.max(error.retryAfterMs ?? 0, Math.ceil((SLOW_FACTOR * 1000) / mps));
    if (deadline && untilMs >= deadline.atMs) throw goesTooLate(deadline, 'pacing');
    const vendorCode = error.details?.['vendorCode'] ?? error.details?.['twilioCode'] ?? error.details?.['httpStatus'] ?? null;
    throw deferRun('deferred_pacing', untilMs, { sms_mps: mps, slowed: true, vendor_code: vendorCode }, nowMs);
  }

  function sendOnce(ctx: RunContext<WF30Payload>, message: { to: string; from: string; body: string }) {
    const deadline = deadlineOf(ctx.payload, ctx.envelope.meta.accepted_at_utc ?? ctx.envelope.meta.timestamp_utc);
    return ctx.effect<TwilioCreatedRef>(
        'sms.send',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'sms.sent',
          // We send Twilio an idempotency token, but do not stake a patient's inbox on it: a send whose
          // outcome is unknown is looked up (by To, From, body and time), never sent again blindly.
          vendorDedupes: false,
          target: ctx.payload.to,
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.sms.findMessages(message, intentAt, { signal })),
          // The event keeps the vendor's message id, never the number or the text.
          eventPayload: (r) => ({ message_sid: r.sid, template: ctx.payload.template ?? null }),
          // Checked only when this attempt is the one to send: a text an earlier attempt sent is never called stale or held.
          admit: () => admit(ctx, message.from, deadline),
        },
        ({ signal, idempotencyToken }) =>
          services.sms
            .sendMessage(message, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id })
            .then((r) => ({ sid: r.sid, status: r.status }))
            .catch((error: unknown) => (isWorkflowError(error) && error.code === 'rate_limited' ? pushedBack(ctx, message.from, deadline, error) : Promise.reject(error))),
      );
  }
}

/** The moment a text stops being of use, and the field that says so. */
interface Deadline {
  field: string;
  atMs: number;
}

/** The earliest of `valid_until`, the appointment's start and the template's validity from acceptance. */
export function deadlineOf(payload: WF30Payload, acceptedAtIso: string): Deadline | null {
  const candidates: Deadline[] = [];
  if (payload.valid_until !== undefined) candidates.push({ field: 'valid_until', atMs: Date.parse(payload.valid_until) });
  if (payload.appointment_at !== undefined) candidates.push({ field: 'appointment_at', atMs: Date.parse(payload.appointment_at) });
  if (payload.template !== undefined) candidates.push({ field: 'template_validity', atMs: Date.parse(acceptedAtIso) + TEMPLATE_VALIDITY_HOURS[payload.template] * 3_600_000 });
  return candidates.reduce<Deadline | null>((first, d) => (first === null || d.atMs < first.atMs ? d : first), null);
}

/** Held (quiet hours, pacing) past its deadline: blocked now rather than sent late. */
function goesTooLate(deadline: Deadline, heldBy: 'quiet_hours' | 'pacing'): WorkflowError {
  return new WorkflowError('expired', `${deadline.field} passes before the text may go (${heldBy}); nothing was sent`, {
    stage: 'core_logic',
    outcome: 'not_sent',
    details: { field: deadline.field, held_by: heldBy },
  });
}

/** The sender's rate: the tenant's `sms_mps` for it, else its number type's default. */
function senderMps(config: Record<string, unknown>, sender: string): number {
  const rates = TENANT_CONFIG_KEYS.sms_mps.safeParse(config['sms_mps']);
  return (rates.success ? rates.data[sender] : undefined) ?? defaultSmsMps(sender);
}
