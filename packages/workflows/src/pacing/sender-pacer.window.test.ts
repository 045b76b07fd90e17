import { defaultSmsMps } from '@revos/envelope';
import { describe, expect, it } from 'vitest';
import { windowFor } from './sender-pacer.js';

describe('windowFor', () => {
  it('whole-second windows: r texts a second at r ≥ 1 (a fraction rounds down), one per ⌈1/r⌉ s below 1', () => {
    expect(windowFor(1)).toEqual({ points: 1, durationS: 1 });
    expect(windowFor(3)).toEqual({ points: 3, durationS: 1 });
    expect(windowFor(2.5)).toEqual({ points: 2, durationS: 1 });
    expect(windowFor(0.25)).toEqual({ points: 1, durationS: 4 });
    expect(windowFor(0.3)).toEqual({ points: 1, durationS: 4 });
  });
});

describe('defaultSmsMps', () => {
  it("by number type, Twilio's published rates: short code 100, US toll-free 3, any other number 1", () => {
    expect(defaultSmsMps('12345')).toBe(100);
    expect(defaultSmsMps('+18885550100')).toBe(3);
    expect(defaultSmsMps('+18335550100')).toBe(3);
    expect(defaultSmsMps('+15550001111')).toBe(1);
    expect(defaultSmsMps('+442071838750')).toBe(1);
  });
});
