/**
 * A worker killed (SIGKILL) while its charge is in flight at the processor: the charge has been made,
 * the answer never reaches the worker. Another worker takes the run over and the processor answers
 * the same idempotency key with the same PaymentIntent: one charge, one event, the run ok. Past the
 * processor's key window the key is forgotten: the other worker finds the charge by our token instead,
 * and waits out the listing delay rather than charging again while the search lags.
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

function startWorker(name: string, env: Record<string, string> = {}): Promise<Spawned> {
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
      ...env,
    },
    /"ready":true/,
  ).then((p) => {
    spawned.push(p);
    return p;
  });
}
/** The test's catalog only needs the workflow's lane and attempts to enqueue it. */
function catalog(): WorkflowCatalog {
  const payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 1_000 });
  return new WorkflowCatalog([defineWorkflow({ ...WF60_Collect_Payment(payments), name: CRASH_COLLECT, lane: 'realtime', timeoutMs: 4_000 })]);
}

const crashCollect = () =>
  h.envelope({
    workflow: CRASH_COLLECT,
    payload: { amount_minor: 1500, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'copay' },
    subject: { patient_id: 'p_payer' },
  });

/** Kills `victim` once the processor holds a charge (its answer held back), before the run can finish. */
async function killAfterCharge(victim: Spawned, runId: string): Promise<void> {
  for (let i = 0; i < 1_000 && stripe.charges().length === 0; i++) await sleep(10);
  expect(stripe.charges()).toHaveLength(1);
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBe('SIGKILL');
  const [before] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${runId}`;
  expect(before?.status).toBe('queued'); // intake's row: nothing finished it
}

describe('a worker killed while its charge is in flight', () => {
  it('is finished by another worker with the same PaymentIntent: one charge, one event', async () => {
    const victim = await startWorker('victim');
    // The processor charges at once and holds its answer: the worker dies waiting for it.
    stripe.failNext({ kind: 'delay_after_acting', ms: 2_000 });
    const envelope = crashCollect();
    await h.accept(envelope, 'realtime'); // as intake does: the workers run only accepted runs
    await enqueueRun(h.queues, catalog(), envelope);

    await killAfterCharge(victim, envelope.meta.workflow_run_id);

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

  it('past the key window, while the search lags: the charge is found by our token, never charged twice', async () => {
    // Only this test's two workers may take the run.
    for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(spawned.map((p) => p.exited));
    stripe.reset();
    stripe.setKeyTtlMs(0);
    // Listed 15 s after creation, trusted 20 s after our call: the rescuer asks while the search still lags.
    stripe.setListingLagMs(15_000);
    const listingDelay = { RECONCILE_LISTING_DELAY_MS: '20000' };
    const victim = await startWorker('victim-late', listingDelay);
    stripe.failNext({ kind: 'delay_after_acting', ms: 2_000 });
    const fresh = crashCollect();
    const envelope = { ...fresh, meta: { ...fresh.meta, timestamp_utc: new Date(Date.now() - 25 * 3600_000).toISOString() } };
    await h.accept(envelope, 'realtime'); // as intake does: the workers run only accepted runs
    await enqueueRun(h.queues, catalog(), envelope);
    await killAfterCharge(victim, envelope.meta.workflow_run_id);

    await startWorker('rescuer-late', listingDelay);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 60_000);
    expect(run.status).toBe('ok');
    expect(stripe.charges()).toHaveLength(1);
    expect(stripe.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(run.output?.result.primary_outputs['payment_intent_id']).toBe(stripe.charges()[0]?.id);
    const [entry] = await h.db.sql<{ state: string; reconciliations: { answer: string }[] }[]>`
      select state, reconciliations from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(entry?.state).toBe('completed');
    expect(entry?.reconciliations.at(-1)?.answer).toBe('found');
  }, 90_000);
});
