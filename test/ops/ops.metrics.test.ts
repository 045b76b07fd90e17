import { loadWorkerEnv, startWorkerProcess, type WorkerProcess } from '@revos/worker';
import { createLogger } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, REDIS_URL, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';
import { freePort } from '../support/processes.js';
import { alwaysFails, chainLeaf, opsWorkflows, parsePrometheus, series, slow, sum, type Sample } from './helpers.js';
import { checkAlerts } from '@revos/producer';
import { createApiKey } from '@revos/db';
import { toJobId } from '@revos/envelope';

const METRICS_TOKEN = 'metrics-token-0123456789';
let h: Harness;
let p: TestProducer;
let w: WorkerProcess;
let healthPort: number;

beforeAll(async () => {
  h = await startHarness({ extraWorkflows: opsWorkflows, noWorkers: true });
  healthPort = await freePort();
  w = await startWorkerProcess(
    loadWorkerEnv({
      DATABASE_URL: h.database.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      MIGRATE_ON_START: 'false',
      HEALTH_PORT: String(healthPort),
      TWILIO_BASE_URL: h.vendor.url,
      PMS_BASE_URL: `${h.vendor.url}/pms`,
      TWILIO_AUTH_TOKEN: 'test-token',
      SHUTDOWN_TIMEOUT_MS: '2000',
    }),
    { log: createLogger({ level: 'silent' }), extraWorkflows: () => opsWorkflows },
  );
  p = await startTestProducer(h, { METRICS_TOKEN, ADMIN_PASSWORD: 'correct horse battery', FAILURE_RATE_MIN_RUNS: '2' }, opsWorkflows);
});
afterAll(async () => {
  await p?.close();
  await w?.close();
  await h?.close();
});

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await res.text());
}

describe('metrics', () => {
  it('the producer /metrics needs the token or the admin credentials', async () => {
    expect((await fetch(`${p.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${p.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const basic = Buffer.from('admin:correct horse battery').toString('base64');
    expect((await fetch(`${p.url}/metrics`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
  });

  it('exposes runs, durations, breaches, duplicates by layer, effect calls, queue depth and outbox lag after a suite of runs', async () => {
    const apiKey = await createApiKey(h.db.sql, TENANT, 'test');
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    // ok runs through the API, one submitted twice (intake duplicate)
    const body = (i: number) => JSON.stringify({ meta: { workflow_name: chainLeaf.name, trigger_source: 'ui', trigger_id: `m-${i}`, environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { n: i } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${p.url}/v1/runs`, { method: 'POST', headers: auth, body: body(i) });
      ids.push(((await res.json()) as { workflow_run_id: string }).workflow_run_id);
    }
    expect((await fetch(`${p.url}/v1/runs`, { method: 'POST', headers: auth, body: body(0) })).status).toBe(200);
    // failures, a latency breach, an SMS (an effect call to the vendor stand-in)
    const fail1 = h.envelope({ workflow: alwaysFails.name, payload: { note: 'a' } });
    const fail2 = h.envelope({ workflow: alwaysFails.name, payload: { note: 'b' } });
    const breach = h.envelope({ workflow: slow.name, payload: { i: 1 } });
    await allowSms(h.db, 'p_metrics');
    const sms = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15550001111', body: 'hello' }, subject: { patient_id: 'p_metrics' } });
    for (const e of [fail1, fail2, breach, sms]) await h.enqueue(e);
    // jobid layer: the same job added again while it is still in Redis
    await h.enqueue(breach);
    for (const id of [...ids, fail1.meta.workflow_run_id, fail2.meta.workflow_run_id, breach.meta.workflow_run_id, sms.meta.workflow_run_id]) await h.waitForRun(id);
    // ledger layer: the job is gone from Redis, the key is completed in PostgreSQL: noop
    await h.queues.interactive.remove(toJobId(sms.meta.idempotency_key));
    await h.enqueue(sms);
    for (let i = 0; i < 200; i++) {
      const [row] = await h.db.sql`select count(*)::int as n from idempotency_keys where idempotency_key = ${sms.meta.idempotency_key}`;
      const worker = parsePrometheus(await w.metrics.registry.metrics());
      if (row && sum(series(worker, 'revos_duplicates_absorbed_total', { layer: 'ledger' })) >= 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }

    const worker = await scrape(`http://127.0.0.1:${healthPort}/metrics`);
    expect(sum(series(worker, 'revos_runs_total', { workflow: chainLeaf.name, status: 'ok' }))).toBe(3);
    expect(sum(series(worker, 'revos_runs_total', { workflow: alwaysFails.name, status: 'failed' }))).toBe(2);
    expect(sum(series(worker, 'revos_runs_total', { workflow: 'WF30_Send_SMS', status: 'noop' }))).toBe(1);
    expect(sum(series(worker, 'revos_latency_breaches_total', { workflow: slow.name }))).toBe(1);
    expect(series(worker, 'revos_latency_breaches_total', { workflow: chainLeaf.name })).toEqual([]);
    expect(sum(series(worker, 'revos_duplicates_absorbed_total', { layer: 'ledger' }))).toBe(1);
    for (const lane of ['interactive', 'batch']) {
      const count = series(worker, 'revos_run_duration_seconds_count', { lane });
      expect(sum(count)).toBeGreaterThan(0);
      expect(series(worker, 'revos_run_duration_seconds_bucket', { lane, le: '+Inf' }).length).toBeGreaterThan(0);
    }
    // The SMS, plus the staff texts of the failures' escalations (WF21) that have run by now.
    const smsCalls = sum(series(worker, 'revos_effect_calls_total', { service: 'twilio', outcome: 'success' }));
    expect(smsCalls).toBeGreaterThanOrEqual(1);
    expect(sum(series(worker, 'revos_effect_call_duration_seconds_count', { service: 'twilio', outcome: 'success' }))).toBe(smsCalls);
    expect(series(worker, 'revos_effect_call_duration_seconds_bucket', { service: 'twilio', outcome: 'success', le: '+Inf' })).toHaveLength(1);

    const producer = await scrape(`${p.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(sum(series(producer, 'revos_intake_total', { workflow: chainLeaf.name, source: 'api', status: 'queued' }))).toBe(3);
    expect(sum(series(producer, 'revos_intake_total', { workflow: chainLeaf.name, source: 'api', status: 'duplicate' }))).toBe(1);
    expect(sum(series(producer, 'revos_duplicates_absorbed_total', { layer: 'intake' }))).toBe(1);
    expect(sum(series(producer, 'revos_duplicates_absorbed_total', { layer: 'jobid' }))).toBeGreaterThanOrEqual(1);
    for (const lane of ['realtime', 'interactive', 'batch', 'cron']) {
      expect(series(producer, 'revos_queue_depth', { lane, state: 'waiting' })).toHaveLength(1);
    }
    expect(sum(series(producer, 'revos_queue_depth', { lane: 'interactive', state: 'failed' }))).toBe(2);
    const lag = series(producer, 'revos_outbox_lag_seconds');
    expect(lag).toHaveLength(1);
    expect(lag[0]!.value).toBeGreaterThanOrEqual(0);
  });

  it('raises a failure-rate alert per workflow and window, once, logged at error level', async () => {
    const first = await checkAlerts({ db: h.db, env: loadEnvForAlerts(), log: p.log, metrics: { alertRaised() {} } as never });
    expect(first.raised.map((r) => r.kind)).toContain('failure_rate');
    const again = await checkAlerts({ db: h.db, env: loadEnvForAlerts(), log: p.log, metrics: { alertRaised() {} } as never });
    expect(again.raised).toEqual([]);
    const [row] = await h.db.sql`select kind, workflow_name, details from alerts where kind = 'failure_rate'`;
    expect(row).toMatchObject({ workflow_name: alwaysFails.name, details: { failed: 2, total: 2 } });
    expect(p.logText.join('')).toMatch(/"level":"error".*"alert_kind":"failure_rate"/);
  });
});

function loadEnvForAlerts() {
  return { OUTBOX_LAG_ALERT_S: 60, FAILURE_RATE_ALERT: 0.2, FAILURE_RATE_WINDOW_MS: 600_000, FAILURE_RATE_MIN_RUNS: 2 } as never;
}
