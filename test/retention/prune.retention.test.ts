/**
 * Retention: runs past their tenant's window go with everything hanging off them, the ledger keeps
 * its dedupe window so a late duplicate is still a noop, and a key past that window is a new run
 * (its old job in Redis must not swallow it). Time passing is simulated by moving a run's
 * timestamps back; everything else is the real fleet on the real Redis and PostgreSQL.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordAlert, setConsent, upsertTenant } from '@revos/db';
import { newAlertId, toJobId } from '@revos/envelope';
import { loadProducerEnv, runCli, startBackgroundLoops, startProducerProcess } from '@revos/producer';
import { createLogger, defineWorkflow, pruneOnce, submitRun } from '@revos/runtime';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeEnvelope, REDIS_URL, sleep, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';

/** A run with a follow-up: the harness dispatches nothing by itself, so its outbox entry stays pending. */
const withFollowUp = defineWorkflow({
  name: 'WF93_Retention_With_Follow_Up',
  version: '1.0.0',
  lane: 'batch',
  payload: z.object({ n: z.number() }),
  async run() {
    return { summary: 'asks for a follow-up', next_actions: [{ workflow: 'WF11_Log_Event', payload: { event_type: 'retention.follow_up', direction: 'internal', attributes: {} } }] };
  },
});

const SHORT = 't_retention_short'; // runs kept 1 day, dedupe window as long (the default rule)
const LONG_LEDGER = 't_retention_ledger'; // runs kept 1 day, ledger 30 days
const BAD = 't_retention_bad'; // an invalid setting: nothing of it may go

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [withFollowUp] });
  await upsertTenant(h.db.sql, { tenantId: SHORT, name: 'Short', config: { ...TENANT_CONFIG, retention_days: 1 } });
  await upsertTenant(h.db.sql, { tenantId: LONG_LEDGER, name: 'Ledger', config: { ...TENANT_CONFIG, retention_days: 1, dedupe_window_days: 30 } });
  await upsertTenant(h.db.sql, { tenantId: BAD, name: 'Bad', config: { ...TENANT_CONFIG, retention_days: 0 } });
  await setConsent(h.db.sql, { tenantId: LONG_LEDGER, subjectId: 'p_late', channel: 'sms', status: 'allow', source: 'test' });
  dir = await mkdtemp(join(tmpdir(), 'revos-prune-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const prune = () => pruneOnce({ db: h.db, queues: h.queues, log: h.deps.log }, { keepDays: 90 });

const logEvent = (tenantId: string, n: number, triggerId?: string) =>
  makeEnvelope({ workflow: 'WF11_Log_Event', tenantId, triggerId, payload: { event_type: 'staff.note_added', direction: 'internal', attributes: { n } } });

/** Moves a run (and its ledger key and intake record) `days` into the past, as if that much time went by. */
async function age(runId: string, days: number): Promise<void> {
  const [run] = await h.db.sql<{ idempotency_key: string }[]>`
    update workflow_runs set accepted_at = accepted_at - ${days} * interval '1 day', ended_at = ended_at - ${days} * interval '1 day'
     where workflow_run_id = ${runId} returning idempotency_key`;
  await h.db.sql`
    update idempotency_keys set created_at = created_at - ${days} * interval '1 day', completed_at = completed_at - ${days} * interval '1 day'
     where idempotency_key = ${run!.idempotency_key}`;
  await h.db.sql`update accepted_runs set accepted_at = accepted_at - ${days} * interval '1 day' where workflow_run_id = ${runId}`;
}

async function rowsOf(runId: string, key: string) {
  const [row] = await h.db.sql<{ runs: number; events: number; effects: number; accepted: number; ledger: number; outbox: number }[]>`
    select (select count(*)::int from workflow_runs where workflow_run_id = ${runId}) as runs,
           (select count(*)::int from events where workflow_run_id = ${runId}) as events,
           (select count(*)::int from effects where idempotency_key = ${key}) as effects,
           (select count(*)::int from accepted_runs where workflow_run_id = ${runId}) as accepted,
           (select count(*)::int from idempotency_keys where idempotency_key = ${key}) as ledger,
           (select count(*)::int from outbox where parent_run_id = ${runId}) as outbox`;
  return row!;
}

describe('retention prune', () => {
  it('a duplicate arriving after its run was pruned is still a noop: the ledger keeps its dedupe window, and no second text goes', async () => {
    const sms = makeEnvelope({ workflow: 'WF30_Send_SMS', tenantId: LONG_LEDGER, subject: { patient_id: 'p_late' }, payload: { to: '+15551230009', body: 'your visit is tomorrow' } });
    const key = sms.meta.idempotency_key;
    expect((await submitRun(h, sms, { source: 'api' })).status).toBe('queued');
    expect((await h.waitForRun(sms.meta.workflow_run_id)).status).toBe('ok');
    expect(h.vendor.countFor('sms')).toBe(1);

    await age(sms.meta.workflow_run_id, 2);
    const result = await prune();
    expect(result).toMatchObject({ runs: 1, events: 1, effects: 1, accepted_runs: 1, ledger_keys: 0, jobs: 1, skipped_tenants: [BAD] });
    expect(await rowsOf(sms.meta.workflow_run_id, key)).toEqual({ runs: 0, events: 0, effects: 0, accepted: 0, ledger: 1, outbox: 0 });
    expect(await h.queues.interactive.getJob(toJobId(key))).toBeUndefined();

    // The vendor's late retry of the same trigger: a new run id, the same key.
    const late = makeEnvelope({ workflow: 'WF30_Send_SMS', tenantId: LONG_LEDGER, triggerId: sms.meta.trigger_id, subject: { patient_id: 'p_late' }, payload: sms.payload });
    expect(late.meta.idempotency_key).toBe(key);
    expect((await submitRun(h, late, { source: 'webhook' })).status).toBe('queued');
    const noop = await h.waitForRun(late.meta.workflow_run_id);
    expect(noop.status).toBe('noop');
    expect(noop.output?.result.primary_outputs).toMatchObject({ prior_run_id: sms.meta.workflow_run_id });
    expect(h.vendor.countFor('sms')).toBe(1);
  });

  it('after the dedupe window a new run with the key runs, although its old job still sat finished in Redis', async () => {
    const first = logEvent(SHORT, 1);
    const key = first.meta.idempotency_key;
    await submitRun(h, first, { source: 'api' });
    expect((await h.waitForRun(first.meta.workflow_run_id)).status).toBe('ok');
    // The old job is still in Redis (finished jobs are kept for a day), under the key's jobId.
    let job = await h.queues.batch.getJob(toJobId(key));
    for (let i = 0; i < 200 && !job?.finishedOn; i++) {
      await sleep(25);
      job = await h.queues.batch.getJob(toJobId(key));
    }
    expect(job?.finishedOn).toBeTypeOf('number');

    await age(first.meta.workflow_run_id, 2);
    expect(await prune()).toMatchObject({ runs: 1, events: 1, effects: 1, accepted_runs: 1, ledger_keys: 1, jobs: 1 });
    expect(await rowsOf(first.meta.workflow_run_id, key)).toEqual({ runs: 0, events: 0, effects: 0, accepted: 0, ledger: 0, outbox: 0 });
    expect(await h.queues.batch.getJob(toJobId(key))).toBeUndefined();

    const again = logEvent(SHORT, 1, first.meta.trigger_id);
    expect(again.meta.idempotency_key).toBe(key);
    expect((await submitRun(h, again, { source: 'api' })).status).toBe('queued');
    const rerun = await h.waitForRun(again.meta.workflow_run_id);
    expect(rerun.status).toBe('ok');
    const events = await h.db.sql`select workflow_run_id from events where idempotency_key = ${key}`;
    expect(events.map((e) => e.workflow_run_id)).toEqual([again.meta.workflow_run_id]);
  });

  it('keeps runs inside their tenant window, runs with an open task, a pending follow-up or a key in progress, and everything of a tenant whose setting is invalid', async () => {
    const young = logEvent(TENANT, 2); // the default: 90 days
    const short = logEvent(SHORT, 3);
    const bad = logEvent(BAD, 4);
    const tasked = logEvent(SHORT, 5);
    const parent = makeEnvelope({ workflow: 'WF93_Retention_With_Follow_Up', tenantId: SHORT, payload: { n: 6 } });
    const claimed = logEvent(SHORT, 9);
    for (const e of [young, short, bad, tasked, parent, claimed]) await submitRun(h, e, { source: 'api' });
    for (const e of [young, short, bad, tasked, parent, claimed]) expect(['ok', 'blocked']).toContain((await h.waitForRun(e.meta.workflow_run_id)).status);
    // A delivery of this key holds it again (a replayed attempt taking it over): its journal is in use.
    await h.db.sql`update idempotency_keys set state = 'in_progress', lock_expires_at = now() + interval '1 minute' where idempotency_key = ${claimed.meta.idempotency_key}`;
    // Staff have not closed the task on this run's key yet.
    await h.db.sql`
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, reason)
      values (${`task_${ulid()}`}, ${SHORT}, ${tasked.meta.workflow_run_id}, ${tasked.meta.workflow_run_id}, ${tasked.meta.idempotency_key}, 'escalation', 'open question')`;
    await age(young.meta.workflow_run_id, 30);
    for (const e of [short, bad, tasked, parent, claimed]) await age(e.meta.workflow_run_id, 2);

    const result = await prune();
    expect(result).toMatchObject({ runs: 1, ledger_keys: 1, skipped_tenants: [BAD] });
    expect((await rowsOf(short.meta.workflow_run_id, short.meta.idempotency_key)).runs).toBe(0);
    expect(await rowsOf(young.meta.workflow_run_id, young.meta.idempotency_key)).toMatchObject({ runs: 1, events: 1, ledger: 1 });
    expect(await rowsOf(bad.meta.workflow_run_id, bad.meta.idempotency_key)).toMatchObject({ runs: 1, ledger: 1 });
    expect(await rowsOf(tasked.meta.workflow_run_id, tasked.meta.idempotency_key)).toMatchObject({ runs: 1, events: 1, effects: 1, ledger: 1 });
    expect(await rowsOf(parent.meta.workflow_run_id, parent.meta.idempotency_key)).toMatchObject({ runs: 1, outbox: 1, ledger: 1 });
    expect(await rowsOf(claimed.meta.workflow_run_id, claimed.meta.idempotency_key)).toMatchObject({ runs: 1, events: 1, effects: 1, ledger: 1 });
    const line = h.logLines.find((l) => l.msg === 'tenant retention setting invalid; nothing of this tenant is pruned');
    expect(line).toMatchObject({ tenant_id: BAD, issues: ['config.retention_days: must be at least 1 day'] });

    // Once the task is done and the follow-up dispatched, they go too.
    await h.db.sql`update tasks set status = 'done', closed_at = now() where idempotency_key = ${tasked.meta.idempotency_key}`;
    await h.db.sql`update outbox set state = 'dispatched', dispatched_at = now() where parent_run_id = ${parent.meta.workflow_run_id}`;
    await h.db.sql`update idempotency_keys set state = 'completed', lock_expires_at = null where idempotency_key = ${claimed.meta.idempotency_key}`;
    expect(await prune()).toMatchObject({ runs: 3, tasks: 1, outbox: 1, ledger_keys: 3 });
  });

  it('revos prune --dry-run lists per tenant what would go and removes nothing; revos prune removes it', async () => {
    const old = logEvent(SHORT, 7);
    await submitRun(h, old, { source: 'api' });
    await h.waitForRun(old.meta.workflow_run_id);
    await age(old.meta.workflow_run_id, 3);
    const env = { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix };
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env });
      return { code, stdout: out.join('\n'), stderr: err.join('\n') };
    };

    const dry = await cli('prune', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as { tenants: Record<string, unknown>[]; skipped_tenants: unknown[]; default_retention_days: number };
    expect(report.default_retention_days).toBe(90);
    expect(report.tenants).toEqual([
      expect.objectContaining({ tenant_id: SHORT, runs: 1, events: 1, effects: 1, outbox: 0, tasks: 0, accepted_runs: 1, ledger_keys: 1 }),
    ]);
    expect(report.skipped_tenants).toEqual([{ tenant_id: BAD, issues: ['config.retention_days: must be at least 1 day'] }]);
    const text = await cli('prune', '--dry-run');
    expect(text.stdout).toMatch(new RegExp(`^${SHORT}\\s+1\\s+1\\s+1\\s+0\\s+0\\s+1\\s+1\\s`, 'm'));
    expect(text.stdout).toContain(`skipped ${BAD}: config.retention_days: must be at least 1 day`);
    expect(text.stdout).toContain('(dry run: nothing was removed)');
    expect((await rowsOf(old.meta.workflow_run_id, old.meta.idempotency_key)).runs).toBe(1);

    const real = await cli('prune', '--json');
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ runs: 1, events: 1, ledger_keys: 1 });
    expect(await rowsOf(old.meta.workflow_run_id, old.meta.idempotency_key)).toMatchObject({ runs: 0, ledger: 0 });
    expect(JSON.parse((await cli('prune', '--dry-run', '--json')).stdout)).toMatchObject({ tenants: [] });

    expect(await cli('prune', '--tenant', SHORT)).toMatchObject({ code: 2, stderr: 'revos: prune: --tenant is not an option of this command' });
    expect((await cli('runs', 'failed', '--dry-run')).code).toBe(2);
  });

  it('refuses a bad retention setting where it is written, naming the field and the rule', async () => {
    const env = { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix };
    const cases: [Record<string, unknown>, string][] = [
      [{ retention_days: 0 }, 'config.retention_days: must be at least 1 day'],
      [{ retention_days: 'ninety' }, 'config.retention_days: must be a whole number of days'],
      [{ retention_days: 30, dedupe_window_days: 7 }, 'config.dedupe_window_days: must be at least retention_days'],
    ];
    for (const [config, message] of cases) {
      const file = join(dir, `${ulid()}.json`);
      await writeFile(file, JSON.stringify(config));
      const err: string[] = [];
      const code = await runCli(['tenants', 'create', 't_retention_refused', '--config', file], { out: () => {}, err: (t) => err.push(t), env });
      expect(code).toBe(78);
      expect(err.join('\n')).toContain(message);
    }
    const [row] = await h.db.sql`select 1 from tenants where tenant_id = 't_retention_refused'`;
    expect(row).toBeUndefined();

    expect(() => loadProducerEnv({ RETENTION_DAYS: '30', DEDUPE_WINDOW_DAYS: '7' })).toThrow(/DEDUPE_WINDOW_DAYS.*at least RETENTION_DAYS/);
    expect(() => loadProducerEnv({ RETENTION_DAYS: '0' })).toThrow(/RETENTION_DAYS/);
  });

  it("runs in the producer's background loop every PRUNE_INTERVAL_MS", async () => {
    const old = logEvent(SHORT, 8);
    await submitRun(h, old, { source: 'api' });
    await h.waitForRun(old.meta.workflow_run_id);
    await age(old.meta.workflow_run_id, 2);
    const producer = await startProducerProcess(
      loadProducerEnv({ DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, PORT: '0', HOST: '127.0.0.1', MIGRATE_ON_START: 'false', PRUNE_INTERVAL_MS: '100' }),
      { log: createLogger({ level: 'silent' }), startBackground: startBackgroundLoops },
    );
    try {
      let left = 1;
      for (let i = 0; i < 200 && left > 0; i++) {
        await sleep(50);
        left = (await rowsOf(old.meta.workflow_run_id, old.meta.idempotency_key)).runs;
      }
      expect(left).toBe(0);
    } finally {
      await producer.close();
    }
  });

  it("alerts go after their tenant's retention (alerts of no tenant after the default), shown by revos prune --dry-run", async () => {
    /** An alert raised `days` ago. */
    const alert = async (tenantId: string | null, days: number) => {
      const alertId = newAlertId();
      await recordAlert(h.db.sql, { alertId, tenantId, kind: 'failure_rate', workflowName: 'WF11_Log_Event', workflowRunId: null, dedupeKey: `retention-test:${alertId}`, details: {} });
      await h.db.sql`update alerts set created_at = now() - ${days} * interval '1 day' where alert_id = ${alertId}`;
      return alertId;
    };
    const gone = [await alert(SHORT, 3), await alert(LONG_LEDGER, 2), await alert(null, 91)];
    // Inside the window (1 day for the two tenants, the default 90 for no tenant), or of a tenant whose setting is invalid.
    const kept = [await alert(SHORT, 0.5), await alert(null, 30), await alert(BAD, 400)];

    const env = { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix };
    const cli = async (...args: string[]) => {
      const out: string[] = [];
      const code = await runCli(args, { out: (t) => out.push(t), err: () => {}, env });
      return { code, stdout: out.join('\n') };
    };
    const dry = JSON.parse((await cli('prune', '--dry-run', '--json')).stdout) as { tenants: { tenant_id: string; alerts: number; runs: number }[]; fleet_alerts: number };
    expect(dry.tenants).toEqual([
      expect.objectContaining({ tenant_id: LONG_LEDGER, alerts: 1, runs: 0 }),
      expect.objectContaining({ tenant_id: SHORT, alerts: 1, runs: 0 }),
    ]);
    expect(dry.fleet_alerts).toBe(1);
    const text = (await cli('prune', '--dry-run')).stdout;
    expect(text).toMatch(/^TENANT\s.*\sLEDGER_KEYS\s+ALERTS\s+OLDEST_ACCEPTED$/m);
    expect(text).toMatch(new RegExp(`^${SHORT}\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0\\s+1\\s+-$`, 'm'));
    expect(text).toContain('alerts of no tenant (fleet-wide): 1');
    const [before] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from alerts where alert_id in ${h.db.sql([...gone, ...kept])}`;
    expect(before!.n).toBe(6);

    expect((await prune()).alerts).toBe(3);
    const left = await h.db.sql<{ alert_id: string }[]>`select alert_id from alerts where alert_id in ${h.db.sql([...gone, ...kept])}`;
    expect(left.map((r) => r.alert_id).sort()).toEqual([...kept].sort());
    expect(JSON.parse((await cli('prune', '--dry-run', '--json')).stdout)).toMatchObject({ tenants: [], fleet_alerts: 0 });
  });
});
