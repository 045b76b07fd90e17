/**
 * A worker killed (SIGKILL) while its charge is in flight at the processor: the charge has been made,
 * the answer never reaches the worker. Another worker takes the run over and the processor answers
 * the same idempotency key with the same PaymentIntent: one charge, one event, the run ok.
 */
import { setConsent } from '@revos/db';
import { defineWorkflow, enqueueRun, WorkflowCatalog } from '@revos/runtime';
import { createStripePaymentProvider, WF60_Collect_Payment } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { spawnTs, type Spawned } from '../support/processes.js';
import { startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';

/** Registered by test/support/payment-worker-process.ts (which starts a worker on import). */
const CRASH_COLLECT = 'WF96_Test_Collect_Payment';
let h: Harness;
let stripe: StripeStandin;
const spawned: Spawned[] = [];

beforeAll(async () => {
  stripe = await startStripeStandin();
  h = await startHarness({ noWorkers: true });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: 'p_payer', channel: 'payment', status: 'allow', source: 'test' });
});
afterAll(async () => {
  for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await h?.close();
  await stripe?.close();
});

function startWorker(name: string): Promise<Spawned> {
  return spawnTs(
    'test/support/payment-worker-process.ts',
    {
      DATABASE_URL: h.database.url,
      MIGRATE_ON_START: 'false',
      QUEUE_PREFIX: h.prefix,
      WORKER_LANES: 'realtime',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      WORKER_ID: name,
      STRIPE_BASE_URL: stripe.url,
      STRIPE_SECRET_KEY: stripe.secretKey,
      SHUTDOWN_TIMEOUT_MS: '1000',
    },
    /"ready":true/,
  ).then((p) => {
    spawned.push(p);
    return p;
  });
}

describe('a worker killed while its charge is in flight', () => {
  it('is finished by another worker with the same PaymentIntent: one charge, one event', async () => {
    const victim = await startWorker('victim');
    // The processor charges at once and holds its answer: the worker dies waiting for it.
    stripe.failNext({ kind: 'delay_after_acting', ms: 2_000 });
    const payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 1_000 });
    // The test's catalog only needs the workflow's lane and attempts to enqueue it.
    const catalog = new WorkflowCatalog([defineWorkflow({ ...WF60_Collect_Payment(payments), name: CRASH_COLLECT, lane: 'realtime', timeoutMs: 4_000 })]);
    const envelope = h.envelope({
      workflow: CRASH_COLLECT,
      payload: { amount_minor: 1500, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'copay' },
      subject: { patient_id: 'p_payer' },
    });
    await enqueueRun(h.queues, catalog, envelope);

    for (let i = 0; i < 1_000 && stripe.charges().length === 0; i++) await sleep(10);
    expect(stripe.charges()).toHaveLength(1);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const [before] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(before).toBeUndefined(); // nothing finished it

    await startWorker('rescuer');
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 60_000);
    expect(run.status).toBe('ok');
    expect(stripe.charges()).toHaveLength(1);
    expect(run.output?.result.primary_outputs['payment_intent_id']).toBe(stripe.charges()[0]?.id);
    const posts = stripe.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(2); // the rescuer really asked again
    expect(new Set(posts.map((r) => r.idempotencyKey)).size).toBe(1);
    const events = await h.db.sql`select event_type from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events).toEqual([{ event_type: 'payment.collected' }]);
  }, 90_000);
});
