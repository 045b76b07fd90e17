/**
 * WF07_Change_Policy through the API (PUT /v1/policy) and the CLI (revos policy set): a change is one
 * run, one version bump and one `policy.changed` event naming who changed what from which version to
 * which; a bad ruleset is refused naming the field; a stale version is refused. Runs accepted after a
 * change carry the new version (and deciding workflows decide by, and record, it); runs before, the old.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeTenantPolicy, issueApiKey, setConsent, type Db } from '@revos/db';
import { operatorRunDetail, operatorRunTree, renderRunPage, twilioSignature } from '@revos/producer';
import { CronSchedules, dispatchPending, startCronProducer, submitRun } from '@revos/runtime';
import { Redis } from 'ioredis';
import { createStripePaymentProvider, WF07_Change_Policy, WF60_Collect_Payment } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, startHarness, TENANT, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

let h: Harness;
let p: TestProducer;
let stripe: StripeStandin;
let apiKey: string;
/** The key's public id: a policy change over the API is recorded as by `api:<key id>`. */
let apiKeyId: string;
let dir: string;
const TWILIO_TOKEN = 'test-twilio-token';
/** Runs the explorer checks at the end look at. */
const seen: { policyRun?: string; paymentRun?: string } = {};

beforeAll(async () => {
  stripe = await startStripeStandin();
  const payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 2_000 });
  // WF07 writes through the harness's own database, which exists only once the harness has started.
  const records = { get sql() { return h.db.sql; } } as unknown as Db;
  h = await startHarness({ extraWorkflows: [WF07_Change_Policy(records), WF60_Collect_Payment(payments)] });
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
  ({ api_key: apiKey, key_id: apiKeyId } = await issueApiKey(h.db.sql, TENANT, 'policy-test'));
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_payer', channel: 'payment', status: 'allow', source: 'test' });
  dir = await mkdtemp(join(tmpdir(), 'revos-policy-'));
});
afterAll(async () => {
  await p?.close();
  await h?.close();
  await stripe?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function api(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function tenantRow() {
  const [row] = await h.db.sql<{ ruleset: unknown; feature_flags: unknown; policy_version: string | null; feature_flags_version: string | null }[]>`
    select ruleset, feature_flags, policy_version, feature_flags_version from tenants where tenant_id = ${TENANT}`;
  return row!;
}

const policyEvents = () => h.db.sql<{ payload: Record<string, unknown> }[]>`
  select payload from events where tenant_id = ${TENANT} and event_type = 'policy.changed' order by occurred_at`;

async function collect(amount: number) {
  const res = await api('POST', '/v1/runs', {
    meta: { workflow_name: 'WF60_Collect_Payment', trigger_source: 'ui', trigger_id: `inv_${amount}_${Date.now()}`, environment: 'staging', privacy_mode: 'standard' },
    subject: { patient_id: 'p_payer' },
    payload: { amount_minor: amount, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'balance' },
  });
  expect(res.status).toBe(202);
  return h.waitForRun(res.body['workflow_run_id'] as string);
}

async function storedMeta(runId: string) {
  const [row] = await h.db.sql<{ envelope: { meta: Record<string, unknown>; context?: Record<string, unknown> } }[]>`
    select run_envelope(workflow_runs) as envelope from workflow_runs where workflow_run_id = ${runId}`;
  return row!.envelope;
}

describe('changing the ruleset through the API', () => {
  let firstVersion: string;

  it('a run accepted before any change carries no policy version', async () => {
    const run = await collect(700);
    expect(run.status).toBe('ok');
    expect((await storedMeta(run.workflow_run_id)).meta).not.toHaveProperty('policy_version');
    expect(run.output?.result.primary_outputs['policy_used']).toEqual({ policy_version: null, feature_flags_version: null });
  });

  it('is one run, one version bump and one event naming who, from and to', async () => {
    const res = await api('PUT', '/v1/policy', { ruleset: { payments: { max_amount_minor: 1000, currencies: ['usd'] } }, reason: 'cap card-on-file charges', changed_by: 'u_office_manager' });
    expect(res.status).toBe(202);
    const run = await h.waitForRun(res.body['workflow_run_id'] as string);
    expect(run.status).toBe('ok');
    seen.policyRun = run.workflow_run_id;
    const row = await tenantRow();
    expect(row.ruleset).toEqual({ payments: { max_amount_minor: 1000, currencies: ['usd'] } });
    expect(row.policy_version).toMatch(/^pol_[0-9A-Z]{26}$/);
    firstVersion = row.policy_version!;
    expect(await policyEvents()).toEqual([
      // Who asked is the key; the body's changed_by is the caller's label for its user, kept beside it.
      { payload: { target: 'ruleset', from_version: null, to_version: firstVersion, changed_by: `api:${apiKeyId}`, changed_by_label: 'u_office_manager', reason: 'cap card-on-file charges' } },
    ]);
    const current = await api('GET', '/v1/policy');
    expect(current.body).toMatchObject({ policy_version: firstVersion, ruleset: { payments: { max_amount_minor: 1000 } } });
  });

  it('sending the same ruleset again changes nothing: no bump, no second event', async () => {
    const res = await api('PUT', '/v1/policy', { ruleset: { payments: { currencies: ['usd'], max_amount_minor: 1000 } } });
    expect(res.status).toBe(202);
    const run = await h.waitForRun(res.body['workflow_run_id'] as string);
    expect(run.output?.result.primary_outputs).toMatchObject({ changed: false, version: firstVersion });
    expect((await tenantRow()).policy_version).toBe(firstVersion);
    expect(await policyEvents()).toHaveLength(1);
  });

  it('a run accepted after the change carries the new version and decides by the new ruleset', async () => {
    const allowed = await collect(900);
    expect(allowed.status).toBe('ok');
    seen.paymentRun = allowed.workflow_run_id;
    const envelope = await storedMeta(allowed.workflow_run_id);
    expect(envelope.meta['policy_version']).toBe(firstVersion);
    expect(envelope.context?.['tenant_ruleset_json']).toEqual({ payments: { max_amount_minor: 1000, currencies: ['usd'] } });
    expect(allowed.output?.result.primary_outputs['policy_used']).toMatchObject({ policy_version: firstVersion });

    const charges = stripe.charges().length;
    const over = await collect(2500);
    expect(over).toMatchObject({ status: 'blocked', failure_code: 'policy_violation' });
    expect(over.output?.meta_out.failure_reason).toContain('payload.amount_minor');
    expect(over.output?.result.primary_outputs['policy_used']).toMatchObject({ policy_version: firstVersion });
    expect(stripe.charges()).toHaveLength(charges);

    // The dispatcher's follow-up (the escalation of that block) is stamped with the current version too.
    await dispatchPending({ db: h.db, queues: h.queues, catalog: h.catalog, log: h.deps.log }, { parentRunId: over.workflow_run_id });
    const [child] = await h.db.sql<{ envelope: { meta: Record<string, unknown> } }[]>`
      select run_envelope(workflow_runs) as envelope from workflow_runs where parent_run_id = ${over.workflow_run_id}`;
    expect(child?.envelope.meta).toMatchObject({ workflow_name: 'WF21_Escalate_To_Staff', policy_version: firstVersion });
  });

  it('refuses a ruleset that breaks the schema, naming each field and rule, and runs nothing', async () => {
    const before = (await tenantRow()).policy_version;
    const res = await api('PUT', '/v1/policy', { ruleset: { payments: { max_amount_minor: -5, currencies: ['US Dollar'] }, curfew: {} } });
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('invalid_policy');
    const paths = (res.body['issues'] as { path: string; rule: string }[]).map((i) => i.path).sort();
    expect(paths).toEqual(['ruleset.curfew', 'ruleset.payments.currencies.0', 'ruleset.payments.max_amount_minor']);
    const both = await api('PUT', '/v1/policy', { ruleset: {}, feature_flags: {} });
    expect(both.status).toBe(400);
    expect(both.body['issues']).toEqual([expect.objectContaining({ rule: 'exactly_one:ruleset,feature_flags' })]);
    expect((await tenantRow()).policy_version).toBe(before);
  });

  it('refuses a change made against a stale version with 409', async () => {
    const res = await api('PUT', '/v1/policy', { ruleset: {}, expected_version: 'pol_STALE' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'version_conflict', issues: [expect.objectContaining({ path: 'expected_version' })] });
  });

  it('of two changes made against one version, one lands and the other ends blocked with version_conflict', async () => {
    const from = (await tenantRow()).policy_version;
    const envelopes = [500, 600].map((limit) =>
      h.envelope({ workflow: 'WF07_Change_Policy', payload: { target: 'ruleset', ruleset: { payments: { max_amount_minor: limit } }, from_version: from, changed_by: 'cli:racer' } }),
    );
    await Promise.all(envelopes.map((e) => submitRun({ db: h.db, queues: h.queues, catalog: h.catalog }, e, { source: 'api' })));
    const runs = await Promise.all(envelopes.map((e) => h.waitForRun(e.meta.workflow_run_id)));
    expect(runs.map((r) => r.status).sort()).toEqual(['blocked', 'ok']);
    expect(runs.find((r) => r.status === 'blocked')?.failure_code).toBe('version_conflict');
    const winner = runs.find((r) => r.status === 'ok')!;
    expect((await tenantRow()).policy_version).toBe(winner.output?.result.primary_outputs['to_version']);
    expect(await policyEvents()).toHaveLength(2);
  });

  it('a retried write of a change that already landed writes nothing more (crash before the run recorded it)', async () => {
    const from = (await tenantRow()).policy_version;
    const change = { tenantId: TENANT, target: 'ruleset' as const, value: { payments: { max_amount_minor: 800 } }, fromVersion: from, toVersion: 'pol_RETRIED' };
    expect(await changeTenantPolicy(h.db.sql, change)).toEqual({ kind: 'changed', fromVersion: from, toVersion: 'pol_RETRIED' });
    expect(await changeTenantPolicy(h.db.sql, change)).toEqual({ kind: 'already_applied', toVersion: 'pol_RETRIED' });
    expect(await changeTenantPolicy(h.db.sql, { ...change, toVersion: 'pol_OTHER' })).toEqual({ kind: 'conflict', currentVersion: 'pol_RETRIED' });
  });
});

describe('feature flags', () => {
  it('are changed with their own version, and a bad flag name is refused naming it', async () => {
    const bad = await api('PUT', '/v1/policy', { feature_flags: { 'Bad Flag': true } });
    expect(bad.status).toBe(400);
    expect(bad.body['issues'][0].path).toBe('feature_flags.Bad Flag');
    const policyBefore = (await tenantRow()).policy_version;
    const res = await api('PUT', '/v1/policy', { feature_flags: { sms_reminders_v2: true, reminder_hours: 24 } });
    expect(res.status).toBe(202);
    expect((await h.waitForRun(res.body['workflow_run_id'] as string)).status).toBe('ok');
    const row = await tenantRow();
    expect(row.feature_flags).toEqual({ sms_reminders_v2: true, reminder_hours: 24 });
    expect(row.feature_flags_version).toMatch(/^ff_/);
    expect(row.policy_version).toBe(policyBefore);
  });
});

describe('revos policy', () => {
  function revos(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['apps/producer/bin/revos.mjs', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: h.database.url, QUEUE_PREFIX: h.prefix, REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('set changes the ruleset through a run recorded as the operator; show prints it', async () => {
    const file = join(dir, 'ruleset.json');
    await writeFile(file, JSON.stringify({ payments: { max_amount_minor: 5000 } }));
    const set = await revos('policy', 'set', '--tenant', TENANT, '--ruleset', file, '--operator', 'alice', '--reason', 'raise the cap', '--json');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const accepted = JSON.parse(set.stdout) as { workflow_run_id: string; status: string };
    expect(accepted.status).toBe('queued');
    const run = await h.waitForRun(accepted.workflow_run_id);
    expect(run.status).toBe('ok');
    const [last] = (await policyEvents()).slice(-1);
    expect(last?.payload).toMatchObject({ target: 'ruleset', changed_by: 'cli:alice', reason: 'raise the cap', to_version: (await tenantRow()).policy_version });

    const show = await revos('policy', 'show', '--tenant', TENANT, '--json');
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ tenant_id: TENANT, ruleset: { payments: { max_amount_minor: 5000 } } });
  }, 60_000);

  it('runs show lists a payment and a policy change as side effects, with the policy the run carried', async () => {
    const payment = await revos('runs', 'show', seen.paymentRun!, '--tenant', TENANT);
    expect(payment.code).toBe(0);
    expect(payment.stdout).toMatch(/side effects\n {2}payment succeeded: 900 usd \(pi_[0-9a-f]+\)/);
    expect(payment.stdout).toMatch(/policy: +pol_[0-9A-Z]{26} \/ no flags version/);
    const change = await revos('runs', 'show', seen.policyRun!, '--tenant', TENANT);
    expect(change.stdout).toMatch(new RegExp(`ruleset changed from no version to pol_[0-9A-Z]{26} by api:${apiKeyId} \\(u_office_manager\\)`));
  }, 60_000);

  it('names the problem: both files, a ruleset that breaks the schema', async () => {
    const both = await revos('policy', 'set', '--tenant', TENANT, '--ruleset', 'a.json', '--flags', 'b.json');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --ruleset');
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ payments: { max_amount_minor: 'lots' } }));
    const bad = await revos('policy', 'set', '--tenant', TENANT, '--ruleset', file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ruleset.payments.max_amount_minor');
  }, 60_000);
});

describe('envelopes built by a webhook', () => {
  it('carry the current versions, and the deciding workflow (WF31) records the version it used', async () => {
    const { policy_version: policyVersion, feature_flags_version: flagsVersion } = await tenantRow();
    expect(policyVersion).toMatch(/^pol_/);
    const sid = `SM${'0'.repeat(31)}1`;
    const form = { MessageSid: sid, AccountSid: 'AC_test', From: '+15551230009', To: '+15550000001', Body: 'C', NumMedia: '0' };
    const url = `${p.url}/webhooks/twilio/${TENANT}/sms`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
      body: new URLSearchParams(form).toString(),
    });
    expect(res.status).toBe(200);
    let runId: string | undefined;
    for (let i = 0; i < 400 && !runId; i++) {
      const [row] = await h.db.sql<{ workflow_run_id: string }[]>`select workflow_run_id from workflow_runs where workflow_name = 'WF31_Inbound_SMS' and trigger_id = ${sid}`;
      runId = row?.workflow_run_id;
      if (!runId) await new Promise((r) => setTimeout(r, 25));
    }
    const run = await h.waitForRun(runId!);
    expect(run.status).toBe('ok');
    const envelope = await storedMeta(run.workflow_run_id);
    expect(envelope.meta).toMatchObject({ policy_version: policyVersion, feature_flags_version: flagsVersion });
    expect(envelope.context).toMatchObject({ feature_flags: { sms_reminders_v2: true } });
    expect(run.output?.result.primary_outputs['policy_used']).toEqual({ policy_version: policyVersion, feature_flags_version: flagsVersion });
  });
});

describe('the run explorer page', () => {
  it('shows a payment and a policy change under side effects', async () => {
    const pages = await Promise.all(
      [seen.paymentRun!, seen.policyRun!].map(async (id) => renderRunPage((await operatorRunDetail(h.db, id))!, (await operatorRunTree(h.db, id))!)),
    );
    expect(pages[0]).toMatch(/<section class="card" id="side-effects"><h2>Side effects<\/h2><ul><li>payment succeeded: 900 usd \(pi_[0-9a-f]+\)<\/li><\/ul>/);
    expect(pages[1]).toMatch(new RegExp(`<li>ruleset changed from no version to pol_[0-9A-Z]{26} by api:${apiKeyId} \\(u_office_manager\\)</li>`));
  });
});

describe('envelopes built by cron', () => {
  it('carry the current versions', async () => {
    const { policy_version: policyVersion, feature_flags_version: flagsVersion } = await tenantRow();
    const schedules = CronSchedules.parse([
      { id: 'policy-tick', tenant_id: TENANT, workflow: 'WF11_Log_Event', pattern: '* * * * * *', tz: 'UTC', payload: { event_type: 'cron.tick', direction: 'internal', attributes: {} } },
    ]);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const cron = await startCronProducer({ db: h.db, queues: h.queues, catalog: h.catalog, log: h.deps.log, connection, prefix: h.prefix }, schedules);
    try {
      let fired: { envelope: { meta: Record<string, unknown> } } | undefined;
      for (let i = 0; i < 400 && !fired; i++) {
        [fired] = await h.db.sql<{ envelope: { meta: Record<string, unknown> } }[]>`
          select run_envelope(workflow_runs) as envelope from workflow_runs where trigger_source = 'cron' and workflow_name = 'WF11_Log_Event' limit 1`;
        if (!fired) await new Promise((r) => setTimeout(r, 25));
      }
      expect(fired?.envelope.meta).toMatchObject({ trigger_source: 'cron', policy_version: policyVersion, feature_flags_version: flagsVersion });
    } finally {
      await cron.close();
      await connection.quit();
    }
  });
});
