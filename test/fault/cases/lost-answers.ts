/**
 * Fault case 8: vendors that act and then lose their answer. Texts (WF30_Send_SMS, Twilio does not
 * dedupe) and bookings (WF18_Schedule, the PMS dedupes by Idempotency-Key) go through a stand-in that
 * answers each create with a random mode: a normal answer, a reset before or after acting, a reset
 * mid-body, 502/503/504 after acting, a plain 500 or 429 (not acted), a 2xx whose body is not JSON,
 * or an answer that comes after our timeout. Checks, from the vendor's own records: no text sent
 * twice, no booking made twice, every accepted run ok or failed with a task, and how many uncertain
 * effects the vendor's lookup settled without a person.
 */
import { setConsent } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForFinal } from '../../support/fault-audit.js';
import { startHarness, TENANT, type Harness } from '../../support/harness.js';
import { lateAnswer, MISBEHAVIOUR, type ScriptedResponse } from '../../support/vendor-standin.js';

export interface LostAnswersProfile {
  name: 'short' | 'full';
  texts: number;
  bookings: number;
  /** Share of creates answered normally; the rest misbehave, each mode equally likely. */
  healthyShare: number;
  drainTimeoutMs: number;
}

/** The modes, by name (printed in the figures). `accepted`: the vendor acted before losing the answer. */
const MODES: { name: string; response: ScriptedResponse; accepted: boolean }[] = [
  { name: 'reset_after_request', response: MISBEHAVIOUR.resetAfterRequest, accepted: true },
  { name: 'reset_before_acting', response: { destroy: true }, accepted: false },
  { name: 'reset_mid_body', response: MISBEHAVIOUR.resetMidBody, accepted: true },
  { name: 'gateway_502', response: MISBEHAVIOUR.gateway502, accepted: true },
  { name: 'gateway_503', response: MISBEHAVIOUR.gateway503, accepted: true },
  { name: 'gateway_504', response: MISBEHAVIOUR.gateway504, accepted: true },
  { name: 'plain_500', response: { status: 500, body: { code: 20500 } }, accepted: false },
  { name: 'rate_limited_429', response: { status: 429, headers: { 'retry-after': '1' }, body: { code: 20429 } }, accepted: false },
  { name: 'non_json_2xx', response: MISBEHAVIOUR.nonJson2xx, accepted: true },
  { name: 'late_answer', response: lateAnswer(1_500), accepted: true },
];

const pick = <T,>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

function script(count: number, healthyShare: number, tally: Map<string, number>): ScriptedResponse[] {
  return Array.from({ length: count }, () => {
    if (Math.random() < healthyShare) {
      tally.set('healthy', (tally.get('healthy') ?? 0) + 1);
      return { status: 201 };
    }
    const mode = pick(MODES);
    tally.set(mode.name, (tally.get(mode.name) ?? 0) + 1);
    return mode.response;
  });
}

export function lostAnswersSuite(profile: LostAnswersProfile): void {
  let h: Harness;
  beforeAll(async () => {
    // The vendor timeout is short so late answers come after it. The listing delay must exceed how long the
    // vendor may take to act on a request after we sent it: the stand-in shares this process, and on a loaded
    // machine it has taken 1.7 s to get to a request (with 300 ms, an absence was "proven" before the vendor
    // had acted, and 3 texts of 400 went twice). Production's default is 60 s.
    h = await startHarness({ lanes: ['interactive'], concurrency: 32, vendorTimeoutMs: 1_000, listingDelayMs: 5_000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  const timeoutMs = profile.drainTimeoutMs + 120_000;
  describe(`fault#8 (${profile.name}): vendors that act and then lose their answer`, () => {
    it(`${profile.texts} texts and ${profile.bookings} bookings through random modes: no double send, nothing lost`, async () => {
      const tally = new Map<string, number>();
      // More scripted answers than first calls: retries and new calls after a proven absence draw from it too.
      h.vendor.script('sms', script(Math.ceil(profile.texts * 1.3), profile.healthyShare, tally));
      h.vendor.script('appointments', script(Math.ceil(profile.bookings * 1.3), profile.healthyShare, tally));

      const texts: { runId: string; key: string; body: string }[] = [];
      const bookings: { runId: string; key: string }[] = [];
      const submissions: Promise<void>[] = [];
      for (let i = 0; i < profile.texts; i++) {
        const patient = `p_fault_${i}`;
        const body = `fault#8 text ${i}`;
        submissions.push(
          (async () => {
            await setConsent(h.db.sql, { tenantId: TENANT, subjectId: patient, channel: 'sms', status: 'allow', source: 'test' });
            const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: `+1555${String(1_000_000 + i).padStart(7, '0')}`, body }, subject: { patient_id: patient } });
            const r = await submitRun(h, envelope, { source: 'api' });
            texts.push({ runId: r.workflow_run_id, key: r.idempotency_key, body });
          })(),
        );
        if (submissions.length >= 50) await Promise.all(submissions.splice(0));
      }
      for (let i = 0; i < profile.bookings; i++) {
        const envelope = h.envelope({
          workflow: 'WF18_Schedule',
          payload: { practice_id: 'prac_fault', slot_start: new Date(Date.UTC(2030, 0, 1) + i * 1_800_000).toISOString() },
          subject: { patient_id: `p_book_${i}` },
        });
        submissions.push(submitRun(h, envelope, { source: 'api' }).then((r) => void bookings.push({ runId: r.workflow_run_id, key: r.idempotency_key })));
        if (submissions.length >= 50) await Promise.all(submissions.splice(0));
      }
      await Promise.all(submissions);

      const all = [...texts.map((t) => t.runId), ...bookings.map((b) => b.runId)];
      const drainMs = await waitForFinal(h.db, all, profile.drainTimeoutMs);
      const rows = await h.db.sql<{ workflow_run_id: string; workflow_name: string; status: string; failure_code: string | null; out: Record<string, unknown> | null; open_tasks: number }[]>`
        select r.workflow_run_id, r.workflow_name, r.status, r.failure_code, r.output->'result'->'primary_outputs' as out,
               (select count(*)::int from tasks t where t.workflow_run_id = r.workflow_run_id and t.status = 'open') as open_tasks
          from workflow_runs r where r.workflow_run_id in ${h.db.sql(all)}`;
      const byRun = new Map(rows.map((r) => [r.workflow_run_id, r]));

      // From the vendor's own records: how many messages per text, appointments per booking token.
      const messagesPerBody = new Map<string, string[]>();
      for (const r of h.vendor.resources) if (r.kind === 'message') messagesPerBody.set(String(r.fields['body']), [...(messagesPerBody.get(String(r.fields['body'])) ?? []), r.id]);
      const doubleSends = texts.filter((t) => (messagesPerBody.get(t.body)?.length ?? 0) > 1);
      const okWithoutSend = texts.filter((t) => byRun.get(t.runId)?.status === 'ok' && (messagesPerBody.get(t.body)?.length ?? 0) !== 1);
      const wrongSid = texts.filter((t) => {
        const row = byRun.get(t.runId);
        const sid = row?.out?.['message_sid'];
        return row?.status === 'ok' && sid !== null && sid !== messagesPerBody.get(t.body)?.[0];
      });
      // The journal's `attempts` of a settled text is the number of creates the vendor received for it.
      const journaled = await h.db.sql<{ idempotency_key: string; attempts: number }[]>`
        select idempotency_key, attempts from effects
         where idempotency_key in ${h.db.sql(texts.map((t) => t.key))} and effect_name = 'sms.send' and state = 'completed'`;
      const attemptsOf = new Map(journaled.map((e) => [e.idempotency_key, e.attempts]));
      const createsPerBody = new Map<string, number>();
      for (const r of h.vendor.requests) if (r.route === 'sms') createsPerBody.set(r.form?.['Body'] ?? '', (createsPerBody.get(r.form?.['Body'] ?? '') ?? 0) + 1);
      const miscounted = texts
        .filter((t) => attemptsOf.has(t.key) && attemptsOf.get(t.key) !== createsPerBody.get(t.body))
        .map((t) => ({ run: t.runId, attempts: attemptsOf.get(t.key), creates: createsPerBody.get(t.body) }));
      const appointments = h.vendor.resources.filter((r) => r.kind === 'appointment');
      const perToken = new Map<string, number>();
      for (const a of appointments) perToken.set(a.idempotencyKey ?? '', (perToken.get(a.idempotencyKey ?? '') ?? 0) + 1);
      const bookingPosts = h.vendor.requests.filter((r) => r.route === 'appointments').length;
      const lost = all.filter((id) => !['ok', 'failed'].includes(byRun.get(id)?.status ?? ''));
      const failedWithoutTask = all.filter((id) => byRun.get(id)?.status === 'failed' && byRun.get(id)?.open_tasks !== 1);
      const okCount = all.filter((id) => byRun.get(id)?.status === 'ok').length;
      const failedCodes = new Map<string, number>();
      for (const id of all) {
        const row = byRun.get(id);
        if (row?.status === 'failed') failedCodes.set(row.failure_code ?? 'none', (failedCodes.get(row.failure_code ?? 'none') ?? 0) + 1);
      }

      // Uncertain text effects (the journal asked the vendor) and how they ended.
      const [asked] = await h.db.sql<{ asked: number; settled: number; to_staff: number; found: number; absent: number }[]>`
        select count(*)::int as asked,
               count(*) filter (where f.state = 'completed')::int as settled,
               count(*) filter (where f.state in ('unknown', 'started'))::int as to_staff,
               count(*) filter (where f.reconciliations @> '[{"answer":"found"}]')::int as found,
               count(*) filter (where f.reconciliations @> '[{"answer":"absent"}]')::int as absent
          from effects f where f.idempotency_key in ${h.db.sql(texts.map((t) => t.key))} and jsonb_array_length(f.reconciliations) > 0`;
      const bookingLookups = h.vendor.requests.filter((r) => r.route === 'appointments_lookup').length;
      const share = asked && asked.asked > 0 ? ((100 * asked.settled) / asked.asked).toFixed(1) : 'n/a';
      console.log(
        `fault#8 profile=${profile.name} texts=${profile.texts} bookings=${profile.bookings} modes=${JSON.stringify(Object.fromEntries(tally))} ` +
          `ok=${okCount} failed=${JSON.stringify(Object.fromEntries(failedCodes))} lost=${lost.length} failed_without_task=${failedWithoutTask.length} ` +
          `double_sends=${doubleSends.length} ok_without_send=${okWithoutSend.length} wrong_sid=${wrongSid.length} ` +
          `double_bookings=${[...perToken.values()].filter((n) => n > 1).length} booking_posts=${bookingPosts} booking_lookups=${bookingLookups} ` +
          `uncertain_texts=${asked?.asked ?? 0} settled_by_lookup=${asked?.settled ?? 0} (found=${asked?.found ?? 0} proven_absent=${asked?.absent ?? 0}) ` +
          `to_staff=${asked?.to_staff ?? 0} settled_without_person=${share}% drain_ms=${drainMs}`,
      );

      // A failure says why: the journal and the vendor's view of the first few offenders.
      for (const t of [...doubleSends, ...wrongSid].slice(0, 5)) {
        const [entry] = await h.db.sql<{ state: string; attempts: number; reconciliations: unknown; result: unknown }[]>`
          select state, attempts, reconciliations, result from effects where idempotency_key = ${t.key} and effect_name = 'sms.send'`;
        const calls = h.vendor.requests.filter((r) => r.form?.['Body'] === t.body).map((r) => r.receivedAt.toISOString());
        const made = h.vendor.resources.filter((r) => r.fields['body'] === t.body).map((r) => ({ id: r.id, at: r.createdAt.toISOString() }));
        const retries = await h.db.sql<{ payload: unknown; occurred_at: Date }[]>`
          select payload, occurred_at from events where workflow_run_id = ${t.runId} and event_type = 'run.retry_scheduled' order by occurred_at`;
        console.log(JSON.stringify({ run: t.runId, status: byRun.get(t.runId)?.status, out: byRun.get(t.runId)?.out, entry, calls, made, retries }));
      }
      expect({ lost, failedWithoutTask, doubleSends, okWithoutSend, wrongSid, miscounted }).toEqual({ lost: [], failedWithoutTask: [], doubleSends: [], okWithoutSend: [], wrongSid: [], miscounted: [] });
      expect(attemptsOf.size).toBeGreaterThan(0);
      expect([...perToken.values()].every((n) => n === 1)).toBe(true);
      // Every ok booking names the appointment the PMS holds for its token.
      expect(appointments.length).toBeLessThanOrEqual(profile.bookings);
      // The modes did land: some effects were uncertain and the vendor's lookup settled them.
      expect(asked?.asked ?? 0).toBeGreaterThan(0);
      expect(asked?.settled ?? 0).toBeGreaterThan(0);
    }, timeoutMs);
  });
}
