import { describe, expect, it } from 'vitest';
import { classifyUtterance, parseAskedTime, speakTime, zoneOffsetMinutes } from './understanding.js';

const NOW = new Date('2026-12-01T17:00:00Z'); // noon in New York
const NY = 'America/New_York';

describe('classifyUtterance', () => {
  it.each([
    ['I would like to talk to someone', 'talk_to_staff'],
    ['Can I speak with the front desk please', 'talk_to_staff'],
    ['book an appointment tomorrow at 3 pm', 'book'],
    ['I need to make an appointment', 'book'],
    ['I want to cancel my appointment', 'cancel'],
    ['can I move my appointment to Friday', 'reschedule'],
    ['I am calling to confirm', 'confirm'],
    ['Yes.', 'yes'],
    ['yeah that works', 'yes'],
    ['the second one please', 'second'],
    ['No, neither of those', 'no'],
    ['Thursday at noon', 'time_only'],
    ['banana', 'unknown'],
    ['', 'unknown'],
  ])('%j → %s', (words, intent) => {
    expect(classifyUtterance(words, NOW, NY)).toBe(intent);
  });
});

describe('parseAskedTime', () => {
  it('reads "tomorrow at 3 pm" in the practice\'s zone', () => {
    expect(parseAskedTime('book an appointment tomorrow at 3 pm', NOW, NY)).toEqual({ at: new Date('2026-12-02T20:00:00Z'), hourKnown: true });
  });

  it('says when only a day was given', () => {
    expect(parseAskedTime('next Tuesday', NOW, NY)?.hourKnown).toBe(false);
  });

  it('uses the asked day\'s own offset across a daylight-saving change', () => {
    const march = new Date('2026-03-07T17:00:00Z'); // Saturday, EST; DST starts Sunday March 8
    expect(parseAskedTime('Monday at 9 am', march, NY)?.at).toEqual(new Date('2026-03-09T13:00:00Z'));
  });

  it('finds nothing in words without a date', () => {
    expect(parseAskedTime('I would like to talk to someone', NOW, NY)).toBeNull();
  });
});

describe('speaking and zones', () => {
  it('says a slot in the practice\'s zone', () => {
    expect(speakTime('2026-12-02T20:00:00Z', NY)).toBe('Wednesday, December 2 at 3:00 PM');
  });

  it('knows New York\'s offsets in winter and summer, and UTC\'s', () => {
    expect(zoneOffsetMinutes(NY, NOW)).toBe(-300);
    expect(zoneOffsetMinutes(NY, new Date('2026-07-01T12:00:00Z'))).toBe(-240);
    expect(zoneOffsetMinutes('UTC', NOW)).toBe(0);
  });
});
