import { defineWorkflow } from '@revos/runtime';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';
import { WF21Manifest } from '../manifests/WF21_Escalate_To_Staff.js';

/**
 * A run failed terminally and its escalation task is open: page the practice's
 * on-call staff line (ids and codes only, no PHI) and schedule WF42 to check
 * whether someone picked the task up.
 */
export function WF21_Escalate_To_Staff(services: WorkflowServices) {
  return defineWorkflow({
    ...WF21Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const page = {
        to: configString(ctx.tenant.config, 'staff_alert_phone'),
        from: configString(ctx.tenant.config, 'sms_from'),
        body: `RevOS task ${p.task_id}: ${p.source_workflow} ${p.failure_code} (run ${p.source_run_id})`,
      };
      const notified = await ctx.effect<TwilioCreatedRef>(
        'staff.page',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'staff.paged',
          direction: 'outbound',
          vendorDedupes: false,
          target: page.to,
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.sms.findMessages(page, intentAt, { signal })),
          eventPayload: (r) => ({ message_sid: r.sid, task_id: p.task_id }),
        },
        ({ signal, idempotencyToken }) => services.sms.sendMessage(page, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }).then((r) => ({ sid: r.sid, status: r.status })),
      );
      const followUpMinutes = Number(ctx.tenant.config.escalation_follow_up_minutes ?? 60);
      return {
        summary: `staff paged for ${p.task_id}`,
        phi_touched: false,
        primary_outputs: { task_id: p.task_id, message_sid: notified.sid },
        next_actions: [
          {
            workflow: 'WF42_Escalation_Follow_Up',
            payload: { ...p, follow_up_number: p.follow_up_number + 1 },
            priority: 'normal',
            run_after_utc: new Date(Date.now() + followUpMinutes * 60_000).toISOString(),
          },
        ],
      };
    },
  });
}
