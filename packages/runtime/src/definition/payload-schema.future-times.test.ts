import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineManifest } from './manifest.js';
import { payloadIssuesFor } from './payload-schema.js';

const manifest = defineManifest({
  name: 'WF97_Book_Later',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ slot_start: z.iso.datetime({ offset: true }), note: z.string().optional() }).strict(),
  futureTimes: ['slot_start'],
});
const now = new Date('2026-12-06T12:00:00Z');

describe('futureTimes at intake', () => {
  it('refuses a time that has passed by the moment of the check, naming the field and the rule', () => {
    expect(payloadIssuesFor(manifest, { slot_start: '2026-12-06T11:55:00Z' }, now)).toEqual([
      { path: 'payload.slot_start', rule: 'in_the_past', message: 'payload.slot_start has passed: it must be after the time of the request (2026-12-06T12:00:00.000Z)' },
    ]);
    expect(payloadIssuesFor(manifest, { slot_start: '2026-12-06T12:00:00Z' }, now)).toHaveLength(1);
    expect(payloadIssuesFor(manifest, { slot_start: '1999-01-01T00:00:00Z' }, now)[0]?.rule).toBe('in_the_past');
  });

  it('accepts a time still ahead', () => {
    expect(payloadIssuesFor(manifest, { slot_start: '2026-12-06T12:00:01Z' }, now)).toEqual([]);
  });

  it('lists it with the schema\'s other issues, and does not name a field the schema already faulted', () => {
    expect(payloadIssuesFor(manifest, { slot_start: '2026-12-01T00:00:00Z', extra: 1 }, now).map((i) => `${i.path} ${i.rule}`)).toEqual([
      'payload.extra unknown_key',
      'payload.slot_start in_the_past',
    ]);
    expect(payloadIssuesFor(manifest, { slot_start: 'yesterday' }, now).map((i) => `${i.path} ${i.rule}`)).toEqual(['payload.slot_start format:datetime']);
  });

  it('a manifest naming a field its payload lacks stops at load time', () => {
    expect(() =>
      defineManifest({ name: 'WF96_Typo', version: '1.0.0', lane: 'batch', payload: z.object({ slot_start: z.string() }), futureTimes: ['slot_strat'] }),
    ).toThrow(/futureTimes names slot_strat, which its payload does not have/);
  });
});
