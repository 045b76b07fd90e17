import { describe, expect, it } from 'vitest';
import { maskDestination } from './mask-destination.js';

describe('maskDestination', () => {
  it('keeps the plus and the last four digits of a phone number', () => {
    expect(maskDestination('+15551230001')).toBe('+*******0001');
    expect(maskDestination('5551230001')).toBe('******0001');
  });

  it('never shows more than the last four digits of anything else', () => {
    expect(maskDestination('Ada Lovelace')).toBe('[12 characters]');
    expect(maskDestination('+1555')).toBe('[5 characters]');
  });

  it('is null when there is no destination', () => {
    expect(maskDestination(undefined)).toBeNull();
    expect(maskDestination('')).toBeNull();
  });
});
