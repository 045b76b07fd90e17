import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { frontDeskNumber } from '../voice/reply.js';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';
import { WF71Manifest } from '../manifests/WF71_RealTime_Fallback.js';

/**
 * The real-time fallback: a voice turn breached its budget or failed, so the caller must reach a
 * person rather than silence.
 *
 * - With `call_sid` (a turn of a live call through the voice webhook): the webhook already answered
 *   that call with the fallback TwiML (an apology and `<Dial>` to the front desk) by its deadline,
 *   so ringing the desk again would be a second call for one caller. This run records the handover
 *   (a `call.fallback_given` event, journaled once) for the call's lineage and the operators.
 * - Without one (a real-time run no caller is waiting on): ring the front desk, once.
 */
export function WF71_RealTime_Fallback(services: WorkflowServices) {
  return defineWorkflow({
    ...WF71Manifest,
    async run(ctx) {
      const reason = ctx.payload.reason ?? 'latency_breach';
      const callSid = ctx.payload.call_sid;
      if (callSid) {
        await ctx.effect(
          'voice.fallback_given',
          { service: 'revos', endpoint: 'voice.fallback', eventType: 'call.fallback_given', direction: 'internal', vendorDedupes: true },
          async () => ({ call_sid: callSid, reason, source_run_id: ctx.payload.source_run_id ?? null }),
        );
        return { summary: `call handed to the front desk (${reason})`, primary_outputs: { call_sid: callSid, reason, handed_over_by: 'voice_webhook' } };
      }
      const config = ctx.tenant.config;
      const to = frontDeskNumber(config);
      const missing = [to ? null : 'front_desk_number', config.voice_from ? null : 'voice_from', config.fallback_twiml_url ? null : 'fallback_twiml_url'].filter(Boolean);
      if (missing.length > 0) throw new WorkflowError('config_missing', `tenant config lacks ${missing.join(', ')}`, { stage: 'core_logic' });
      const frontDesk = { to: to!, from: configString(config, 'voice_from'), twimlUrl: configString(config, 'fallback_twiml_url') };
      const call = await ctx.effect<TwilioCreatedRef>(
        'voice.front_desk',
        {
          service: 'twilio',
          endpoint: 'calls.create',
          eventType: 'call.fallback_started',
          vendorDedupes: false,
          target: frontDesk.to,
          // A call whose answer was lost is looked up, never placed twice.
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.voice.findCalls(frontDesk, intentAt, { signal })),
          eventPayload: (r) => ({ call_sid: r.sid }),
        },
        ({ signal, idempotencyToken }) => services.voice.createCall(frontDesk, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }).then((r) => ({ sid: r.sid, status: r.status })),
      );
      return { summary: `front desk rung (${reason})`, primary_outputs: { fallback_call_sid: call.sid, reason } };
    },
  });
}
