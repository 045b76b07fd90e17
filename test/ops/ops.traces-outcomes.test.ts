/**
 * A vendor call whose answer is lost, as the trace, the journal and the run tell it: for every answer
 * the HTTP core classifies as outcome `unknown` (a 5xx, a reset, our timeout) the vendor-call span, the
 * attempt's span, the effect journal and the run carry the same failure code (the adapter's), and the
 * vendor-call span says `vendor_outcome=unknown`; `effect_outcome_unknown` is only ever the run's code
 * once staff must answer. Spans go over OTLP to the in-process collector; Twilio is the stand-in.
 */
import { createTracing, type Tracing } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, sleep, startHarness, type Harness } from '../support/harness.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlp-collector.js';
import type { ScriptedResponse } from '../support/vendor-standin.js';

const TO = '+15550008888';
let h: Harness;
let collector: OtlpCollector;
let tracing: Tracing;

beforeAll(async () => {
  collector = await startOtlpCollector();
  tracing = await createTracing({ endpoint: collector.url, serviceName: 'revos-worker' });
  // A listing delay long enough to see the run between its attempts; a short vendor timeout.
  h = await startHarness({ lanes: ['interactive'], tracer: tracing.tracer, listingDelayMs: 1_500, vendorTimeoutMs: 500 });
  await allowSms(h.db, 'p_outcomes');
});
afterAll(async () => {
  await h?.close();
  await tracing?.shutdown();
  await collector?.close();
});

let counter = 0;
function text() {
  return h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: TO, body: `outcome check ${++counter}` }, subject: { patient_id: 'p_outcomes' } });
}

/** The attempt's span and the vendor calls under its nodes, once the batch exporter has sent them. */
async function attemptSpans(runId: string, attempt: number): Promise<{ run: CollectedSpan; calls: CollectedSpan[] }> {
  for (let i = 0; i < 200; i++) {
    const run = collector.spans.find((s) => s.name === 'revos.run WF30_Send_SMS' && s.attributes['revos.workflow_run_id'] === runId && s.attributes['revos.job_attempt'] === attempt);
    if (run) {
      const nodes = new Set(collector.spans.filter((s) => s.parentSpanId === run.spanId).map((s) => s.spanId));
      return { run, calls: collector.spans.filter((s) => s.name === 'revos.vendor_call' && s.parentSpanId !== null && nodes.has(s.parentSpanId)) };
    }
    await sleep(50);
  }
  throw new Error(`no span for attempt ${attempt} of ${runId}`);
}

async function journal(key: string) {
  const [row] = await h.db.sql<{ state: string; failure_code: string | null; attempts: number }[]>`
    select state, failure_code, attempts from effects where idempotency_key = ${key} and effect_name = 'sms.send'`;
  return row;
}

const html = (status: number): ScriptedResponse => ({ status, body: `<html><body>${status}</body></html>`, headers: { 'content-type': 'text/html' } });

describe('a lost answer: span, attempt, journal and run agree on its code', () => {
  it.each<{ answer: string; response: ScriptedResponse; code: string; callsAfter: number }>([
    { answer: 'a 500', response: { status: 500, body: { code: 20500, message: 'Internal Server Error' } }, code: 'vendor_unavailable', callsAfter: 1 },
    { answer: 'a 502 from a gateway', response: html(502), code: 'vendor_unavailable', callsAfter: 1 },
    { answer: 'a 503', response: { status: 503, body: { code: 20503, message: 'Service Unavailable' } }, code: 'vendor_unavailable', callsAfter: 1 },
    { answer: 'a 504 from a gateway', response: html(504), code: 'vendor_unavailable', callsAfter: 1 },
    { answer: 'a reset after the request was written', response: { destroy: true }, code: 'network', callsAfter: 1 },
    // The vendor acts after our timeout: the retry's lookup finds the message, so it calls no more.
    { answer: 'our timeout', response: { status: 201, delayMs: 900 }, code: 'timeout', callsAfter: 0 },
  ])('$answer: $code everywhere, the call marked outcome unknown, settled by the retry', async ({ response, code, callsAfter }) => {
    h.vendor.script('sms', [response]);
    const envelope = text();
    const runId = envelope.meta.workflow_run_id;
    await h.enqueue(envelope);

    // Between the attempts: the run waits for the vendor's list with the call's own code.
    const waiting = await h.waitForRun(runId, (r) => r.status === 'retry', 15_000);
    expect(waiting.failure_code).toBe(code);
    expect(await journal(envelope.meta.idempotency_key)).toMatchObject({ state: 'unknown', failure_code: code, attempts: 1 });

    const done = await h.waitForRun(runId, undefined, 20_000);
    expect(done).toMatchObject({ status: 'ok', retry_count: 1 });
    expect(await journal(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', failure_code: null, attempts: 1 + callsAfter });

    const first = await attemptSpans(runId, 1);
    expect(first.run.attributes).toMatchObject({ 'revos.status': 'retry', 'revos.failure_code': code });
    expect(first.calls.map((c) => c.attributes)).toEqual([
      expect.objectContaining({ 'revos.success': false, 'revos.failure_code': code, 'revos.vendor_outcome': 'unknown' }),
    ]);
    const second = await attemptSpans(runId, 2);
    expect(second.run.attributes['revos.status']).toBe('ok');
    expect(second.run.attributes['revos.failure_code']).toBeUndefined();
    expect(second.calls.map((c) => c.attributes)).toEqual(
      Array.from({ length: callsAfter }, () => expect.objectContaining({ 'revos.success': true, 'revos.vendor_outcome': 'sent' })),
    );
    // No span calls a lost answer effect_outcome_unknown: that is the run's code only when staff must answer.
    const codes = [first.run, ...first.calls, second.run, ...second.calls].map((s) => s.attributes['revos.failure_code']);
    expect(codes).not.toContain('effect_outcome_unknown');
  }, 40_000);

  it("a lookup that fails too: the run retries with the call's code, not the lookup's, as the journal and the span say", async () => {
    h.vendor.script('sms', [{ destroy: true }]);
    h.vendor.script('sms_list', [{ status: 500, body: { code: 20500 } }]);
    const envelope = text();
    const runId = envelope.meta.workflow_run_id;
    await h.enqueue(envelope);
    const waiting = await h.waitForRun(runId, (r) => r.status === 'retry', 15_000);
    expect(waiting.failure_code).toBe('network');
    const entry = await h.db.sql<{ state: string; failure_code: string; reconciliations: { answer: string; evidence: Record<string, unknown> }[] }[]>`
      select state, failure_code, reconciliations from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(entry).toEqual([{ state: 'unknown', failure_code: 'network', reconciliations: [expect.objectContaining({ answer: 'undecidable', evidence: { lookup_error: 'vendor_unavailable' } })] }]);
    expect((await h.waitForRun(runId, undefined, 20_000)).status).toBe('ok');
    const first = await attemptSpans(runId, 1);
    expect(first.run.attributes).toMatchObject({ 'revos.status': 'retry', 'revos.failure_code': 'network' });
    expect(first.calls.map((c) => c.attributes)).toEqual([expect.objectContaining({ 'revos.failure_code': 'network', 'revos.vendor_outcome': 'unknown' })]);
  }, 40_000);

  it('a 500 after the vendor acted: found by the lookup in the same attempt; the call still says what it was', async () => {
    h.vendor.script('sms', [{ status: 500, accept: true, body: { code: 20500 } }]);
    const envelope = text();
    await h.enqueue(envelope);
    const done = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 20_000);
    expect(done).toMatchObject({ status: 'ok', retry_count: 0, failure_code: null });
    expect(await journal(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 1 });
    const only = await attemptSpans(envelope.meta.workflow_run_id, 1);
    expect(only.run.attributes['revos.status']).toBe('ok');
    expect(only.calls.map((c) => c.attributes)).toEqual([
      expect.objectContaining({ 'revos.success': false, 'revos.failure_code': 'vendor_unavailable', 'revos.vendor_outcome': 'unknown' }),
    ]);
  }, 40_000);
});
