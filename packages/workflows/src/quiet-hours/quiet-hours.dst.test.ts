import { describe, expect, it } from 'vitest';
import { isAllowedAt, nextAllowedMs } from './quiet-hours.js';
import { quietHoursVerdict } from './text-quiet-hours.js';

const NY = 'America/New_York';
const TCPA = { allowed_from: '08:00', allowed_until: '21:00' };
const at = (iso: string) => Date.parse(iso);
const next = (iso: string, rule = TCPA, zone = NY) => new Date(nextAllowedMs(at(iso), rule, zone)).toISOString();

describe('nextAllowedMs across daylight-saving changes (America/New_York, 2026)', () => {
  it('the night before spring forward (8 March): 01:30 EST waits until 08:00 EDT, one hour less than the day before', () => {
    expect(next('2026-03-07T06:30:00Z')).toBe('2026-03-07T13:00:00.000Z'); // 01:30 EST → 08:00 EST
    expect(next('2026-03-08T06:30:00Z')).toBe('2026-03-08T12:00:00.000Z'); // 01:30 EST → 08:00 EDT
    expect(next('2026-03-08T02:30:00Z')).toBe('2026-03-08T12:00:00.000Z'); // 21:30 EST on the 7th
  });

  it('the night of fall back (1 November): both 01:30s wait until 08:00 EST', () => {
    expect(next('2026-11-01T05:30:00Z')).toBe('2026-11-01T13:00:00.000Z'); // 01:30 EDT (first)
    expect(next('2026-11-01T06:30:00Z')).toBe('2026-11-01T13:00:00.000Z'); // 01:30 EST (second)
    expect(next('2026-10-31T05:30:00Z')).toBe('2026-10-31T12:00:00.000Z'); // the day before: 08:00 EDT
  });

  it('a window opening inside the skipped hour opens at the first minute after it', () => {
    const rule = { allowed_from: '02:30', allowed_until: '05:00' };
    expect(next('2026-03-08T06:00:00Z', rule)).toBe('2026-03-08T07:00:00.000Z'); // 01:00 EST → 03:00 EDT
  });

  it('inside the window: now; a window spanning midnight; the minute the window closes is quiet', () => {
    expect(next('2026-03-09T15:00:00Z')).toBe('2026-03-09T15:00:00.000Z');
    expect(next('2026-03-09T17:00:00Z', { allowed_from: '22:00', allowed_until: '06:00' })).toBe('2026-03-10T02:00:00.000Z');
    expect(isAllowedAt(at('2026-03-10T00:59:00Z'), TCPA, NY)).toBe(true); // 20:59 EDT
    expect(isAllowedAt(at('2026-03-10T01:00:00Z'), TCPA, NY)).toBe(false); // 21:00 EDT
    expect(next('2026-03-10T01:00:20Z')).toBe('2026-03-10T12:00:00.000Z');
  });

  it('reads the zone it is given: 06:00 UTC is 06:00 in London (quiet) and 07:00 in Paris (quiet), 08:00 in Athens (allowed)', () => {
    expect(isAllowedAt(at('2026-01-15T06:00:00Z'), TCPA, 'Europe/London')).toBe(false);
    expect(next('2026-01-15T06:00:00Z', TCPA, 'Europe/Paris')).toBe('2026-01-15T07:00:00.000Z');
    expect(isAllowedAt(at('2026-01-15T06:00:00Z'), TCPA, 'Europe/Athens')).toBe(true);
  });
});

describe('quietHoursVerdict', () => {
  const rule = { ...TCPA };
  const night = at('2026-03-08T06:30:00Z');

  it('holds a covered class until the window opens, in the patient zone when known, else the practice zone', () => {
    expect(quietHoursVerdict({ messageClass: 'reminder' }, rule, NY, night)).toEqual({ held: true, untilMs: at('2026-03-08T12:00:00Z'), zoneSource: 'practice' });
    expect(quietHoursVerdict({ messageClass: 'campaign', recipientZone: 'America/Los_Angeles' }, rule, NY, night)).toEqual({ held: true, untilMs: at('2026-03-08T15:00:00Z'), zoneSource: 'patient' });
  });

  it('lets through what the rule does not cover, and the exemptions', () => {
    expect(quietHoursVerdict({ messageClass: 'reminder' }, null, NY, night)).toEqual({ held: false, reason: 'no_rule' });
    expect(quietHoursVerdict({ messageClass: 'transactional' }, rule, NY, night)).toEqual({ held: false, reason: 'class_not_covered' });
    expect(quietHoursVerdict({ messageClass: 'transactional' }, { ...rule, classes: ['transactional'] }, NY, night).held).toBe(true);
    expect(quietHoursVerdict({ messageClass: 'reminder', inReplyToReceivedAt: '2026-03-08T06:20:00Z' }, rule, NY, night)).toEqual({ held: false, reason: 'reply_exempt' });
    expect(quietHoursVerdict({ messageClass: 'reminder', callbackRequestedAt: '2026-03-08T06:00:00Z' }, rule, NY, night)).toEqual({ held: false, reason: 'callback_exempt' });
  });

  it('a reply outside the reply window is held; the window is the rule\'s', () => {
    expect(quietHoursVerdict({ messageClass: 'reminder', inReplyToReceivedAt: '2026-03-08T06:00:00Z' }, rule, NY, night).held).toBe(true);
    expect(quietHoursVerdict({ messageClass: 'reminder', inReplyToReceivedAt: '2026-03-08T06:00:00Z' }, { ...rule, reply_window_minutes: 60 }, NY, night).held).toBe(false);
  });

  it('without any zone it says so rather than guess', () => {
    expect(quietHoursVerdict({ messageClass: 'reminder' }, rule, undefined, night)).toEqual({ held: 'no_zone' });
  });
});
