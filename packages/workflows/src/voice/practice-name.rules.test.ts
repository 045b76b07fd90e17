import { describe, expect, it } from 'vitest';
import { farewell, greeting, practiceName, PracticeName, practiceText, signedText } from './practice-name.js';

describe('practice_name', () => {
  it('takes 1–80 characters without control characters; anything else reads as no name', () => {
    expect(practiceName({ practice_name: 'Sunrise Dental' })).toBe('Sunrise Dental');
    expect(practiceName({ practice_name: ' Sunrise Dental ' })).toBe('Sunrise Dental');
    expect(practiceName({ practice_name: 'x'.repeat(80) })).toBe('x'.repeat(80));
    for (const bad of ['', '   ', 'x'.repeat(81), 'Sunrise\nDental', 'Sunrise\u0007', 42, null]) expect(practiceName({ practice_name: bad })).toBeNull();
    expect(practiceName({})).toBeNull();
    expect(PracticeName.safeParse('Tab\tName').error?.issues[0]?.message).toBe('no control characters');
  });
});

describe('signedText', () => {
  it('signs our sentences with the practice name, or "Your care team" without one', () => {
    expect(signedText('Your appointment is booked.', { practice_name: 'Sunrise Dental' })).toBe('Sunrise Dental: Your appointment is booked.');
    expect(signedText('Your appointment is booked.', {})).toBe('Your care team: Your appointment is booked.');
  });

  it('fills {practice} instead of signing twice', () => {
    expect(signedText('{practice}: help is here.', { practice_name: 'dr. Ames' })).toBe('dr. Ames: help is here.');
    expect(signedText('{practice}: help is here.', {})).toBe('Your care team: help is here.');
    expect(signedText('Texts from {practice}.', {})).toBe('Texts from your care team.');
  });
});

describe('practiceText', () => {
  it('sends the practice its own words as written, with {practice} filled in', () => {
    expect(practiceText('See you soon', { practice_name: 'Sunrise Dental' })).toBe('See you soon');
    expect(practiceText('{practice} will see you soon', { practice_name: 'Sunrise Dental' })).toBe('Sunrise Dental will see you soon');
    expect(practiceText('{practice} will see you soon', {})).toBe('your care team will see you soon');
  });
});

describe('calls', () => {
  it('greet and end with the practice name when there is one', () => {
    expect(greeting({ practice_name: 'Sunrise Dental' })).toMatch(/^Thank you for calling Sunrise Dental\. You can book/);
    expect(greeting({})).toMatch(/^Thank you for calling\. You can book/);
    expect(farewell({ practice_name: 'Sunrise Dental' })).toBe('Thank you for calling Sunrise Dental. Goodbye.');
    expect(farewell({ practice_name: 't\u0000' })).toBe('Thank you for calling. Goodbye.');
  });
});
