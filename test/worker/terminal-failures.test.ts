import { upsertTenant, setConsent } from '@revos/db';
import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, makeEnvelope, startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';

const badOutput = defineWorkflow({
  name: 'WF91_Test_Bad_Output',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({}),
  async run() {
    return { summary: 'points at a workflow name that breaks the naming rule', next_actions: [{ workflow: 'not-a-workflow', payload: {} }] };
  },
});
const buggy = defineWorkflow({
  name: 'WF92_Test_Bug',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({}),
  async run() {
    throw new TypeError('cannot read properties of undefined');
  },
});
const policy = defineWorkflow({
  name: 'WF93_Test_Policy',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({}),
  async run() {
    throw new WorkflowError('policy_violation', 'after-hours booking is not allowed for this practice');
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'], extraWorkflows: [badOutput, buggy, policy] });
  await allowSms(h.db, 'p_cy');
  await setConsent(h.db.sql, { tenantId: 't_test_practice', subjectId: 'p_optout', channel: 'sms', status: 'deny' });
  await upsertTenant(h.db.sql, { tenantId: 't_no_sms_config', name: 'No SMS sender', config: {} });
  await upsertTenant(h.db.sql, { tenantId: 't_voice_only', name: 'Voice only', config: TENANT_CONFIG, entitlements: { workflows: ['WF17_RealTime_Voice_Orchestrator'] } });
  await setConsent(h.db.sql, { tenantId: 't_no_sms_config', subjectId: 'p_cy', channel: 'sms', status: 'allow' });
});
afterAll(async () => {
  await h?.close();
});

const sms = { to: '+15551230009', body: 'hi' };

async function jobOf(h: Harness, runId: string) {
  const jobs = await h.queues.interactive.getJobs(['failed', 'completed']);
  return jobs.find((j) => (j.data as { meta?: { workflow_run_id?: string } }).meta?.workflow_run_id === runId);
}

async function tasksOf(h: Harness, runId: string) {
  return h.db.sql<{ kind: string; failure_code: string; status: string }[]>`
    select kind, failure_code, status from tasks where workflow_run_id = ${runId}`;
}

async function escalationActions(h: Harness, runId: string) {
  return h.db.sql<{ workflow: string; priority: string }[]>`select workflow, priority from outbox where parent_run_id = ${runId}`;
}

describe('terminal failures', () => {
  it.each([
    {
      name: 'invalid payload',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: { to: 'not-a-number', body: 'x' }, subject: { patient_id: 'p_cy' } }),
      status: 'failed', code: 'invalid_input', stage: 'validate_envelope', escalated: true,
    },
    {
      name: 'unknown workflow',
      envelope: () => makeEnvelope({ workflow: 'WF99_Not_Registered', payload: {} }),
      status: 'failed', code: 'unknown_workflow', stage: 'validate_envelope', escalated: true,
    },
    {
      name: 'tenant config missing (no SMS sender)',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_cy' }, tenantId: 't_no_sms_config' }),
      status: 'failed', code: 'config_missing', stage: 'load_tenant_entitlements', escalated: true,
    },
    {
      name: 'tenant not configured at all',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_cy' }, tenantId: 't_nobody' }),
      status: 'failed', code: 'config_missing', stage: 'load_tenant_entitlements', escalated: true,
    },
    {
      name: 'tenant not entitled to the workflow',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_cy' }, tenantId: 't_voice_only' }),
      status: 'blocked', code: 'policy_violation', stage: 'load_tenant_entitlements', escalated: true,
    },
    {
      name: 'consent denied (opted out)',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_optout' } }),
      status: 'blocked', code: 'consent_denied', stage: 'consent_check', escalated: false,
    },
    {
      name: 'consent never recorded',
      envelope: () => makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_unknown' } }),
      status: 'blocked', code: 'consent_denied', stage: 'consent_check', escalated: false,
    },
    {
      name: 'policy violation raised by core logic',
      envelope: () => makeEnvelope({ workflow: 'WF93_Test_Policy', payload: {} }),
      status: 'blocked', code: 'policy_violation', stage: 'core_logic', escalated: true,
    },
    {
      name: 'workflow returns an output that breaks the contract',
      envelope: () => makeEnvelope({ workflow: 'WF91_Test_Bad_Output', payload: {} }),
      status: 'failed', code: 'invalid_output', stage: 'build_standard_output', escalated: true,
    },
    {
      name: 'bug in workflow code',
      envelope: () => makeEnvelope({ workflow: 'WF92_Test_Bug', payload: {} }),
      status: 'failed', code: 'internal_error', stage: 'core_logic', escalated: true,
    },
  ])('$name → $status/$code, no retry', async ({ envelope: build, status, code, stage, escalated }) => {
    const envelope = build();
    // Today's intake refuses unknown workflows and bad payloads, so accept the run as a stale producer would
    // have (a deploy skew), then add its job raw: the worker runs only what intake accepted.
    await h.accept(envelope, 'interactive');
    await h.queues.interactive.add(envelope.meta.workflow_name, envelope, { jobId: `t-${envelope.meta.workflow_run_id}`, attempts: 5, backoff: { type: 'revos' } });
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run.status).toBe(status);
    expect(run.failure_code).toBe(code);
    expect(run.output?.meta_out.failure_stage).toBe(stage);
    expect(run.output?.meta_out.failure_reason).toBeTruthy();
    const job = await jobOf(h, envelope.meta.workflow_run_id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(new RegExp(`^${code}:`));

    const tasks = await tasksOf(h, envelope.meta.workflow_run_id);
    const actions = await escalationActions(h, envelope.meta.workflow_run_id);
    if (escalated) {
      expect(tasks).toEqual([{ kind: 'escalation', failure_code: code, status: 'open' }]);
      expect(actions).toEqual([{ workflow: 'WF21_Escalate_To_Staff', priority: 'high' }]);
    } else {
      expect(tasks).toEqual([]);
      expect(actions).toEqual([]);
    }
    expect(h.vendor.requests.filter((r) => r.form?.To === sms.to)).toHaveLength(0);
  });

  it('names the payload field and rule a workflow schema rejects, unknown keys included', async () => {
    const envelope = makeEnvelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'note.added', direction: 'sideways', unexpected: true } });
    await h.accept(envelope, 'interactive');
    await h.queues.interactive.add('WF11_Log_Event', envelope, { jobId: `t-${envelope.meta.workflow_run_id}`, attempts: 3 });
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run.failure_code).toBe('invalid_input');
    const issues = (run.output?.result.primary_outputs as { issues: { path: string; rule: string }[] }).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'payload.direction', rule: 'invalid_enum' }),
        expect.objectContaining({ path: 'payload.unexpected', rule: 'unknown_key' }),
      ]),
    );
  });

  it('rejects an envelope without a sound meta: failed job, an alert naming the fields, no run row', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms });
    const broken = { ...envelope, meta: { ...envelope.meta, tenant_id: undefined, privacy_mode: 'loose' } };
    await h.queues.interactive.add('WF30_Send_SMS', broken, { jobId: 'broken-meta', attempts: 5 });
    let alert: { details: { issues: { path: string; rule: string }[] } } | undefined;
    for (let i = 0; i < 200 && !alert; i++) {
      [alert] = await h.db.sql<{ details: { issues: { path: string; rule: string }[] } }[]>`
        select details from alerts where kind = 'invalid_envelope' and dedupe_key = 'invalid_envelope:broken-meta'`;
      if (!alert) await new Promise((r) => setTimeout(r, 25));
    }
    expect(alert?.details.issues).toEqual(
      expect.arrayContaining([
        { path: 'meta.tenant_id', rule: 'required' },
        { path: 'meta.privacy_mode', rule: 'invalid_enum' },
      ]),
    );
    const job = await h.queues.interactive.getJob('broken-meta');
    await expect.poll(() => job?.isFailed()).toBe(true);
    const rows = await h.db.sql`select 1 from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(rows).toHaveLength(0);
  });

  it('keeps serving: a good run after all of the above completes', async () => {
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551230010', body: 'still alive' }, subject: { patient_id: 'p_cy' } });
    await h.enqueue(envelope);
    expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
  });

  it('a duplicate of a terminally failed key is a noop naming the failed run', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms, subject: { patient_id: 'p_optout' } });
    await h.enqueue(envelope);
    await h.waitForRun(envelope.meta.workflow_run_id);
    // Retention pruned the run's acceptance while the ledger keeps its key: the same trigger, submitted
    // again, is accepted as a new run, and the ledger answers it.
    await h.db.sql`delete from accepted_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    const copyId = `wr_DUP${envelope.meta.workflow_run_id.slice(3)}`;
    const resubmitted = { ...envelope, meta: { ...envelope.meta, workflow_run_id: copyId, root_run_id: copyId } };
    await h.accept(resubmitted, 'interactive');
    await h.queues.interactive.add('WF30_Send_SMS', resubmitted, { jobId: `dup-${copyId}`, attempts: 3 });
    const copy = await h.waitForRun(copyId);
    expect(copy.status).toBe('noop');
    expect(copy.output?.result.primary_outputs).toMatchObject({ prior_run_id: envelope.meta.workflow_run_id, prior_status: 'blocked' });
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
