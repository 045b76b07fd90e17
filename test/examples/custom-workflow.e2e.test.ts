/**
 * examples/custom-workflow end to end: the example's own worker, producer and CLI entries (the
 * stock apps plus its WF99_Recall_Reminder, no fork) run as real processes against PostgreSQL,
 * Redis and the Twilio stand-in; a run submitted with @revos/client texts once, and only once.
 * The stock CLI takes the same workflows from WORKFLOWS_MODULE.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRevosClient, type ReferenceWorkflowPayloads, type RevosClient } from '@revos/client';
import { createApiKey } from '@revos/db';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnWorkflowPayloads } from '../../examples/custom-workflow/src/workflows.js';
import { allowSms, REDIS_URL, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { REPO_ROOT, spawnTs, type Spawned } from '../support/processes.js';

const EXAMPLE = 'examples/custom-workflow/src';
let h: Harness;
let worker: Spawned;
let producer: Spawned;
let stockWorker: Spawned;
let revos: RevosClient<ReferenceWorkflowPayloads & OwnWorkflowPayloads>;
let producerUrl: string;

function processEnv(): Record<string, string> {
  return {
    DATABASE_URL: h.database.url,
    REDIS_URL,
    QUEUE_PREFIX: h.prefix,
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'info',
    TWILIO_BASE_URL: h.vendor.url,
    PMS_BASE_URL: `${h.vendor.url}/pms`,
  };
}

/** Runs a CLI entry to completion: exit code, stdout and stderr. */
function cli(entry: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@revos/source', '--import', 'tsx', entry, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...processEnv(), ...env } }, (error, out, err) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out, err }),
    );
  });
}

async function waitForStatus(runId: string, wanted: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 400; i++) {
    last = (await revos.getRun(runId)).run.status;
    if (last === wanted) return last;
    await sleep(50);
  }
  return last;
}

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  await allowSms(h.db, 'p_recall_1');
  const key = await createApiKey(h.db.sql, TENANT);
  // One at a time, each kept as soon as it runs, so afterAll stops whatever started.
  worker = await spawnTs(`${EXAMPLE}/worker.ts`, { ...processEnv(), HEALTH_PORT: '0', WORKER_ID: 'example-worker', SHUTDOWN_TIMEOUT_MS: '2000' }, /"msg":"worker started"/);
  producer = await spawnTs(`${EXAMPLE}/producer.ts`, { ...processEnv(), PORT: '0', HOST: '127.0.0.1' }, /"msg":"producer listening"/);
  // The stock worker with WORKFLOWS_MODULE, on the batch lane only (WF99 is interactive: it leaves WF99 to the example's).
  stockWorker = await spawnTs(
    'apps/worker/src/main.ts',
    { ...processEnv(), HEALTH_PORT: '0', WORKER_ID: 'stock-worker', WORKER_LANES: 'batch', SHUTDOWN_TIMEOUT_MS: '2000', WORKFLOWS_MODULE: `${EXAMPLE}/workflows.ts` },
    /"msg":"worker started"/,
  );
  const listening = producer.output.join('').split('\n').find((l) => l.includes('"msg":"producer listening"'))!;
  producerUrl = (JSON.parse(listening) as { url: string }).url;
  revos = createRevosClient<ReferenceWorkflowPayloads & OwnWorkflowPayloads>({ baseUrl: producerUrl, apiKey: key });
}, 90_000);

afterAll(async () => {
  for (const p of [worker, producer, stockWorker]) {
    if (p && p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  await h?.close();
});

describe('examples/custom-workflow', () => {
  it('serves WF99 beside the reference workflows in every process, the stock worker with WORKFLOWS_MODULE included', async () => {
    const workflowCount = (p: Spawned, msg: string) => {
      const line = p.output.join('').split('\n').find((l) => l.includes(`"msg":"${msg}"`))!;
      return (JSON.parse(line) as { workflows: number }).workflows;
    };
    const withOwn = workflowCount(worker, 'worker started');
    expect(workflowCount(stockWorker, 'worker started')).toBe(withOwn);
    expect(workflowCount(producer, 'producer listening')).toBe(withOwn);
    const wf99 = (await revos.listWorkflows()).find((w) => w.name === 'WF99_Recall_Reminder');
    expect(wf99).toMatchObject({ version: '1.0.0', lane: 'interactive', outbound: 'sms' });
    const doc = await revos.openApiDocument();
    expect(JSON.stringify(doc)).toContain('Payload.WF99_Recall_Reminder.1.0.0');
  });

  it('runs a WF99 submitted with @revos/client end to end: one text, one event, and a resubmission is the same run', async () => {
    const body = {
      meta: { workflow_name: 'WF99_Recall_Reminder' as const, trigger_source: 'ui' as const, trigger_id: `recall:${ulid()}`, environment: 'staging' as const, privacy_mode: 'standard' as const },
      subject: { patient_id: 'p_recall_1' },
      payload: { to: '+15551230077', recall: 'hygiene' as const, due_by: '2027-01-15' },
    };
    const smsBefore = h.vendor.countFor('sms');
    const run = await revos.submitRun(body);
    expect(run.status).toBe('queued');
    expect(await waitForStatus(run.workflow_run_id, 'ok')).toBe('ok');

    const detail = await revos.getRun(run.workflow_run_id);
    expect(detail.events.map((e) => e.event_type)).toEqual(['recall.reminder_sent']);
    expect(detail.events[0]!.payload).toEqual({ message_sid: expect.any(String), recall: 'hygiene' });
    expect(detail.external_calls).toEqual([expect.objectContaining({ service: 'twilio', endpoint: 'messages.create', success: true })]);
    expect(h.vendor.countFor('sms') - smsBefore).toBe(1);
    const sent = h.vendor.requests.filter((r) => r.route === 'sms').at(-1)!;
    expect(JSON.stringify(sent)).toContain('hygiene visit');

    const again = await revos.submitRun(body);
    expect(again).toEqual({ ...run, status: 'duplicate' });
    expect(h.vendor.countFor('sms') - smsBefore).toBe(1);
  });

  it('refuses a WF99 payload that breaks its schema before answering, naming each field', async () => {
    const refused = await revos
      .submitRun({
        meta: { workflow_name: 'WF99_Recall_Reminder', trigger_source: 'ui', trigger_id: `recall:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
        subject: { patient_id: 'p_recall_1' },
        payload: { to: '555-0100', recall: 'hygiene', due_by: 'next week' },
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'RevosApiError', status: 400 });
    expect((refused as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['payload.due_by', 'payload.to']);
  });

  it("enqueues a WF99 run through the example's CLI entry, and through the stock CLI with WORKFLOWS_MODULE", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revos-example-'));
    const file = join(dir, 'recall.json');
    const envelope = (triggerId: string) => ({
      meta: { workflow_name: 'WF99_Recall_Reminder', trigger_source: 'ui', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'p_recall_1' },
      payload: { to: '+15551230078', recall: 'annual_exam', due_by: '2027-02-01' },
    });
    writeFileSync(file, JSON.stringify(envelope(`recall:${ulid()}`)));
    const own = await cli(`${EXAMPLE}/cli.ts`, ['enqueue', file, '--tenant', TENANT, '--json']);
    expect(own.err).toBe('');
    expect(own.code).toBe(0);
    const ownRun = JSON.parse(own.out) as { status: string; workflow_run_id: string };
    expect(ownRun.status).toBe('queued');
    expect(await waitForStatus(ownRun.workflow_run_id, 'ok')).toBe('ok');

    writeFileSync(file, JSON.stringify(envelope(`recall:${ulid()}`)));
    const stockWithout = await cli('apps/producer/src/cli.ts', ['enqueue', file, '--tenant', TENANT, '--json']);
    expect(stockWithout.code).toBe(1);
    expect(stockWithout.out).toContain('unknown_workflow');
    const stock = await cli('apps/producer/src/cli.ts', ['enqueue', file, '--tenant', TENANT, '--json'], { WORKFLOWS_MODULE: `${EXAMPLE}/workflows.ts` });
    expect(stock.code).toBe(0);
    expect((JSON.parse(stock.out) as { status: string }).status).toBe('queued');
  }, 120_000); // three CLI processes, each compiling its TypeScript on start: slow on a loaded machine

  it('exits 78 naming WORKFLOWS_MODULE when the module is missing or exports no workflows', async () => {
    const missing = await cli('apps/producer/src/cli.ts', ['tasks', 'list'], { WORKFLOWS_MODULE: 'examples/custom-workflow/src/no-such-file.ts' });
    expect(missing.code).toBe(78);
    expect(missing.err).toMatch(/WORKFLOWS_MODULE: cannot load .*no-such-file\.ts/);
    const wrong = await cli('apps/producer/src/cli.ts', ['tasks', 'list'], { WORKFLOWS_MODULE: `${EXAMPLE}/env.ts` });
    expect(wrong.code).toBe(78);
    expect(wrong.err).toMatch(/WORKFLOWS_MODULE: .*env\.ts must export `workflows`/);
  }, 90_000);
});
