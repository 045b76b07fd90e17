/**
 * Pacing per sending number through the API against the real fleet: two worker replicas (each its own
 * Redis connection and limiter object, sharing only Redis) send many texts from one number to the
 * Twilio stand-in; the stand-in's receive times respect the number's `sms_mps`, nothing is sent twice,
 * the excess waited as deferred jobs (`deferred_pacing`, no attempt spent), a text whose `valid_until`
 * passed while it waited ends `blocked` / `expired`, and Twilio's rate refusals slow the sender instead
 * of failing the run.
 */
import { issueApiKey, upsertTenant } from '@revos/db';
import { createLaneWorker, WorkflowCatalog } from '@revos/runtime';
import { createHttpPmsAdapter, createSenderPacer, createTwilioSmsProvider, createTwilioVoiceProvider, referenceWorkflows } from '@revos/workflows';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allowSms, REDIS_URL, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { startPatientsProducer } from './helpers.js';

const SENDER = TENANT_CONFIG.sms_from;
/** Shared by both replicas' pacers (and only by them). */
const PACE_PREFIX = `revos-pace-test-${ulid().toLowerCase()}`;
let h: Harness;
let p: TestProducer;
let apiKey: string;
let redisA: Redis;
let redisB: Redis;
let replicaB: Worker;

beforeAll(async () => {
  redisA = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  redisB = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  h = await startHarness({ services: { pacer: createSenderPacer(redisA, { prefix: PACE_PREFIX }) }, lanes: ['interactive'], concurrency: 4 });
  // A second replica: its own adapters, catalog, pacer and Redis connection; the same queue and database.
  // Its own account sid, so the stand-in's request paths tell which replica sent what.
  const twilio = { baseUrl: h.vendor.url, accountSid: 'AC_replica_b', authToken: 'test-token', timeoutMs: 2_000 };
  const services = {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: `${h.vendor.url}/pms`, apiKey: 'test-key', timeoutMs: 2_000 }),
    pacer: createSenderPacer(redisB, { prefix: PACE_PREFIX }),
  };
  const deps = { ...h.deps, catalog: new WorkflowCatalog(referenceWorkflows(services)), workerId: 'replica-b' };
  replicaB = createLaneWorker({ lane: 'interactive', concurrency: 4, connection: redisB, prefix: h.prefix, deps, log: h.deps.log });
  void replicaB.run();
  await replicaB.waitUntilReady();
  p = await startPatientsProducer(h);
  ({ api_key: apiKey } = await issueApiKey(h.db.sql, TENANT, 'pacing-test'));
  await allowSms(h.db, 'p_paced');
});
afterAll(async () => {
  await replicaB?.close();
  await p?.close();
  await h?.close();
  for (const r of [redisA, redisB]) {
    if (!r) continue;
    const keys = await r.keys(`${PACE_PREFIX}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  }
});
beforeEach(() => {
  h.vendor.reset();
  h.vendor.listAcrossAccounts(true);
});

async function setRate(mps: number) {
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, sms_mps: { [SENDER]: mps } } });
}

let seq = 0;
async function text(to: string, payload: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `pace_${Date.now()}_${seq++}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'p_paced' },
      payload: { to, body: 'Your results are ready', ...payload },
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body['workflow_run_id'] as string;
}

const number = (i: number) => `+1555666${String(i).padStart(4, '0')}`;
const sendTimes = () => h.vendor.requests.filter((r) => r.route === 'sms' && r.method === 'POST').map((r) => r.receivedAt.getTime()).sort((a, b) => a - b);
const eventTypes = async (runIds: string[]) =>
  h.db.sql<{ workflow_run_id: string; event_type: string; payload: Record<string, unknown> | null }[]>`
    select workflow_run_id, event_type, payload from events where workflow_run_id = any(${runIds}) order by occurred_at`;

describe('pacing per sending number', () => {
  it('two replicas send 12 texts from one number at 2 a second, each once, the excess deferred in the queue', async () => {
    const mps = 2;
    await setRate(mps);
    const runIds = await Promise.all(Array.from({ length: 12 }, (_, i) => text(number(i))));
    const rows = await Promise.all(runIds.map((id) => h.waitForRun(id, undefined, 30_000)));
    expect(rows.map((r) => r.status)).toEqual(Array(12).fill('ok'));
    expect(rows.every((r) => r.retry_count === 0)).toBe(true);

    // Each number texted once; one request per text (a deferred run never reached Twilio).
    const to = h.vendor.resources.filter((r) => r.kind === 'message').map((r) => r.fields['to']);
    expect(to.sort()).toEqual(Array.from({ length: 12 }, (_, i) => number(i)).sort());
    const times = sendTimes();
    expect(times).toHaveLength(12);
    // At most `mps` a one-second window (windows start at least a second apart): any 2·mps+1 texts span a second or more.
    // Slack for the HTTP hop between the limiter and the stand-in on a loaded machine (unpaced, 4 texts took 61 ms).
    const jitterMs = 200;
    for (let i = 0; i + 2 * mps < times.length; i++) expect(times[i + 2 * mps]! - times[i]!).toBeGreaterThanOrEqual(1_000 - jitterMs);
    // And 12 texts at 2 a second take at least 5 seconds from first to last.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(5_000 - jitterMs);

    const events = await eventTypes(runIds);
    const deferred = events.filter((e) => e.event_type === 'deferred_pacing');
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred[0]!.payload).toMatchObject({ sms_mps: mps, slowed: false });
    expect(events.filter((e) => e.event_type === 'sms.sent')).toHaveLength(12);
    // Both replicas sent some of them.
    const byB = h.vendor.requests.filter((r) => r.route === 'sms' && r.path.includes('/AC_replica_b/')).length;
    expect(byB).toBeGreaterThan(0);
    expect(byB).toBeLessThan(12);
  });

  it('ends blocked / expired a text whose valid_until passes before its turn, never sending it late', async () => {
    await setRate(1);
    const validUntil = new Date(Date.now() + 2_500).toISOString();
    const runIds = await Promise.all(Array.from({ length: 6 }, (_, i) => text(number(100 + i), { valid_until: validUntil })));
    const rows = await Promise.all(runIds.map((id) => h.waitForRun(id, undefined, 30_000)));
    const expired = rows.filter((r) => r.status === 'blocked' && r.failure_code === 'expired');
    const sent = rows.filter((r) => r.status === 'ok');
    expect(expired.length + sent.length).toBe(6);
    // One a second for 2.5 s: at most three can go; the rest expire.
    expect(expired.length).toBeGreaterThanOrEqual(3);
    for (const t of sendTimes()) expect(t).toBeLessThan(Date.parse(validUntil));
    expect(h.vendor.resources.filter((r) => r.kind === 'message')).toHaveLength(sent.length);
    const events = await eventTypes(expired.map((r) => r.workflow_run_id));
    for (const r of expired) expect(events.find((e) => e.workflow_run_id === r.workflow_run_id && e.event_type === 'sms.expired')?.payload).toMatchObject({ field: 'valid_until' });
  });

  it("slows the sender down on Twilio's rate refusal (20429) and sends the text later, without failing or spending an attempt", async () => {
    await setRate(5);
    h.vendor.script('sms', [{ status: 429, body: { code: 20429, message: 'Too Many Requests', status: 429 } }]);
    const runId = await text(number(200));
    const row = await h.waitForRun(runId, undefined, 30_000);
    expect([row.status, row.retry_count]).toEqual(['ok', 0]);
    const events = await eventTypes([runId]);
    // Refused once, deferred (then paced at the slowed rate, which may defer it again), sent once.
    expect(events.at(-1)!.event_type).toBe('sms.sent');
    expect(events.slice(0, -1).every((e) => e.event_type === 'deferred_pacing')).toBe(true);
    expect(events[0]!.payload).toMatchObject({ slowed: true, vendor_code: 20429 });
    expect(sendTimes()).toHaveLength(2);
    expect(await redisA.exists(`${PACE_PREFIX}:pace:slow:${SENDER}`)).toBe(1);
    expect(h.vendor.resources.filter((r) => r.kind === 'message')).toHaveLength(1);
  });
});
