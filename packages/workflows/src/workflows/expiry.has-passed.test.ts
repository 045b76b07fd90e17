import { describe, expect, it } from 'vitest';
import { expiredError, hasPassed, isExpired } from './expiry.js';

describe('hasPassed', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');

  it('a minute in the past, or this very moment, has passed; a second ahead has not', () => {
    expect(hasPassed('2026-12-06T11:59:00Z', now)).toBe(true);
    expect(hasPassed('2026-12-06T12:00:00Z', now)).toBe(true);
    expect(hasPassed('2026-12-06T12:00:01Z', now)).toBe(false);
    expect(hasPassed('2026-12-06T07:00:01-05:00', now)).toBe(false);
  });
});

describe('expiredError', () => {
  it('is blocked-class `expired`, not sent, and names the field and how long ago, never the time', () => {
    const e = expiredError('slot_start', '2026-12-06T11:55:00Z', Date.parse('2026-12-06T12:00:00Z'));
    expect(isExpired(e)).toBe(true);
    expect(e).toMatchObject({ code: 'expired', outcome: 'not_sent', stage: 'core_logic', details: { field: 'slot_start', passed_ago_s: 300 } });
    expect(e.message).toBe('slot_start has passed (300 s ago); nothing was done');
    expect(e.message).not.toContain('11:55');
  });
});
