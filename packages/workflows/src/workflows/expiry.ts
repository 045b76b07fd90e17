/**
 * Nothing stale: a slot that has passed is not booked and a text about an appointment that has passed
 * is not sent. Intake refuses such a time when it is asked for (the manifests' `futureTimes`); a run
 * may still start after it (a `run_after_utc`, retries, a backlog), so the time is checked again where
 * the effect is about to happen: inside the effect's own function, which runs only when nothing earlier
 * did it (a journaled result, or a lost answer the vendor's lookup found, is used as it is).
 */
import { isWorkflowError, WorkflowError } from '@revos/envelope';
import type { RunContext } from '@revos/runtime';

/** True when `iso` is at or before `now`: a minute in the past is the past. */
export function hasPassed(iso: string, now: number = Date.now()): boolean {
  return Date.parse(iso) <= now;
}

/**
 * The `expired` failure for `field` (a payload field, or what a caller chose): blocked, not retried,
 * nothing sent. The time itself stays out of the message (an appointment's date is the patient's).
 */
export function expiredError(field: string, iso: string, now: number = Date.now()): WorkflowError {
  const passedAgoS = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return new WorkflowError('expired', `${field} has passed (${passedAgoS} s ago); nothing was done`, {
    stage: 'core_logic',
    outcome: 'not_sent',
    details: { field, passed_ago_s: passedAgoS },
  });
}

export function isExpired(error: unknown): error is WorkflowError {
  return isWorkflowError(error) && error.code === 'expired';
}

/**
 * Leaves the run's `eventType` event saying why nothing was done (the field and how long ago it
 * passed; never the time), so the lineage shows it beside the blocked outcome. An internal note,
 * safe to write again: journaled with the run's outcome.
 */
export async function recordExpiry(ctx: Pick<RunContext<unknown>, 'effect'>, eventType: string, error: WorkflowError): Promise<void> {
  await ctx.effect(
    'expiry.note',
    { service: 'revos', endpoint: 'events.log', eventType, direction: 'internal', vendorDedupes: true },
    async () => ({ reason: 'expired', ...error.details }),
  );
}
