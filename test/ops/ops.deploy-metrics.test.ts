/**
 * The dashboard and the alert rules in deploy/ against a real fleet: every metric a rule or a panel
 * names exists in a real /metrics of a producer or a worker, and the metrics added for them (latency
 * from arrival and its budget, queue age per lane, open tasks, unknown vendor outcomes) say what the
 * fleet did. promtool checks the rules' PromQL itself (scripts/check-prometheus-rules.sh, in .ci/run).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiKey } from '@revos/db';
import { createLogger, submitRun } from '@revos/runtime';
import { loadWorkerEnv, startWorkerProcess, type WorkerProcess } from '@revos/worker';
import { twilioSignature } from '@revos/producer';
import { createTwilioSmsProvider } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';
import { freePort, REPO_ROOT } from '../support/processes.js';
import { allowSms, REDIS_URL, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { MISBEHAVIOUR } from '../support/vendor-standin.js';
import { alwaysFails, chainLeaf, opsWorkflows, parsePrometheus, realtimeProbe, series, slow, sum, type Sample } from './helpers.js';

const METRICS_TOKEN = 'deploy-metrics-token-0123';

const workflows = [...opsWorkflows, realtimeProbe];

let h: Harness;
let p: TestProducer;
let w: WorkerProcess;
let healthPort: number;

beforeAll(async () => {
  h = await startHarness({ extraWorkflows: workflows, noWorkers: true });
  healthPort = await freePort();
  w = await startWorkerProcess(
    loadWorkerEnv({
      DATABASE_URL: h.database.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      MIGRATE_ON_START: 'false',
      HEALTH_PORT: String(healthPort),
      WORKER_LANES: 'interactive,batch',
      TWILIO_BASE_URL: h.vendor.url,
      PMS_BASE_URL: `${h.vendor.url}/pms`,
      TWILIO_AUTH_TOKEN: 'test-token',
      VENDOR_TIMEOUT_MS: '300',
      SHUTDOWN_TIMEOUT_MS: '2000',
    }),
    { log: createLogger({ level: 'silent' }), extraWorkflows: () => workflows },
  );
  p = await startTestProducer(h, { METRICS_TOKEN, TWILIO_AUTH_TOKEN: 'test-token' }, workflows);
});
afterAll(async () => {
  await p?.close();
  await w?.close();
  await h?.close();
});

async function scrapeBoth(): Promise<{ worker: Sample[]; producer: Sample[] }> {
  const worker = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
  const producer = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect([worker.status, producer.status]).toEqual([200, 200]);
  return { worker: parsePrometheus(await worker.text()), producer: parsePrometheus(await producer.text()) };
}

/** Metric names a PromQL expression uses: our own `revos_*` series and Prometheus' `up`. */
function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(revos_[a-z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g)].map((m) => m[1]!))];
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function loadRules(): Promise<Rule[]> {
  const file = parseYaml(await readFile(join(REPO_ROOT, 'deploy/prometheus/rules/revos.rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

async function loadPanels(): Promise<Panel[]> {
  const dashboard = JSON.parse(await readFile(join(REPO_ROOT, 'deploy/grafana/dashboards/revos-fleet.json'), 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
}

describe('deploy/: dashboard and alert rules against a real /metrics', () => {
  it('after a suite of runs, exposes latency from arrival beside each budget, queue age per lane, open tasks and unknown vendor outcomes', async () => {
    const leaves = [1, 2, 3].map((n) => h.envelope({ workflow: chainLeaf.name, payload: { n } }));
    const failures = ['a', 'b'].map((note) => h.envelope({ workflow: alwaysFails.name, payload: { note } }));
    const breach = h.envelope({ workflow: slow.name, payload: { i: 1 } });
    await allowSms(h.db, 'p_deploy');
    const sms = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15550002222', body: 'hello' }, subject: { patient_id: 'p_deploy' } });
    // A text whose answer is lost (a gateway 504) and whose lookup cannot tell it apart from two earlier
    // identical texts to the same number: its outcome stays unknown, a question for staff.
    const twilio = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_local_standin', authToken: 'x', timeoutMs: 2_000 });
    for (let i = 0; i < 2; i++) await twilio.sendMessage({ to: '+15550003333', from: TENANT_CONFIG.sms_from, body: 'did it go?' });
    h.vendor.script('sms', [{ ...MISBEHAVIOUR.gateway504, accept: false }]);
    const lost = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15550003333', body: 'did it go?' }, subject: { patient_id: 'p_deploy' } });
    await submitRun(h, lost, { source: 'api' });
    const waiting = h.envelope({ workflow: realtimeProbe.name, payload: { n: 1 } });
    for (const e of [...leaves, ...failures, breach, sms, waiting]) await submitRun(h, e, { source: 'api' });
    // One through the HTTP API, as a client would (the intake counters are the producer's).
    const apiKey = await createApiKey(h.db.sql, TENANT, 'deploy-test');
    const res = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ meta: { workflow_name: chainLeaf.name, trigger_source: 'ui', trigger_id: 'deploy-1', environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { n: 4 } }),
    });
    expect(res.status).toBe(202);
    const viaApi = ((await res.json()) as { workflow_run_id: string }).workflow_run_id;
    for (const id of [...[...leaves, ...failures, breach, sms].map((e) => e.meta.workflow_run_id), viaApi]) await h.waitForRun(id);
    const unknown = await h.waitForRun(lost.meta.workflow_run_id, undefined, 30_000);
    expect(unknown).toMatchObject({ status: 'failed', failure_code: 'effect_outcome_unknown' });

    const { worker, producer } = await scrapeBoth();
    expect(sum(series(worker, 'revos_run_latency_seconds_count', { workflow: chainLeaf.name, status: 'ok' }))).toBe(4);
    expect(sum(series(worker, 'revos_run_latency_seconds_count', { workflow: alwaysFails.name, status: 'failed' }))).toBe(2);
    expect(series(worker, 'revos_run_latency_seconds_bucket', { workflow: slow.name, status: 'ok', le: '+Inf' })).toHaveLength(1);
    expect(series(worker, 'revos_latency_budget_seconds', { workflow: slow.name, lane: 'interactive' })).toEqual([expect.objectContaining({ value: 0.02 })]);
    expect(series(worker, 'revos_latency_budget_seconds', { workflow: 'WF30_Send_SMS' })).toEqual([expect.objectContaining({ value: 8 })]);
    // Batch workflows have no budget: no series rather than a fake one.
    expect(series(worker, 'revos_latency_budget_seconds', { workflow: chainLeaf.name })).toEqual([]);

    // The realtime probe is due and no worker serves its lane; the other lanes are drained.
    const [realtimeAge] = series(producer, 'revos_queue_oldest_age_seconds', { lane: 'realtime' });
    expect(realtimeAge!.value).toBeGreaterThan(0);
    expect(series(producer, 'revos_queue_oldest_age_seconds', { lane: 'batch' })).toEqual([expect.objectContaining({ value: 0 })]);
    // Two internal failures and the unknown outcome each opened an escalation task.
    expect(series(producer, 'revos_tasks_open', { kind: 'escalation' })).toEqual([expect.objectContaining({ value: 3 })]);
    expect(series(producer, 'revos_vendor_outcomes_unknown')).toEqual([expect.objectContaining({ value: 1 })]);

    // Staff settle the question: the gauge follows the task.
    await h.db.sql`update tasks set status = 'done', closed_at = now() where workflow_run_id = ${lost.meta.workflow_run_id}`;
    const after = await scrapeBoth();
    expect(series(after.producer, 'revos_vendor_outcomes_unknown')).toEqual([expect.objectContaining({ value: 0 })]);
    expect(series(after.producer, 'revos_tasks_open', { kind: 'escalation' })).toEqual([expect.objectContaining({ value: 2 })]);
  }, 60_000);

  it('every metric each alert rule and each dashboard panel uses exists in a real /metrics', async () => {
    // One delivery receipt, so revos_delivery_status_total has a series (the delivery rate panel).
    const statusUrl = `${p.url}/webhooks/twilio/${TENANT}/status`;
    const receipt = { MessageSid: 'SM0000000000deploymetrics', MessageStatus: 'delivered' };
    const posted = await fetch(statusUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature('test-token', statusUrl, receipt) },
      body: new URLSearchParams(receipt).toString(),
    });
    expect(posted.status).toBe(200);
    const { worker, producer } = await scrapeBoth();
    // `up` is Prometheus' own series for every target it scrapes.
    const exposed = new Set(['up', ...worker.map((s) => s.name), ...producer.map((s) => s.name)]);

    const rules = await loadRules();
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, `${rule.alert} names no metric`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${rule.alert} uses ${name}, which no /metrics exposes`).toBe(true);
      expect(rule.labels?.severity, `${rule.alert} severity`).toMatch(/^(page|warning)$/);
      expect(rule.annotations?.summary, `${rule.alert} summary`).toBeTruthy();
    }

    const panels = await loadPanels();
    for (const panel of panels) {
      expect(panel.targets?.length, `panel ${panel.title} has no query`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = metricNames(target.expr);
        expect(names.length, `panel ${panel.title} names no metric`).toBeGreaterThan(0);
        for (const name of names) expect(exposed.has(name), `panel ${panel.title} uses ${name}, which no /metrics exposes`).toBe(true);
      }
    }

    // What the issue asks the dashboard and the rules to cover, each by the metric that carries it.
    const used = (exprs: string[]) => new Set(exprs.flatMap(metricNames));
    const covered = [
      'revos_runs_total', // runs by status and workflow
      'revos_run_latency_seconds_bucket', // latency ...
      'revos_latency_budget_seconds', // ... against budget
      'revos_latency_breaches_total',
      'revos_queue_depth',
      'revos_queue_oldest_age_seconds',
      'revos_outbox_lag_seconds',
      'revos_vendor_outcomes_unknown',
      'revos_tasks_open',
    ];
    const inPanels = used(panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr)));
    const inRules = used(rules.map((r) => r.expr));
    for (const name of covered) {
      expect(inPanels.has(name), `no panel shows ${name}`).toBe(true);
      expect(inRules.has(name), `no rule watches ${name}`).toBe(true);
    }
  });

  it('the name check catches a metric that does not exist', () => {
    expect(metricNames('max by (lane) (revos_queue_oldest_age_seconds{lane="realtime"}) > 10')).toEqual(['revos_queue_oldest_age_seconds']);
    expect(metricNames('sum(rate(revos_runs_totl[5m])) / sum(rate(revos_runs_total[5m]))')).toEqual(['revos_runs_totl', 'revos_runs_total']);
    expect(metricNames('up{job="revos-worker"} == 0')).toEqual(['up']);
  });
});
