import { describe, expect, it } from 'vitest';
import { budgetFor, fallbackAction, measureLatency, runClockStart } from './latency.js';

const pickup = new Date('2026-12-01T12:00:10.000Z');

describe('runClockStart', () => {
  it('starts at intake\'s arrival stamp, not at the pickup', () => {
    expect(runClockStart({ accepted_at_utc: '2026-12-01T12:00:07.500Z' }, { enqueuedAtMs: Date.parse('2026-12-01T12:00:07.600Z') }, pickup)).toEqual(new Date('2026-12-01T12:00:07.500Z'));
  });

  it('starts a scheduled run when it was due, not when it was accepted', () => {
    const accepted = Date.parse('2026-12-01T11:00:00.000Z');
    expect(runClockStart({ accepted_at_utc: new Date(accepted).toISOString() }, { enqueuedAtMs: accepted + 5, scheduledDelayMs: 3_600_000 }, new Date(accepted + 3_600_200))).toEqual(
      new Date(accepted + 3_600_005),
    );
  });

  it('starts a deferred run (quiet hours, pacing) when its deferral made it due', () => {
    const accepted = Date.parse('2026-12-01T02:00:00.000Z');
    const due = Date.parse('2026-12-01T13:00:00.000Z');
    expect(runClockStart({ accepted_at_utc: new Date(accepted).toISOString() }, { enqueuedAtMs: accepted + 5, deferredUntilMs: due }, new Date(due + 40))).toEqual(new Date(due));
  });

  it('falls back to the enqueue time, then the pickup, without an arrival stamp', () => {
    expect(runClockStart({}, { enqueuedAtMs: Date.parse('2026-12-01T12:00:09.000Z') }, pickup)).toEqual(new Date('2026-12-01T12:00:09.000Z'));
    expect(runClockStart({}, {}, pickup)).toEqual(pickup);
  });

  it('never starts after the pickup (a producer clock ahead of the worker\'s)', () => {
    expect(runClockStart({ accepted_at_utc: '2026-12-01T12:00:11.000Z' }, {}, pickup)).toEqual(pickup);
  });
});

describe('measureLatency and budgetFor', () => {
  it('breaches only past the budget, and never without one', () => {
    const start = new Date(0);
    expect(measureLatency(start, new Date(2_500), 2_500)).toEqual({ latencyMs: 2_500, breach: false });
    expect(measureLatency(start, new Date(2_501), 2_500)).toEqual({ latencyMs: 2_501, breach: true });
    expect(measureLatency(start, new Date(99_999), null)).toEqual({ latencyMs: 99_999, breach: false });
  });

  it('holds voice-channel runs to the tenant\'s voice_budget_ms when it is a positive integer', () => {
    expect(budgetFor('voice', 2_500, { voice_budget_ms: 1_800 })).toBe(1_800);
    expect(budgetFor('voice', 2_500, { voice_budget_ms: '1800' })).toBe(2_500);
    expect(budgetFor('voice', 2_500, { voice_budget_ms: -1 })).toBe(2_500);
    expect(budgetFor('sms', 8_000, { voice_budget_ms: 1_800 })).toBe(8_000);
    expect(budgetFor('voice', 2_500, null)).toBe(2_500);
  });
});

describe('fallbackAction', () => {
  const base = { payload: { call_sid: 'CA0123' }, sourceRunId: 'wr_1', sourceWorkflow: 'WF17_RealTime_Voice_Orchestrator', latencyMs: 10, budgetMs: 2_500 };

  it('hands a breached or failed real-time run to WF71 with its call', () => {
    expect(fallbackAction({ ...base, channel: 'voice', breach: true, failureCode: null })?.payload).toMatchObject({ call_sid: 'CA0123', reason: 'latency_breach' });
    expect(fallbackAction({ ...base, channel: 'voice', breach: false, failureCode: 'timeout' })).toMatchObject({ workflow: 'WF71_RealTime_Fallback', priority: 'high', payload: { reason: 'failed:timeout' } });
  });

  it('gives none to a real-time run in time, nor to other channels', () => {
    expect(fallbackAction({ ...base, channel: 'voice', breach: false, failureCode: null })).toBeNull();
    expect(fallbackAction({ ...base, channel: 'sms', breach: true, failureCode: 'timeout' })).toBeNull();
  });

  it('leaves the call out when the payload names none', () => {
    expect(fallbackAction({ ...base, payload: {}, channel: 'voice', breach: true, failureCode: null })?.payload).not.toHaveProperty('call_sid');
  });
});
