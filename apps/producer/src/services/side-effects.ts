/**
 * One line per side effect of a run, for the explorer page and `revos runs show`: the convention's
 * five kinds (message, PMS write, task, payment, policy change) read from the run's events, in the
 * words an operator looks for ("payment collected: 2500 usd (pi_...)"). Ids and amounts only: event
 * payloads never hold PHI, and a phi_minimized run's have none at all, so its lines name the kind.
 */
import type { EventView } from '@revos/db';

type Fields = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '?');

const DESCRIBE: Record<string, (p: Fields) => string> = {
  'sms.sent': (p) => `text sent (${text(p['message_sid'])})`,
  'staff.paged': (p) => `staff paged for ${text(p['task_id'])} (${text(p['message_sid'])})`,
  'appointment.booked': (p) => `appointment ${text(p['status'])} at the PMS (${text(p['appointment_id'])})`,
  'task.created': (p) => `staff task opened: ${text(p['task_id'])} (${text(p['failure_code'])})`,
  'payment.collected': (p) => `payment ${text(p['status'])}: ${text(p['amount_minor'])} ${text(p['currency'])} (${text(p['payment_intent_id'])})`,
  'payment.refunded': (p) => `refund ${text(p['status'])}: ${text(p['amount_minor'])} ${text(p['currency'])} of ${text(p['payment_intent_id'])} (${text(p['refund_id'])})`,
  'policy.changed': (p) =>
    `${text(p['target'])} changed ${p['from_version'] === null ? 'from no version' : `from ${text(p['from_version'])}`} to ${text(p['to_version'])} by ${text(p['changed_by'])}${typeof p['changed_by_label'] === 'string' ? ` (${p['changed_by_label']})` : ''}`,
};

/** The side-effect lines of a run's events; events of other kinds (run.retry_scheduled, ...) are left out. */
export function sideEffectLines(events: EventView[]): string[] {
  return events.flatMap((e) => {
    const describe = DESCRIBE[e.event_type];
    if (!describe) return [];
    const payload = typeof e.payload === 'object' && e.payload !== null ? (e.payload as Fields) : null;
    return [payload ? describe(payload) : `${e.event_type} (payload not stored: phi_minimized)`];
  });
}

/** The policy versions a run's stored envelope carries ("pol_... / ff_..."), or null when it has none. */
export function policyVersionsOf(envelope: unknown): string | null {
  const meta = (typeof envelope === 'object' && envelope !== null ? (envelope as { meta?: Fields }).meta : undefined) ?? {};
  const policy = typeof meta['policy_version'] === 'string' ? meta['policy_version'] : null;
  const flags = typeof meta['feature_flags_version'] === 'string' ? meta['feature_flags_version'] : null;
  return policy === null && flags === null ? null : `${policy ?? 'no policy version'} / ${flags ?? 'no flags version'}`;
}
