import { keyForEnvelope, toJobId } from '@revos/envelope';
import { describe, expect, it } from 'vitest';
import { jobIdFromOnceDecoded, storedJobId } from './board-job-ids.js';

// Trigger ids as they come: ids with colons, URL-ish text, escapes that are not ours, non-ASCII.
const TRIGGERS = ['call:CA1:leg:2', 'ui:café/b?c#d e%41:x', '50%off', '%', '%%3A%25', 'a+b&c=d;e,f$g@h', 'ü€😀', 'x%2Fy'];
const jobIds = TRIGGERS.map((trigger_id) => toJobId(keyForEnvelope({ tenant_id: 't_demo', workflow_name: 'WF11_Log_Event', trigger_id, payload: {} })));

// What Bull Board 9.10's UI does with a job id: links `encodeURIComponent(id)`; its router decodes the
// path (history's decodeURI) and then the id (decodeURIComponent); its API calls encode that again.
const linkSegment = (id: string) => encodeURIComponent(id);
const addressBar = (id: string) => new URL(`http://x/${decodeURI(linkSegment(id))}`).pathname.slice(1);
const uiJobId = (segment: string) => decodeURIComponent(decodeURI(segment));

describe('board job ids', () => {
  it.each(jobIds)('the id the UI sends about %s is read as that job', (id) => {
    expect(storedJobId(uiJobId(linkSegment(id)))).toBe(id);
  });

  it.each(jobIds)('the address bar of %s leads back to the board\'s own link', (id) => {
    expect(jobIdFromOnceDecoded(addressBar(id))).toBe(id);
  });

  it('passes every id that is not an idempotency key unchanged: stored ids, BullMQ scheduler ids, strangers', () => {
    for (const id of [...jobIds, 'repeat:nightly:1700000000000', '42', 'idem:not-a-key', 'no-such-job']) expect(storedJobId(id)).toBe(id);
  });

  it('leaves a path it cannot decode to the board', () => {
    expect(jobIdFromOnceDecoded('idem%3A%E0%A4%A')).toBeNull();
  });
});
