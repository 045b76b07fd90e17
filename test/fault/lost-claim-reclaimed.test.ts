import { defineWorkflow, runAttempt } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/postgres-server.js';

/**
 * A claim lost to a PostgreSQL crash, and the key claimed again by another delivery before the
 * first attempt's next write (found by fault#9, issue 14). A lost *fresh* claim leaves no row, so
 * the next claim of the key inserts it again with fence 1: the same fence the first attempt still
 * holds in memory. With the fence alone as the lease, both attempts held (key, fence 1,
 * in_progress), both wrote the intent, and a vendor that does not dedupe was called twice. Each
 * claim now draws its own lease token, and every write is conditioned on it: the first attempt's
 * intent is refused, it does not call the vendor, and it ends 'lost'.
 *
 * Sequence, as the crash leaves it (the row is deleted in one case, the private server crashed in
 * the other):
 *   A claims (fence 1, async commit) → A is in its step before the vendor call → the server
 *   crashes; A's claim was not yet written → B (same key, its own run) claims: row absent, inserted,
 *   fence 1, fresh → B writes its intent and calls Twilio → A reaches ctx.effect: its lease
 *   (key, 1, its token) no longer matches B's row, so its intent is refused and A calls nobody.
 */
let h: Harness;
let crashH: Harness;
let pg: PrivatePostgres;
/** The stand-in of the harness the current case runs on. */
let vendorUrl = '';
const gates = new Map<string, { reached: () => void; release: Promise<void> }>();

function gate(name: string) {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const releaseP = new Promise<void>((r) => (release = r));
  gates.set(name, { reached, release: releaseP });
  return { reached: reachedP, release };
}
async function pass(name: string) {
  const g = gates.get(name);
  if (!g) return;
  g.reached();
  await g.release;
}

const reclaimed = defineWorkflow({
  name: 'WF87_Test_Lost_Claim_Reclaimed',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ to: z.string() }),
  async run(ctx) {
    // Gated per attempt: A is the run's first attempt, B its redelivery (the same accepted run).
    const runId = `${ctx.envelope.meta.workflow_run_id}:${ctx.retryCount}`;
    await pass(`before-effect:${runId}`);
    const sms = createTwilioSmsProvider({ baseUrl: vendorUrl, accountSid: 'AC_test', authToken: 'test-token', timeoutMs: 2_000 });
    const sent = await ctx.effect(
      'sms.send',
      { service: 'twilio', endpoint: 'messages.create', eventType: 'sms.sent', vendorDedupes: false },
      async ({ signal, idempotencyToken }) => {
        await pass(`in-vendor-call:${runId}`);
        return sms.sendMessage({ to: ctx.payload.to, from: '+15550000002', body: 'reclaimed claim test' }, { signal, idempotencyToken }).then((r) => ({ sid: r.sid }));
      },
    );
    return { summary: 'sent', primary_outputs: sent };
  },
});

beforeAll(async () => {
  h = await startHarness({ noWorkers: true, extraWorkflows: [reclaimed] });
  pg = await startPrivatePostgres();
  crashH = await startHarness({ noWorkers: true, extraWorkflows: [reclaimed], createDatabase: () => pg.createDatabase() });
});
afterAll(async () => {
  await h?.close();
  await crashH?.close();
  await pg?.stop();
});

describe('a claim lost to a PostgreSQL crash, then claimed by another delivery of the key', () => {
  it.each([
    { loss: 'the row deleted, as the crash leaves it' },
    { loss: 'a real crash of a private server (immediate shutdown, crash recovery)' },
  ])('$loss: the attempt that lost its claim must not call a vendor that does not dedupe: one text', async ({ loss }) => {
    const real = loss.startsWith('a real');
    const t = real ? crashH : h;
    t.vendor.reset();
    vendorUrl = t.vendor.url;
    const a = t.envelope({ workflow: 'WF87_Test_Lost_Claim_Reclaimed', payload: { to: '+15550000001' } });
    await t.accept(a, 'interactive'); // committed synchronously: the crash below cannot lose it
    // B: the same accepted run delivered again (BullMQ's redelivery of a stalled job, or the reconciler's).
    const b = a;
    const bRunId = `${a.meta.workflow_run_id}:1`;
    const attempt = (envelope: typeof a, attemptsMade: number) => runAttempt(t.deps, envelope, { jobId: `j-${attemptsMade}`, lane: 'interactive', attemptsMade, maxAttempts: 5 });

    const aBefore = gate(`before-effect:${a.meta.workflow_run_id}:0`);
    const bInCall = gate(`in-vendor-call:${bRunId}`);
    const runA = attempt(a, 0);
    await aBefore.reached; // A holds the claim (fence 1) and is in its step before the vendor call
    if (real) {
      // Nothing else commits on this server now, so A's claim is still in WAL buffers (wal_writer_delay 10 s).
      await pg.crash();
      await pg.start();
    } else {
      await t.db.sql`delete from idempotency_keys where idempotency_key = ${a.meta.idempotency_key}`;
    }
    const [survived] = await t.db.sql`select 1 from idempotency_keys where idempotency_key = ${a.meta.idempotency_key}`;
    expect(survived, 'the crash did not lose the claim: this run cannot show the case').toBeUndefined();
    const runB = attempt(b, 1);
    await bInCall.reached; // B claimed the key anew, wrote its intent, and is calling Twilio
    aBefore.release(); // A goes on: its next write is the intent, under (key, fence 1)
    const outcomeA = await runA;
    bInCall.release();
    const outcomeB = await runB;

    const texts = t.vendor.requests.filter((r) => r.route === 'sms');
    const [key] = await t.db.sql<{ fence: string; state: string }[]>`
      select fence::text, state from idempotency_keys where idempotency_key = ${a.meta.idempotency_key}`;
    const [journal] = await t.db.sql<{ effects: unknown; events: number; runs: unknown }[]>`
      select (select json_agg(json_build_object('state', state, 'run', workflow_run_id, 'attempts', attempts)) from effects where idempotency_key = ${a.meta.idempotency_key}) as effects,
             (select count(*)::int from events where idempotency_key = ${a.meta.idempotency_key} and effect_name = 'sms.send') as events,
             (select json_agg(json_build_object('run', workflow_run_id, 'status', status)) from workflow_runs where idempotency_key = ${a.meta.idempotency_key}) as runs`;
    const tokens = new Set(texts.map((r) => r.headers['i-twilio-idempotency-token']));
    console.log(
      `lost claim reclaimed (${real ? 'real crash' : 'row deleted'}): A=${a.meta.workflow_run_id}:${outcomeA.kind} B=${bRunId}:${outcomeB.kind} ` +
        `texts=${texts.length} distinct_tokens=${tokens.size} key=${JSON.stringify(key)} effects=${JSON.stringify(journal?.effects)} sms_sent_events=${journal?.events} runs=${JSON.stringify(journal?.runs)}`,
    );
    expect(texts).toHaveLength(1);
  });
});
