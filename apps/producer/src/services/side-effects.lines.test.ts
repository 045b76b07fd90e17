import { describe, expect, it } from 'vitest';
import type { EventView } from '@revos/db';
import { policyVersionsOf, sideEffectLines } from './side-effects.js';

const event = (event_type: string, payload: unknown): EventView => ({
  event_id: 'ev_1',
  event_type,
  direction: 'outbound',
  payload_ref: 'effects/x',
  payload,
  effect_name: null,
  occurred_at: '2026-12-01T00:00:00Z',
});

describe('side effect lines', () => {
  it('describes each of the five kinds by ids and amounts, and leaves other events out', () => {
    expect(
      sideEffectLines([
        event('sms.sent', { message_sid: 'SM1', template: null }),
        event('appointment.booked', { appointment_id: 'apt_1', status: 'booked' }),
        event('task.created', { task_id: 'task_1', failure_code: 'payment_declined' }),
        event('payment.collected', { payment_intent_id: 'pi_1', amount_minor: 2500, currency: 'usd', status: 'succeeded' }),
        event('payment.refunded', { refund_id: 're_1', payment_intent_id: 'pi_1', amount_minor: 500, currency: 'usd', status: 'succeeded' }),
        event('policy.changed', { target: 'ruleset', from_version: null, to_version: 'pol_2', changed_by: 'cli:alice' }),
        event('run.retry_scheduled', { failure_code: 'network' }),
      ]),
    ).toEqual([
      'text sent (SM1)',
      'appointment booked at the PMS (apt_1)',
      'staff task opened: task_1 (payment_declined)',
      'payment succeeded: 2500 usd (pi_1)',
      'refund succeeded: 500 usd of pi_1 (re_1)',
      'ruleset changed from no version to pol_2 by cli:alice',
    ]);
  });

  it('names only the kind when the payload was not stored (phi_minimized)', () => {
    expect(sideEffectLines([event('payment.collected', null)])).toEqual(['payment.collected (payload not stored: phi_minimized)']);
  });

  it('shows the policy versions an envelope carried, or nothing', () => {
    expect(policyVersionsOf({ meta: { policy_version: 'pol_1', feature_flags_version: 'ff_1' } })).toBe('pol_1 / ff_1');
    expect(policyVersionsOf({ meta: { policy_version: 'pol_1' } })).toBe('pol_1 / no flags version');
    expect(policyVersionsOf({ meta: {} })).toBeNull();
    expect(policyVersionsOf(null)).toBeNull();
  });
});
