/**
 * Email through a misbehaving Postmark: WF36_Send_Email runs whose sends meet a random mode each (a
 * normal answer, a reset before or after Postmark acted, half an answer, 502/503/504 after acting, a
 * plain 500 or 429 that did nothing, a 200 that is not JSON, an answer after our timeout) while
 * Postmark's search lists an email only a while after accepting it. Checks, from the stand-in's own
 * records: no email sent twice, none lost (every run ok with its one email, or failed with a staff
 * task), and every ok run names the MessageID Postmark holds.
 */
import { setConsent } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForFinal } from '../../support/fault-audit.js';
import { startHarness, TENANT, type Harness } from '../../support/harness.js';
import type { PostmarkScript } from '../../support/postmark-standin.js';

export interface EmailLostAnswersProfile {
  name: 'short' | 'full';
  emails: number;
  /** Share of sends answered normally; the rest misbehave, each mode equally likely. */
  healthyShare: number;
  drainTimeoutMs: number;
}

const MODES: { name: string; answer: PostmarkScript }[] = [
  { name: 'reset_after_acting', answer: { destroy: true, accept: true } },
  { name: 'reset_before_acting', answer: { destroy: true } },
  { name: 'cut_body', answer: { cutBody: true } },
  { name: 'gateway_502', answer: { status: 502, accept: true } },
  { name: 'gateway_503', answer: { status: 503, accept: true } },
  { name: 'gateway_504', answer: { status: 504, accept: true } },
  { name: 'plain_500', answer: { status: 500 } },
  { name: 'rate_limited_429', answer: { status: 429 } },
  { name: 'non_json_200', answer: { nonJson: true } },
  { name: 'late_answer', answer: { status: 200, delayMs: 1_500, accept: true } },
];

function script(count: number, healthyShare: number, tally: Map<string, number>): PostmarkScript[] {
  return Array.from({ length: count }, () => {
    if (Math.random() < healthyShare) {
      tally.set('healthy', (tally.get('healthy') ?? 0) + 1);
      return { status: 200 };
    }
    const mode = MODES[Math.floor(Math.random() * MODES.length)]!;
    tally.set(mode.name, (tally.get(mode.name) ?? 0) + 1);
    return mode.answer;
  });
}

export function emailLostAnswersSuite(profile: EmailLostAnswersProfile): void {
  let h: Harness;
  beforeAll(async () => {
    // Our timeout is short so late answers come after it; the runtime trusts an absence only after 5 s,
    // longer than the stand-in's search lags (1 s) and than it takes to get to a request on a busy machine.
    h = await startHarness({ lanes: ['interactive'], concurrency: 32, vendorTimeoutMs: 1_000, listingDelayMs: 5_000 });
    h.postmark.setListingDelay(1_000);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe(`email fault (${profile.name}): Postmark acts and loses its answer`, () => {
    it(`${profile.emails} emails through random modes: no double send, nothing lost`, async () => {
      const tally = new Map<string, number>();
      h.postmark.script(script(Math.ceil(profile.emails * 1.3), profile.healthyShare, tally));

      const runs: { runId: string; key: string; to: string }[] = [];
      const submissions: Promise<void>[] = [];
      for (let i = 0; i < profile.emails; i++) {
        const patient = `p_mail_${i}`;
        const to = `patient${i}@fault.test`;
        submissions.push(
          (async () => {
            await setConsent(h.db.sql, { tenantId: TENANT, subjectId: patient, channel: 'email', status: 'allow', source: 'test' });
            const envelope = h.envelope({ workflow: 'WF36_Send_Email', payload: { to, template: 'appointment_reminder' }, subject: { patient_id: patient } });
            const r = await submitRun(h, envelope, { source: 'api' });
            runs.push({ runId: r.workflow_run_id, key: r.idempotency_key, to });
          })(),
        );
        if (submissions.length >= 50) await Promise.all(submissions.splice(0));
      }
      await Promise.all(submissions);

      const ids = runs.map((r) => r.runId);
      const drainMs = await waitForFinal(h.db, ids, profile.drainTimeoutMs);
      const rows = await h.db.sql<{ workflow_run_id: string; status: string; failure_code: string | null; out: Record<string, unknown> | null; open_tasks: number }[]>`
        select r.workflow_run_id, r.status, r.failure_code, r.output->'result'->'primary_outputs' as out,
               (select count(*)::int from tasks t where t.workflow_run_id = r.workflow_run_id and t.status = 'open') as open_tasks
          from workflow_runs r where r.workflow_run_id in ${h.db.sql(ids)}`;
      const byRun = new Map(rows.map((r) => [r.workflow_run_id, r]));

      // From Postmark's own records: emails per recipient (one recipient per run) and per reference.
      const perTo = new Map<string, string[]>();
      const perReference = new Map<string, number>();
      for (const e of h.postmark.emails) {
        perTo.set(e.To, [...(perTo.get(e.To) ?? []), e.MessageID]);
        const ref = e.Metadata['revos_ref'] ?? '';
        perReference.set(ref, (perReference.get(ref) ?? 0) + 1);
      }
      const doubleSends = runs.filter((r) => (perTo.get(r.to)?.length ?? 0) > 1);
      const lost = ids.filter((id) => !['ok', 'failed'].includes(byRun.get(id)?.status ?? ''));
      const okWithoutEmail = runs.filter((r) => byRun.get(r.runId)?.status === 'ok' && (perTo.get(r.to)?.length ?? 0) !== 1);
      const failedWithoutTask = ids.filter((id) => byRun.get(id)?.status === 'failed' && byRun.get(id)?.open_tasks !== 1);
      const wrongId = runs.filter((r) => {
        const row = byRun.get(r.runId);
        const id = row?.out?.['message_id'];
        return row?.status === 'ok' && id !== null && id !== perTo.get(r.to)?.[0];
      });
      const okCount = rows.filter((r) => r.status === 'ok').length;
      const failedCodes = new Map<string, number>();
      for (const r of rows) if (r.status === 'failed') failedCodes.set(r.failure_code ?? 'none', (failedCodes.get(r.failure_code ?? 'none') ?? 0) + 1);
      const [asked] = await h.db.sql<{ asked: number; settled: number; found: number; absent: number }[]>`
        select count(*)::int as asked,
               count(*) filter (where f.state = 'completed')::int as settled,
               count(*) filter (where f.reconciliations @> '[{"answer":"found"}]')::int as found,
               count(*) filter (where f.reconciliations @> '[{"answer":"absent"}]')::int as absent
          from effects f where f.idempotency_key in ${h.db.sql(runs.map((r) => r.key))} and jsonb_array_length(f.reconciliations) > 0`;
      console.log(
        `email-fault profile=${profile.name} emails=${profile.emails} modes=${JSON.stringify(Object.fromEntries(tally))} ok=${okCount} failed=${JSON.stringify(Object.fromEntries(failedCodes))} ` +
          `lost=${lost.length} failed_without_task=${failedWithoutTask.length} double_sends=${doubleSends.length} ok_without_email=${okWithoutEmail.length} wrong_id=${wrongId.length} ` +
          `sends=${h.postmark.sends.length} accepted=${h.postmark.emails.length} searches=${h.postmark.searches} uncertain=${asked?.asked ?? 0} settled_by_lookup=${asked?.settled ?? 0} ` +
          `(found=${asked?.found ?? 0} proven_absent=${asked?.absent ?? 0}) drain_ms=${drainMs}`,
      );

      expect({ lost, failedWithoutTask, doubleSends, okWithoutEmail, wrongId }).toEqual({ lost: [], failedWithoutTask: [], doubleSends: [], okWithoutEmail: [], wrongId: [] });
      expect([...perReference.values()].every((n) => n === 1)).toBe(true);
      // The modes did land: some sends were uncertain and Postmark's search settled them.
      expect(asked?.asked ?? 0).toBeGreaterThan(0);
      expect(asked?.settled ?? 0).toBeGreaterThan(0);
    }, profile.drainTimeoutMs + 120_000);
  });
}
