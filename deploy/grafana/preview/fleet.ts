/**
 * The dashboard preview's live side: a real fleet (a producer and a worker on free ports, a test
 * database and a Redis prefix of their own) scraped by a real Prometheus loaded with deploy/prometheus'
 * config and rules, under a short load through the HTTP API that includes failures, a retry, a latency
 * breach, duplicates and a vendor outcome left unknown. Then render.mjs draws every panel of the
 * dashboard from that Prometheus into docs/img/dashboard.png. Both processes also trace to an in-process
 * OTLP collector; two of the traces it got (a lineage, a retried text) are drawn as text into
 * docs/traces.txt. Run it with `npm run dashboard:preview` (scripts/dashboard-preview.sh); not part of CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '@revos/db';
import { createLogger } from '@revos/runtime';
import { loadWorkerEnv, startWorkerProcess } from '@revos/worker';
import { createTwilioSmsProvider } from '@revos/workflows';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { alwaysFails, chainLeaf, chainRoot, opsWorkflows, realtimeProbe, slow } from '../../../test/ops/helpers.js';
import { startTestProducer } from '../../../test/producer/helpers.js';
import { allowSms, REDIS_URL, startHarness, TENANT, TENANT_CONFIG } from '../../../test/support/harness.js';
import { startOtlpCollector } from '../../../test/support/otlp-collector.js';
import { prepareTemplate } from '../../../test/support/pg.js';
import { freePort, REPO_ROOT } from '../../../test/support/processes.js';
import { renderTrace } from '../../../test/support/trace-text.js';
import { MISBEHAVIOUR } from '../../../test/support/vendor-standin.js';
import { render } from './render.mjs';

const LOAD_SECONDS = Number(process.argv[2] ?? 150);
const SCRAPE = '2s';
const METRICS_TOKEN = 'dashboard-preview-token';

const workflows = [...opsWorkflows, realtimeProbe];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** deploy/prometheus/prometheus.yml with this fleet's addresses, a short scrape interval and the rules' real path. */
async function prometheusConfig(dir: string, producerPort: number, workerPort: number): Promise<string> {
  const config = parseYaml(await readFile(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { job_name: string; authorization?: { credentials_file?: string }; static_configs?: unknown; dns_sd_configs?: unknown }[];
  };
  config.global = { ...config.global, scrape_interval: SCRAPE, evaluation_interval: SCRAPE };
  config.rule_files = [join(REPO_ROOT, 'deploy/prometheus/rules/*.yml')];
  const tokenFile = join(dir, 'metrics-token');
  await writeFile(tokenFile, METRICS_TOKEN);
  for (const job of config.scrape_configs) {
    if (job.job_name === 'revos-producer') {
      job.authorization = { ...job.authorization, credentials_file: tokenFile };
      job.static_configs = [{ targets: [`127.0.0.1:${producerPort}`] }];
    } else if (job.job_name === 'revos-worker') {
      delete job.dns_sd_configs;
      job.static_configs = [{ targets: [`127.0.0.1:${workerPort}`] }];
    }
  }
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, stringifyYaml(config));
  return file;
}

async function startPrometheus(binary: string, dir: string, configFile: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(binary, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr.join('').slice(-2000)}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return { url, child };
    await sleep(200);
  }
  throw new Error('prometheus did not become ready in 20 s');
}

async function main(): Promise<void> {
  const binary = process.env.PROMETHEUS_BIN;
  if (!binary) throw new Error('PROMETHEUS_BIN is not set: run scripts/dashboard-preview.sh');
  const out = join(REPO_ROOT, 'docs/img/dashboard.png');
  const dir = await mkdtemp(join(tmpdir(), 'revos-dashboard-'));
  await prepareTemplate();
  const h = await startHarness({ extraWorkflows: workflows, noWorkers: true });
  const collector = await startOtlpCollector();
  const workerPort = await freePort();
  const worker = await startWorkerProcess(
    loadWorkerEnv({
      DATABASE_URL: h.database.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      MIGRATE_ON_START: 'false',
      HEALTH_PORT: String(workerPort),
      WORKER_LANES: 'interactive,batch',
      TWILIO_BASE_URL: h.vendor.url,
      PMS_BASE_URL: `${h.vendor.url}/pms`,
      TWILIO_AUTH_TOKEN: 'test-token',
      VENDOR_TIMEOUT_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '2000',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    }),
    { log: createLogger({ level: 'silent' }), extraWorkflows: () => workflows },
  );
  const producer = await startTestProducer(h, { METRICS_TOKEN, ALERT_INTERVAL_MS: '5000', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, workflows);
  let prometheus: { url: string; child: ChildProcess } | undefined;
  try {
    prometheus = await startPrometheus(binary, dir, await prometheusConfig(dir, Number(new URL(producer.url).port), workerPort));
    console.log(`fleet up; prometheus at ${prometheus.url}; load for ${LOAD_SECONDS} s`);
    const apiKey = await createApiKey(h.db.sql, TENANT, 'dashboard-preview');
    let trigger = 0;
    const submit = async (workflow: string, payload: Record<string, unknown>, options: { subject?: Record<string, string>; triggerId?: string } = {}) => {
      const res = await fetch(`${producer.url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          meta: { workflow_name: workflow, trigger_source: 'ui', trigger_id: options.triggerId ?? `preview-${++trigger}`, environment: 'staging', privacy_mode: 'standard' },
          subject: options.subject ?? {},
          payload,
        }),
      });
      if (res.status !== 202 && res.status !== 200) throw new Error(`submit ${workflow}: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { workflow_run_id: string }).workflow_run_id;
    };

    await allowSms(h.db, 'p_preview');
    const patient = { patient_id: 'p_preview' };
    // A text whose answer is lost (a gateway 504 the vendor did not act on) and whose lookup cannot tell
    // it from two earlier identical texts to the same number: its outcome stays unknown, for staff.
    const twilio = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_local_standin', authToken: 'x', timeoutMs: 2_000 });
    for (let i = 0; i < 2; i++) await twilio.sendMessage({ to: '+15550004444', from: TENANT_CONFIG.sms_from, body: 'did it go?' });
    h.vendor.script('sms', [{ ...MISBEHAVIOUR.gateway504, accept: false }]);
    await submit('WF30_Send_SMS', { to: '+15550004444', body: 'did it go?' }, { subject: patient });
    await sleep(5_000); // the lost text takes the scripted answer before any other text goes

    const started = Date.now();
    let lineageRoot = '';
    for (let wave = 0; Date.now() - started < LOAD_SECONDS * 1000; wave++) {
      const n = wave + 1;
      await submit(chainLeaf.name, { n });
      const root = await submit(chainRoot.name, { label: `wave-${n}` });
      lineageRoot ||= root;
      await submit(slow.name, { i: n });
      await submit('WF30_Send_SMS', { to: '+15550005555', body: `reminder ${n}` }, { subject: patient });
      if (wave % 3 === 0) await submit(alwaysFails.name, { note: `wave-${n}` });
      // A client retrying its request: the same trigger id again is a duplicate, absorbed at intake.
      if (wave % 2 === 0) await submit(chainLeaf.name, { n }, { triggerId: `preview-dup-${n}` }).then(() => submit(chainLeaf.name, { n }, { triggerId: `preview-dup-${n}` }));
      // The vendor answers 500 once: that text is retried and then goes.
      if (wave % 5 === 2) h.vendor.script('sms', [{ status: 500, body: { code: 20500, message: 'Internal Server Error' } }]);
      if (wave % 8 === 0) await submit(realtimeProbe.name, { n });
      await sleep(3_000);
    }
    // Two more scrapes after the last wave, so the last rates include it; the range ends with the load.
    const end = Date.now();
    await sleep(5_000);
    await render({ prometheus: prometheus.url, start: started - 10_000, end, out, htmlOut: join(dir, 'dashboard.html') });
    console.log(`wrote ${out}`);
    // Closing flushes both processes' batched spans to the collector.
    await producer.close();
    await worker.close();
    const [retried] = await h.db.sql<{ workflow_run_id: string }[]>`
      select workflow_run_id from workflow_runs where workflow_name = 'WF30_Send_SMS' and status = 'ok' and retry_count > 0 order by accepted_at limit 1`;
    const traces = [
      ['A lineage: WF90_Ops_Chain_Root, its two follow-ups and theirs', lineageRoot],
      ['A text the vendor answered 500 first: two attempts, one trace', retried?.workflow_run_id],
    ].map(([title, runId]) => {
      const span = collector.spans.find((s) => s.name.startsWith('revos.run ') && s.attributes['revos.workflow_run_id'] === runId);
      if (!span) throw new Error(`no trace of ${title} (run ${runId})`);
      return `# ${title}\n${renderTrace(collector.spans, span.traceId)}\n`;
    });
    const tracesOut = join(REPO_ROOT, 'docs/traces.txt');
    await writeFile(tracesOut, traces.join('\n'));
    console.log(`wrote ${tracesOut}`);
  } finally {
    prometheus?.child.kill('SIGTERM');
    await producer.close();
    await worker.close();
    await collector.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
