import { findRun, listDeliveryStatuses, type Db } from '@revos/db';
import { TenantRuleset } from '@revos/envelope';
import { defineWorkflow, type RunContext } from '@revos/runtime';
import { deliveryFailureReason } from '../delivery/carrier-errors.js';
import { deriveDeliveryState, isNotReached } from '../delivery/delivery-status.js';
import { WF33Manifest, type WF33Payload } from '../manifests/WF33_Delivery_Status.js';

/** What the status decided, journaled with its event so a retried attempt acts on the same decision. */
interface Recorded extends Record<string, unknown> {
  sid: string;
  status: string;
  error_code: string | null;
  /** The delivery state before and after this status (`none`, `sent`, `delivered`, `undelivered`, ...). */
  state_before: string;
  delivery_state: string;
  changed: boolean;
}

/**
 * One Twilio status callback of a text or a call, recorded once per (sid, status) as an event of the
 * run that sent it: the status route makes this run a child of the sender's run when it finds the
 * send in the effect journal. The delivery state is derived from every status recorded for the sid
 * (delivery/delivery-status.ts): a late or repeated status changes nothing. When the state becomes
 * `undelivered` or `failed`, the tenant's policy (ruleset `delivery.not_reached_follow_up`, default
 * `staff_task`) opens a staff task with the carrier's reason in words; `none` records only.
 * Registered only with the durable record (`services.records`): it reads the sender's run.
 */
export function WF33_Delivery_Status(records: Db) {
  return defineWorkflow({
    ...WF33Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const sender = ctx.envelope.meta.parent_run_id ?? null;
      const recorded = await ctx.effect<Recorded>(
        'delivery.status',
        {
          // Not `twilio`: only the send's own effect may answer a lookup by the vendor's sid.
          service: 'revos',
          endpoint: 'events.log',
          eventType: p.channel === 'sms' ? 'sms.delivery_status' : 'call.delivery_status',
          direction: 'inbound',
        },
        async () => decide(ctx, sender),
      );
      const outputs: Record<string, unknown> = { ...recorded, channel: p.channel, sent_by_run: sender };
      if (!recorded.changed || !isNotReached(recorded.delivery_state)) {
        return { summary: `${p.channel} ${p.status}: delivery ${recorded.delivery_state}`, primary_outputs: outputs, phi_touched: false };
      }
      if (followUpOf(ctx.policy.ruleset) === 'none') {
        return { summary: `${p.channel} ${p.status}: not reached, no follow-up by policy`, primary_outputs: outputs, phi_touched: false };
      }
      const task = await ctx.patients.openTask('delivery_failed', await taskReason(ctx, sender));
      ctx.recordDataWritten('tasks', task.taskId);
      return { summary: `${p.channel} ${p.status}: not reached, staff task opened`, primary_outputs: { ...outputs, task_id: task.taskId }, phi_touched: false };
    },
  });

  async function decide(ctx: RunContext<WF33Payload>, sender: string | null): Promise<Recorded> {
    const p = ctx.payload;
    const earlier = sender
      ? await listDeliveryStatuses(records.sql, { tenantId: ctx.envelope.meta.tenant_id, parentRunId: sender, workflowName: WF33Manifest.name, sid: p.sid, excludeRunId: ctx.envelope.meta.workflow_run_id })
      : [];
    const before = deriveDeliveryState(p.channel, earlier);
    const after = deriveDeliveryState(p.channel, [...earlier, p.status]);
    return { sid: p.sid, status: p.status, error_code: p.error_code, state_before: before, delivery_state: after, changed: after !== before };
  }

  /** The task's words: what did not arrive, about what, and why (ids and codes only, never the number or the text). */
  async function taskReason(ctx: RunContext<WF33Payload>, sender: string | null): Promise<string> {
    const p = ctx.payload;
    const why = deliveryFailureReason(p.status, p.error_code);
    const what = p.channel === 'sms' ? 'text' : 'call';
    const run = sender ? await findRun(records.sql, ctx.envelope.meta.tenant_id, sender) : null;
    if (!run) return `a ${what} (${p.sid}) was not delivered: ${why}`;
    const payload = (run.envelope as { payload?: Record<string, unknown> }).payload ?? {};
    const appointment = typeof payload['appointment_id'] === 'string' ? payload['appointment_id'] : null;
    const about = appointment ? `the reminder for appointment ${appointment}` : `the ${what} of ${run.workflow_name}`;
    return `${about} (${p.sid}) was not delivered: ${why}. Reach the patient another way.`;
  }
}

/** The tenant's choice; a ruleset that does not parse keeps the safe default (somebody is told). */
function followUpOf(ruleset: Record<string, unknown>): 'staff_task' | 'none' {
  const parsed = TenantRuleset.safeParse(ruleset);
  return (parsed.success ? parsed.data.delivery?.not_reached_follow_up : undefined) ?? 'staff_task';
}
