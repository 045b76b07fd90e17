/**
 * The crash tests' workflow, apart from test/support/worker-process.ts: that module starts a worker
 * when it is loaded, so a test that only needs the workflow must not import it.
 */
import { defineWorkflow } from '@revos/runtime';
import type { WorkflowServices } from '@revos/workflows';
import { z } from 'zod';

/**
 * Sends one text, then pauses: the window between a vendor call and the run's
 * completion, where a crash must not lead to a second text. `vendorDedupes` is
 * false, as for a vendor without idempotency tokens: the journal alone must hold.
 */
export function effectThenPause(services: WorkflowServices) {
  return defineWorkflow({
    name: 'WF97_Test_Effect_Then_Pause',
    version: '1.0.0',
    lane: 'realtime',
    timeoutMs: 3_000,
    payload: z.object({ to: z.string(), pause_ms: z.number().int().min(0) }),
    async run(ctx) {
      const sent = await ctx.effect(
        'sms.send',
        { service: 'twilio', endpoint: 'messages.create', eventType: 'sms.sent', vendorDedupes: false },
        ({ signal, idempotencyToken }) =>
          services.sms
            .sendMessage({ to: ctx.payload.to, from: '+15550000001', body: 'crash test' }, { signal, idempotencyToken })
            .then((r) => ({ sid: r.sid })),
      );
      await new Promise((resolve) => setTimeout(resolve, ctx.payload.pause_ms));
      return { summary: 'sent, then paused', primary_outputs: sent };
    },
  });
}
