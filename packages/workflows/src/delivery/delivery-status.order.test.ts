import { describe, expect, it } from 'vitest';
import { deriveDeliveryState, isNotReached } from './delivery-status.js';

describe('the delivery state derived from status callbacks', () => {
  it('follows queued < sending < sent < delivered whatever order they arrive in', () => {
    expect(deriveDeliveryState('sms', ['queued', 'sent', 'delivered'])).toBe('delivered');
    expect(deriveDeliveryState('sms', ['delivered', 'sent', 'queued', 'sending'])).toBe('delivered');
    expect(deriveDeliveryState('sms', ['sent', 'sent'])).toBe('sent');
    expect(deriveDeliveryState('sms', [])).toBe('none');
  });

  it('keeps the first final status: a late delivered does not undo undelivered, nor the reverse', () => {
    expect(deriveDeliveryState('sms', ['undelivered', 'delivered'])).toBe('undelivered');
    expect(deriveDeliveryState('sms', ['delivered', 'failed'])).toBe('delivered');
    expect(deriveDeliveryState('voice', ['ringing', 'no-answer', 'completed'])).toBe('no-answer');
  });

  it('ignores a status it does not know', () => {
    expect(deriveDeliveryState('sms', ['sent', 'partially_delivered'])).toBe('sent');
  });

  it('calls only undelivered and failed not reached', () => {
    expect(['undelivered', 'failed'].every(isNotReached)).toBe(true);
    expect(['delivered', 'sent', 'busy', 'canceled'].some(isNotReached)).toBe(false);
  });
});
