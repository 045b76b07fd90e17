import { describe, expect, it } from 'vitest';
import { deliveryFailureReason } from './carrier-errors.js';

describe('carrier errors in words', () => {
  it('names the code and says what happened', () => {
    expect(deliveryFailureReason('undelivered', '30003')).toBe('30003: the handset was unreachable (switched off or out of coverage)');
    expect(deliveryFailureReason('undelivered', '30007')).toMatch(/^30007: the carrier filtered/);
    expect(deliveryFailureReason('failed', '39999')).toMatch(/^39999: Twilio error 39999/);
    expect(deliveryFailureReason('failed', null)).toBe('failed, without an error code from Twilio');
  });
});
