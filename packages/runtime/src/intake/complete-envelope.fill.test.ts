import { parseIdempotencyKey, validateEnvelope } from '@revos/envelope';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { completeEnvelope } from './complete-envelope.js';
import { IntakeRefused } from './intake-refusal.js';
import { defineWorkflow, WorkflowCatalog } from '../definition/define-workflow.js';

const catalog = new WorkflowCatalog([
  defineWorkflow({ name: 'WF11_Log_Event', version: '1.0.0', lane: 'batch', payload: z.object({}), run: async () => ({ summary: 'x' }) }),
  defineWorkflow({ name: 'WF11_Log_Event', version: '1.2.0', lane: 'batch', payload: z.object({}), run: async () => ({ summary: 'x' }) }),
]);
const partial = () => ({
  meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: 'call:CA1:leg:2', environment: 'staging', privacy_mode: 'standard' },
  subject: {},
  payload: { a: 1 },
});

describe('completeEnvelope', () => {
  it('fills ids, root = self, timestamp, newest version, tenant and the convention key', () => {
    const e = completeEnvelope(partial(), 't_acme', catalog).envelope;
    expect(validateEnvelope(e).ok).toBe(true);
    expect(e.meta.root_run_id).toBe(e.meta.workflow_run_id);
    expect(e.meta.workflow_version).toBe('1.2.0');
    expect(e.meta.tenant_id).toBe('t_acme');
    expect(parseIdempotencyKey(e.meta.idempotency_key)).toMatchObject({ tenant_id: 't_acme', trigger_id: 'call:CA1:leg:2' });
  });

  it('refuses another tenant in the body (403) and an unknown workflow (404)', () => {
    const other = partial();
    (other.meta as Record<string, unknown>).tenant_id = 't_other';
    expect(() => completeEnvelope(other, 't_acme', catalog)).toThrow(expect.objectContaining({ code: 'tenant_mismatch' }));
    const unknown = partial();
    unknown.meta.workflow_name = 'WF99_Nope';
    expect(() => completeEnvelope({ ...unknown, meta: { ...unknown.meta, workflow_version: '1.0.0' } }, 't_acme', catalog)).toThrow(IntakeRefused);
  });

  it('refuses a caller key made for another payload (409)', () => {
    const e = completeEnvelope(partial(), 't_acme', catalog).envelope;
    const tampered = { ...partial(), payload: { a: 2 }, meta: { ...partial().meta, idempotency_key: e.meta.idempotency_key } };
    expect(() => completeEnvelope(tampered, 't_acme', catalog)).toThrow(expect.objectContaining({ code: 'idempotency_conflict' }));
  });

  it('leaves an explicit null for the schema to name, instead of filling it', () => {
    const body = partial();
    (body.meta as Record<string, unknown>).workflow_run_id = null;
    (body.meta as Record<string, unknown>).timestamp_utc = null;
    const result = validateEnvelope(completeEnvelope(body, 't_acme', catalog).envelope);
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['meta.workflow_run_id', 'meta.timestamp_utc']));
  });
});
