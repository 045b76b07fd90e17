/**
 * Staff answer the question an unknown effect left: `revos effects settle <run> <effect> sent|not_sent`.
 * `sent` completes the journal and sends nothing; `not_sent` lets the run go again with exactly one
 * new call. The settlement is `settleUnknownEffect` in @revos/db (the task-resolve API calls it too).
 */
import { spawn } from 'node:child_process';
import { settleUnknownEffect, withTenant } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, REDIS_URL, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import { MISBEHAVIOUR } from '../support/vendor-standin.js';

const TO = '+15551230077';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'] });
  await allowSms(h.db, 'p_settle');
});
afterAll(async () => {
  await h?.close();
});

function revos(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['apps/producer/bin/revos.mjs', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: h.database.url, QUEUE_PREFIX: h.prefix, REDIS_URL, USER: 'ops_default' },
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

let counter = 0;
/** A WF30 run the vendor cannot settle: the same text already went to the number twice, then a 504. */
async function undecidableRun() {
  const body = `settle me ${++counter}`;
  const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'x', timeoutMs: 2_000 });
  for (let i = 0; i < 2; i++) await sms.sendMessage({ to: TO, from: TENANT_CONFIG.sms_from, body });
  h.vendor.script('sms', [{ ...MISBEHAVIOUR.gateway504, accept: false }]);
  const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: TO, body }, subject: { patient_id: 'p_settle' } });
  await submitRun(h, envelope, { source: 'api' });
  const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
  expect(run.failure_code).toBe('effect_outcome_unknown');
  const sends = () => h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.['Body'] === body).length;
  expect(sends()).toBe(3);
  return { envelope, body, sends };
}

const effectRow = async (key: string) =>
  (await h.db.sql<{ state: string; settlement: Record<string, unknown> | null; result: unknown }[]>`
    select state, settlement, result from effects where idempotency_key = ${key} and effect_name = 'sms.send'`)[0]!;
const tasksOf = (runId: string) => h.db.sql<{ status: string }[]>`select status from tasks where workflow_run_id = ${runId}`;

describe('revos effects settle', () => {
  it('not_sent: the run goes again with exactly one new call, and ends ok', async () => {
    const { envelope, sends } = await undecidableRun();
    const res = await revos('effects', 'settle', envelope.meta.workflow_run_id, 'sms.send', 'not_sent', '--note', 'not in the console', '--operator', 'ops_ann');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('settled sms.send');
    expect(res.stdout).toContain('exactly one new call');
    const run = await h.waitForRun(envelope.meta.workflow_run_id, (r) => r.status === 'ok', 30_000);
    expect(run.status).toBe('ok');
    expect(sends()).toBe(4);
    const effect = await effectRow(envelope.meta.idempotency_key);
    expect(effect.state).toBe('completed');
    expect(effect.settlement).toMatchObject({ outcome: 'not_sent', actor: 'ops_ann', note: 'not in the console', state_before: 'unknown' });
    expect(await tasksOf(envelope.meta.workflow_run_id)).toEqual([{ status: 'done' }]);
    const events = await h.db.sql<{ event_type: string; payload: Record<string, unknown> }[]>`
      select event_type, payload from events where workflow_run_id = ${envelope.meta.workflow_run_id} and event_type in ('effect.settled', 'sms.sent') order by occurred_at`;
    expect(events.map((e) => e.event_type)).toEqual(['effect.settled', 'sms.sent']);
    // The audit names who answered, never the note (staff may type PHI into it).
    expect(events[0]?.payload).toEqual({ effect: 'sms.send', outcome: 'not_sent', actor: 'ops_ann', state_before: 'unknown' });

    // Answered once: a second answer is refused, and nothing is sent.
    const again = await revos('effects', 'settle', envelope.meta.workflow_run_id, 'sms.send', 'not_sent');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is completed, not waiting for an answer');
    expect(sends()).toBe(4);
  }, 60_000);

  it('sent: the journal completes, the task closes, nothing is sent again and the run stays failed', async () => {
    const { envelope, sends } = await undecidableRun();
    const res = await revos('effects', 'settle', envelope.meta.workflow_run_id, 'sms.send', 'sent', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: boolean; settlement: { stateBefore: string; stateAfter: string; runReopened: boolean; closedTaskIds: string[] }; rerun: unknown };
    expect(out).toMatchObject({ ok: true, settlement: { stateBefore: 'unknown', stateAfter: 'completed', runReopened: false }, rerun: null });
    expect(out.settlement.closedTaskIds).toHaveLength(1);
    const effect = await effectRow(envelope.meta.idempotency_key);
    expect(effect.state).toBe('completed');
    expect(effect.settlement).toMatchObject({ outcome: 'sent', actor: 'ops_default' });
    const [run] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(run?.status).toBe('failed');
    await new Promise((r) => setTimeout(r, 500));
    expect(sends()).toBe(3);
    // The effect's one event is the settlement's.
    const [event] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from events where idempotency_key = ${envelope.meta.idempotency_key} and effect_name = 'sms.send'`;
    expect(event?.n).toBe(1);
  }, 60_000);

  it('names what is wrong: unknown run, unknown effect, a bad outcome, missing arguments', async () => {
    const { envelope } = await undecidableRun();
    const unknownRun = await revos('effects', 'settle', 'wr_01NOPE0000000000000000000', 'sms.send', 'sent');
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.stderr).toContain('not found');
    const unknownEffect = await revos('effects', 'settle', envelope.meta.workflow_run_id, 'sms.nope', 'sent');
    expect(unknownEffect.code).toBe(1);
    expect(unknownEffect.stderr).toContain('has no effect sms.nope');
    const badOutcome = await revos('effects', 'settle', envelope.meta.workflow_run_id, 'sms.send', 'maybe');
    expect(badOutcome.code).toBe(2);
    expect(badOutcome.stderr).toContain('the outcome must be sent or not_sent');
    const missing = await revos('effects', 'settle', envelope.meta.workflow_run_id);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing argument <effect>');
    expect((await effectRow(envelope.meta.idempotency_key)).state).toBe('unknown');
  }, 60_000);

  it("runs inside the caller's transaction (the task API's): rolled back with it, applied with it", async () => {
    const { envelope, sends } = await undecidableRun();
    const input = { tenantId: TENANT, idempotencyKey: envelope.meta.idempotency_key, effectName: 'sms.send', outcome: 'sent' as const, actor: 'staff_1', note: null };
    await expect(
      h.db.sql.begin(async (tx) => {
        expect(await settleUnknownEffect(tx, input)).toMatchObject({ settled: true, stateAfter: 'completed' });
        throw new Error('the task change failed');
      }),
    ).rejects.toThrow('the task change failed');
    expect((await effectRow(envelope.meta.idempotency_key)).state).toBe('unknown');
    expect(await tasksOf(envelope.meta.workflow_run_id)).toEqual([{ status: 'open' }]);
    // As the task API calls it: inside the tenant's scope (role revos_tenant, row-level security).
    expect(await withTenant(h.db.sql, TENANT, (tx) => settleUnknownEffect(tx, input))).toMatchObject({ settled: true });
    expect((await effectRow(envelope.meta.idempotency_key)).state).toBe('completed');
    expect(await tasksOf(envelope.meta.workflow_run_id)).toEqual([{ status: 'done' }]);
    expect(sends()).toBe(3);
  }, 60_000);

  it('refuses to settle while a worker holds the run (its call may be in flight right now)', async () => {
    h.vendor.script('sms', [{ hang: true }]);
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: TO, body: `in flight ${++counter}` }, subject: { patient_id: 'p_settle' } });
    await submitRun(h, envelope, { source: 'api' });
    await expect.poll(async () => (await h.db.sql`select 1 from effects where idempotency_key = ${envelope.meta.idempotency_key}`).length, { timeout: 10_000 }).toBe(1);
    const result = await settleUnknownEffect(h.db.sql, {
      tenantId: TENANT,
      idempotencyKey: envelope.meta.idempotency_key,
      effectName: 'sms.send',
      outcome: 'not_sent',
      actor: 'ops_ann',
    });
    expect(result).toEqual({ settled: false, reason: 'run_in_progress', state: 'started' });
    // Another tenant cannot settle it at all.
    expect(await settleUnknownEffect(h.db.sql, { tenantId: 't_other', idempotencyKey: envelope.meta.idempotency_key, effectName: 'sms.send', outcome: 'sent', actor: 'x' })).toEqual({
      settled: false,
      reason: 'not_found',
    });
  }, 30_000);
});
