/**
 * Workflows of the fault suite: one outbound text each, with a pause before and after the
 * vendor call so a fault (a SIGKILL, a database cut, a Redis restart) can land before, during
 * or after it. The text's body names the workflow (`fault:once`, `fault:dedupe`) so the suite
 * can tell its own vendor requests from escalation texts (WF21) the fleet sends on the side.
 */
import { defineWorkflow, type AnyWorkflow } from '@revos/runtime';
import { createHttpPmsAdapter, createTwilioSmsProvider, createTwilioVoiceProvider, type WorkflowServices } from '@revos/workflows';
import { z } from 'zod';

export const SEND_ONCE = 'WF81_Fault_Send_Once';
export const SEND_DEDUPED = 'WF82_Fault_Send_Deduped';
export const FAULT_BODY_PREFIX = 'fault:';

export type FaultPhase = 'pre' | 'vendor' | 'post';

/** Told when a run enters a phase (the worker process prints it, so a killer knows where runs were). */
let phaseReporter: ((runId: string, phase: FaultPhase) => void) | null = null;
export function reportPhases(reporter: (runId: string, phase: FaultPhase) => void): void {
  phaseReporter = reporter;
}

const FaultPayload = z.object({ to: z.string().min(1), pre_ms: z.number().int().min(0), post_ms: z.number().int().min(0) });
export type FaultPayload = z.infer<typeof FaultPayload>;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sendText(name: string, tag: 'once' | 'dedupe', vendorDedupes: boolean, services: WorkflowServices): AnyWorkflow {
  return defineWorkflow({
    name,
    version: '1.0.0',
    lane: 'realtime',
    channel: 'sms',
    // Short, so the ledger lock of a killed run lapses quickly (lock = timeout + the lane's 5 s).
    timeoutMs: 4_000,
    attempts: 8,
    backoff: { baseMs: 200, maxMs: 2_000 },
    payload: FaultPayload,
    async run(ctx) {
      const runId = ctx.envelope.meta.workflow_run_id;
      phaseReporter?.(runId, 'pre');
      await pause(ctx.payload.pre_ms);
      const message = { to: ctx.payload.to, from: '+15550000001', body: `${FAULT_BODY_PREFIX}${tag}` };
      const sent = await ctx.effect<{ sid: string | null }>(
        'sms.send',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'sms.sent',
          vendorDedupes,
          target: ctx.payload.to,
          // As WF30 does: an intent a killed worker left is looked up before anything is sent again.
          reconcile: async ({ intentAt, signal }) => {
            const found = await services.sms.findMessages(message, intentAt, { signal });
            const [only, ...more] = found.matches;
            if (!only) return { kind: 'absent' };
            return more.length === 0 ? { kind: 'found', resource: { sid: only.sid } } : { kind: 'undecidable', reason: `${found.matches.length} matches` };
          },
        },
        ({ signal, idempotencyToken }) => {
          phaseReporter?.(runId, 'vendor');
          return services.sms.sendMessage(message, { signal, idempotencyToken }).then((r) => ({ sid: r.sid }));
        },
      );
      phaseReporter?.(runId, 'post');
      await pause(ctx.payload.post_ms);
      return { summary: 'sent', primary_outputs: { sid: sent.sid }, phi_touched: false };
    },
  });
}

/** Both fault workflows: `vendorDedupes: false` (the journal alone must hold) and `true` (the vendor's token dedupe helps). */
export function faultWorkflows(services: WorkflowServices): AnyWorkflow[] {
  return [sendText(SEND_ONCE, 'once', false, services), sendText(SEND_DEDUPED, 'dedupe', true, services)];
}

/**
 * Services for a catalog that only enqueues (the test's side of a fleet of processes): the
 * workflows are never run here, so the vendors are never called.
 */
export function enqueueOnlyServices(): WorkflowServices {
  const twilio = { baseUrl: 'http://127.0.0.1:9', accountSid: 'AC_enqueue_only', authToken: 'unused', timeoutMs: 1_000 };
  return {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: 'http://127.0.0.1:9/pms', apiKey: 'unused', timeoutMs: 1_000 }),
  };
}
