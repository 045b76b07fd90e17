import { canonicalJson, contractHash, keyForEnvelope, newRunId, parseEnvelope, validateOutput, type Envelope } from '@revos/envelope';
import { describe, expect, it } from 'vitest';
import { emptyAudit, inputsHashOf, OutputBuilder, validateWorkflowParts } from './output.js';

function envelope(payload: Record<string, unknown>, context?: Envelope['context']): Envelope {
  const runId = newRunId();
  const meta = {
    workflow_name: 'WF30_Send_SMS',
    workflow_version: '1.0.0',
    workflow_run_id: runId,
    root_run_id: runId,
    idempotency_key: keyForEnvelope({ tenant_id: 't_demo', workflow_name: 'WF30_Send_SMS', trigger_id: 'trg_1', payload }),
    trigger_source: 'ui',
    trigger_id: 'trg_1',
    timestamp_utc: '2026-02-03T21:17:00Z',
    tenant_id: 't_demo',
    environment: 'staging',
    privacy_mode: 'standard',
    correlation_id: 'corr_1',
  };
  // Parsed, so the outputs below are built from an envelope a worker would accept.
  return parseEnvelope({ meta, subject: { patient_id: 'p_1' }, payload, ...(context ? { context } : {}) });
}

const builder = (e: Envelope) =>
  new OutputBuilder({ meta: e.meta, startedAt: new Date('2026-02-03T21:17:01Z'), clockStart: new Date('2026-02-03T21:17:00Z'), audit: emptyAudit(), inputsHash: () => inputsHashOf(e) });

describe('inputsHashOf', () => {
  it('is the contract hash of the run inputs, whether or not the payload JSON is handed over', () => {
    const cases = [
      envelope({ to: '+15551230001', body: 'hé "quoted" ✓', nested: { b: [1, 2.5, null], a: true } }),
      envelope({ z: 1, a: { y: 'x' } }, { tenant_ruleset_json: { r: 1 }, feature_flags: {} } as Envelope['context']),
      envelope({}),
    ];
    for (const e of cases) {
      const expected = contractHash({
        workflow_name: e.meta.workflow_name,
        workflow_version: e.meta.workflow_version,
        tenant_id: e.meta.tenant_id,
        subject: e.subject,
        payload: e.payload,
        context: e.context ?? null,
      });
      expect(inputsHashOf(e)).toBe(expected);
      expect(inputsHashOf(e, canonicalJson(e.payload))).toBe(expected);
    }
  });
});

describe('OutputBuilder', () => {
  it('builds a contract-valid success without failure fields', () => {
    const out = builder(envelope({ a: 1 })).build(
      { status: 'ok', summary: 'sent', primaryOutputs: { sid: 'SM1' }, nextActions: [] },
      { endedAt: new Date('2026-02-03T21:17:02Z'), retryCount: 0, latencyBreach: false },
    );
    expect(validateOutput(out).ok).toBe(true);
    expect(out.meta_out).toMatchObject({ success: true, failure_code: null, failure_stage: null, failure_reason: null, latency_ms: 2000 });
  });

  it('builds a contract-valid failure that names its code, stage and reason', () => {
    const out = builder(envelope({ a: 1 })).build(
      { status: 'blocked', summary: '', primaryOutputs: {}, nextActions: [], failure: { code: 'consent_denied', stage: 'consent_check', reason: 'no consent' } },
      { endedAt: new Date('2026-02-03T21:17:02Z'), retryCount: 1, latencyBreach: true },
    );
    expect(validateOutput(out).ok).toBe(true);
    expect(out.meta_out).toMatchObject({ success: false, failure_code: 'consent_denied', failure_stage: 'consent_check', retry_count: 1, latency_breach: true });
    expect(out.result.summary).toBe('blocked');
  });
});

describe('validateWorkflowParts', () => {
  const audit = { data_written: [], phi_touched: false, disclaimer_used: false };

  it('names the field and rule of what the workflow got wrong, at its place in the output', () => {
    const checked = validateWorkflowParts({
      result: {
        primary_outputs: { when: new Date() },
        next_actions: [{ action: 'CALL_WORKFLOW', workflow: 'not a workflow', payload: {}, priority: 'normal', run_after_utc: null }],
      },
      audit,
    });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.issues.map((i) => `${i.path}: ${i.rule}`)).toEqual(['result.primary_outputs.when: type:json', 'result.next_actions.0.workflow: pattern:workflow']);
  });

  it('accepts what a workflow may return', () => {
    const checked = validateWorkflowParts({
      result: { primary_outputs: { sid: 'SM1' }, next_actions: [{ action: 'CALL_WORKFLOW', workflow: 'WF21_Escalate_To_Staff', payload: { a: 1 }, priority: 'high', run_after_utc: null }] },
      audit: { ...audit, data_written: [{ table: 'tasks', record_id: 'task_1' }] },
    });
    expect(checked.ok).toBe(true);
  });
});
