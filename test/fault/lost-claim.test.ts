import { defineWorkflow, runAttempt } from '@revos/runtime';
import { createHttpPmsAdapter, createTwilioSmsProvider } from '@revos/workflows';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A claim commits asynchronously (claimIdempotencyKeys), so a PostgreSQL server crash can lose it
 * after the worker was told it holds the key. Here the claim's row is deleted mid-run, which is the
 * state such a crash leaves: the attempt must not call a vendor that does not dedupe, must write
 * nothing, and the next attempt must end the run with each effect happening once at the vendor.
 */
let h: Harness;
/** Runs (by trigger) whose first attempt loses its claim. */
const loseClaim = new Set<string>();

const lostClaim = defineWorkflow({
  name: 'WF86_Test_Lost_Claim',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ vendor: z.enum(['pms', 'sms']) }),
  async run(ctx) {
    if (ctx.retryCount === 0 && loseClaim.has(ctx.envelope.meta.trigger_id)) {
      await h.db.sql`delete from idempotency_keys where idempotency_key = ${ctx.envelope.meta.idempotency_key}`;
    }
    if (ctx.payload.vendor === 'pms') {
      const pms = createHttpPmsAdapter({ baseUrl: `${h.vendor.url}/pms`, apiKey: 'test-key', timeoutMs: 2_000 });
      const booked = await ctx.effect(
        'pms.book',
        { service: 'pms_adapter', endpoint: 'appointment.book', eventType: 'appointment.booked', vendorDedupes: true },
        ({ signal, idempotencyToken }) =>
          pms
            .bookAppointment({ practiceId: 'p1', patientId: 'pat_1', slotStart: '2027-01-04T15:00:00Z' }, { signal, idempotencyKey: idempotencyToken })
            .then((r) => ({ appointment_id: r.appointmentId })),
      );
      return { summary: 'booked', primary_outputs: booked };
    }
    const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'test-token', timeoutMs: 2_000 });
    const sent = await ctx.effect(
      'sms.send',
      { service: 'twilio', endpoint: 'messages.create', eventType: 'sms.sent', vendorDedupes: false },
      ({ signal, idempotencyToken }) =>
        sms.sendMessage({ to: '+15550000001', from: '+15550000002', body: 'lost claim test' }, { signal, idempotencyToken }).then((r) => ({ sid: r.sid })),
    );
    return { summary: 'sent', primary_outputs: sent };
  },
});

beforeAll(async () => {
  h = await startHarness({ noWorkers: true, extraWorkflows: [lostClaim] });
});
afterAll(async () => {
  await h?.close();
});

describe('a claim lost to a PostgreSQL crash', () => {
  it.each([
    { vendor: 'pms' as const, kind: 'appointment', calls: 2, why: 'a vendor that dedupes is asked again and answers from its dedupe' },
    { vendor: 'sms' as const, kind: 'message', calls: 1, why: 'a vendor that does not dedupe is not called by the attempt that lost its claim' },
  ])('$vendor: $why; the run ends once', async ({ vendor, kind, calls }) => {
    h.vendor.reset();
    const envelope = h.envelope({ workflow: 'WF86_Test_Lost_Claim', payload: { vendor } });
    loseClaim.add(envelope.meta.trigger_id);
    await h.accept(envelope, 'interactive'); // as intake does: only accepted runs claim
    const attempt = (attemptsMade: number) => runAttempt(h.deps, envelope, { jobId: 'j', lane: 'interactive', attemptsMade, maxAttempts: 5 });

    const first = await attempt(0);
    expect(first.kind).toBe('lost');
    // Operators see the abandoned attempt, bound to its run.
    expect(h.logLines).toContainEqual(
      expect.objectContaining({ level: 'warn', workflow_run_id: envelope.meta.workflow_run_id, msg: 'lease lost; abandoning this attempt' }),
    );
    const [afterFirst] = await h.db.sql<{ n: number }[]>`
      -- The run's row is intake's queued one: the lost attempt recorded no outcome on it.
      select (select count(*) from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id} and status <> 'queued')::int
           + (select count(*) from events where idempotency_key = ${envelope.meta.idempotency_key})::int
           + (select count(*) from effects where idempotency_key = ${envelope.meta.idempotency_key})::int as n`;
    expect(afterFirst?.n).toBe(0);

    const second = await attempt(1);
    expect(second.kind).toBe('done');
    const route = vendor === 'pms' ? 'appointments' : 'sms';
    expect(h.vendor.requests.filter((r) => r.route === route)).toHaveLength(calls);
    expect(h.vendor.resources.filter((r) => r.kind === kind)).toHaveLength(1);
    if (vendor === 'pms') {
      // Both bookings carried the same token: that is what let the PMS answer the second from its dedupe.
      const tokens = h.vendor.requests.filter((r) => r.route === route).map((r) => r.headers['idempotency-key']);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).toBeTruthy();
    }

    const effects = await h.db.sql<{ state: string }[]>`
      select state from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(effects).toEqual([{ state: 'completed' }]);
    const [events] = await h.db.sql<{ n: number }[]>`
      select count(*)::int as n from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events?.n).toBe(1);
    const [run] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(run?.status).toBe('ok');
  });
});
