import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';

/**
 * The real-time fallback: a voice turn breached its budget (or the caller asked
 * for a person), so ring the front desk into the conversation rather than
 * leave the caller in silence.
 */
export function WF71_RealTime_Fallback(services: WorkflowServices) {
  return defineWorkflow({
    name: 'WF71_RealTime_Fallback',
    version: '1.0.0',
    lane: 'realtime',
    channel: 'voice',
    requiresConfig: ['voice_from', 'front_desk_phone', 'fallback_twiml_url'],
    payload: z
      .object({
        call_sid: z.string().optional(),
        source_run_id: z.string().optional(),
        source_workflow: z.string().optional(),
        latency_ms: z.number().optional(),
        budget_ms: z.number().nullable().optional(),
        reason: z.string().max(80).optional(),
      })
      .strict(),
    async run(ctx) {
      const frontDesk = {
        to: configString(ctx.tenant.config, 'front_desk_phone'),
        from: configString(ctx.tenant.config, 'voice_from'),
        twimlUrl: configString(ctx.tenant.config, 'fallback_twiml_url'),
      };
      const call = await ctx.effect<TwilioCreatedRef>(
        'voice.front_desk',
        {
          service: 'twilio',
          endpoint: 'calls.create',
          eventType: 'call.fallback_started',
          vendorDedupes: false,
          target: frontDesk.to,
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.voice.findCalls(frontDesk, intentAt, { signal })),
          eventPayload: (r) => ({ call_sid: r.sid }),
        },
        ({ signal, idempotencyToken }) => services.voice.createCall(frontDesk, { signal, idempotencyToken }).then((r) => ({ sid: r.sid, status: r.status })),
      );
      return {
        summary: `front desk rung (${ctx.payload.reason ?? 'latency_breach'})`,
        primary_outputs: { fallback_call_sid: call.sid, reason: ctx.payload.reason ?? 'latency_breach' },
      };
    },
  });
}
