import { defineWorkflow } from '@revos/runtime';
import { WF42Manifest } from '../manifests/WF42_Escalation_Follow_Up.js';

/** How many times staff are paged again for one task before it is left to the task list. */
export const MAX_FOLLOW_UPS = 3;

/**
 * Checks an escalation task later; still open (nobody claimed or resolved it) → page again (WF21), up
 * to MAX_FOLLOW_UPS times. A claimed or resolved task ends the follow-ups.
 */
export const WF42_Escalation_Follow_Up = defineWorkflow({
  ...WF42Manifest,
  async run(ctx) {
    const p = ctx.payload;
    const status = await ctx.lookup.taskStatus(p.task_id);
    const repage = status === 'open' && p.follow_up_number < MAX_FOLLOW_UPS;
    return {
      summary: status === 'open' ? (repage ? 'task still open: paging again' : 'task still open: follow-ups exhausted') : `task ${status ?? 'not found'}`,
      phi_touched: false,
      primary_outputs: { task_id: p.task_id, task_status: status, follow_up_number: p.follow_up_number, repaged: repage },
      next_actions: repage ? [{ workflow: 'WF21_Escalate_To_Staff', payload: p, priority: 'high' }] : [],
    };
  },
});
