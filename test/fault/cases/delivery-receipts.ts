/**
 * Fault case: delivery receipts under load. Texts go out (WF30_Send_SMS, each naming the status route
 * as its StatusCallback); the vendor stand-in then plays Twilio at its worst: every text's statuses
 * (queued, sent, then delivered or undelivered with a carrier error) are posted in a shuffled order
 * across all texts, each one one to three times, many at once, while forgers post callbacks signed
 * with the wrong token, with a tampered body, or unsigned, for the same texts and for statuses they
 * never reached. Checks, from the durable record: exactly one event per genuine (sid, status), none
 * for a forged one (0 duplicates, 0 forged accepted), one staff task per undelivered text and none
 * for a delivered one, and each text's delivery state (derived from its events) as Twilio last meant it.
 *
 * The seed is printed; FAULT_SEED=<n> replays the same order.
 */
import { submitRun } from '@revos/runtime';
import { deriveDeliveryState } from '@revos/workflows';
import { twilioSignature } from '@revos/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SEED } from '../../support/env.js';
import { allowSms, TENANT, type Harness } from '../../support/harness.js';
import type { TestProducer } from '../../producer/helpers.js';
import { startDeliveryFleet } from '../../delivery/helpers.js';

export interface DeliveryReceiptsProfile {
  name: 'short' | 'full';
  texts: number;
  /** Share of texts that end undelivered (the rest delivered). */
  undeliveredShare: number;
  /** Forged posts, spread among the genuine ones. */
  forgeries: number;
  /** Posts in flight at once. */
  parallel: number;
}

interface Post {
  kind: 'genuine' | 'forged_token' | 'tampered' | 'unsigned';
  sid: string;
  status: string;
  errorCode?: string;
}

const CARRIER_ERRORS = ['30003', '30005', '30006', '30007', '30008'];

/** A small seeded generator (mulberry32): the same seed, the same story and the same order. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function deliveryReceiptsSuite(profile: DeliveryReceiptsProfile): void {
  describe(`fault: delivery receipts under load (${profile.name}: ${profile.texts} texts, ${profile.forgeries} forgeries)`, () => {
    let h: Harness;
    let p: TestProducer;
    beforeAll(async () => {
      ({ h, p } = await startDeliveryFleet({ concurrency: 16 }));
      await allowSms(h.db, 'p_fault_dlr');
    });
    afterAll(async () => {
      await p?.close();
      await h?.close();
    });

    it('records each genuine status once, accepts no forgery, and opens one task per undelivered text', async () => {
      const seed = FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31);
      console.log(`delivery receipts (${profile.name}): seed ${seed} (FAULT_SEED=${seed} replays it)`);
      const rand = mulberry32(seed);

      // 1. The texts, through intake like any run; each send's answer names its sid.
      const envelopes = Array.from({ length: profile.texts }, (_, i) =>
        h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: `+1555444${String(i).padStart(4, '0')}`, template: 'appointment_reminder', appointment_id: `apt_fault_${i}` }, subject: { patient_id: 'p_fault_dlr' } }),
      );
      await Promise.all(envelopes.map((e) => submitRun(h, e, { source: 'api' })));
      const sids: string[] = [];
      for (const e of envelopes) {
        const run = await h.waitForRun(e.meta.workflow_run_id, undefined, 60_000);
        expect(run.status).toBe('ok');
        sids.push(run.output?.result.primary_outputs['message_sid'] as string);
      }

      // 2. Each text's story, each status posted 1-3 times; forgeries for real sids and unreached statuses.
      const finals = new Map<string, { status: string; errorCode?: string }>();
      const posts: Post[] = [];
      for (const sid of sids) {
        const final = rand() < profile.undeliveredShare ? { status: 'undelivered', errorCode: CARRIER_ERRORS[Math.floor(rand() * CARRIER_ERRORS.length)]! } : { status: 'delivered' };
        finals.set(sid, final);
        for (const step of [{ status: 'queued' }, { status: 'sent' }, final]) {
          const copies = 1 + Math.floor(rand() * 3);
          for (let c = 0; c < copies; c++) posts.push({ kind: 'genuine', sid, ...step });
        }
      }
      const forgedKinds = ['forged_token', 'tampered', 'unsigned'] as const;
      for (let i = 0; i < profile.forgeries; i++) {
        const sid = sids[Math.floor(rand() * sids.length)]!;
        // `failed` never happens to any text: a forgery that got through would show as its event.
        posts.push({ kind: forgedKinds[i % forgedKinds.length]!, sid, status: 'failed', errorCode: '30003' });
      }
      for (let i = posts.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [posts[i], posts[j]] = [posts[j]!, posts[i]!];
      }

      // 3. All of it at once (`parallel` in flight).
      const answers: { post: Post; status: number }[] = [];
      let next = 0;
      const statusUrl = `${p.url}/webhooks/twilio/${TENANT}/status`;
      const send = async (post: Post): Promise<number> => {
        if (post.kind === 'genuine' || post.kind === 'forged_token') {
          const res = await h.vendor.postStatus(post.sid, post.status, { ...(post.errorCode ? { errorCode: post.errorCode } : {}), ...(post.kind === 'forged_token' ? { authToken: 'a-forgers-token' } : {}) });
          return res.status;
        }
        // Signed for `delivered`, sent as `failed` (tampered), or not signed at all.
        const form = { MessageSid: post.sid, MessageStatus: post.status, ErrorCode: post.errorCode ?? '' };
        const signature = post.kind === 'tampered' ? twilioSignature('test-token', statusUrl, { ...form, MessageStatus: 'delivered' }) : undefined;
        const res = await fetch(statusUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
          body: new URLSearchParams(form).toString(),
        });
        await res.arrayBuffer();
        return res.status;
      };
      const started = Date.now();
      await Promise.all(
        Array.from({ length: profile.parallel }, async () => {
          while (next < posts.length) {
            const post = posts[next++]!;
            answers.push({ post, status: await send(post) });
          }
        }),
      );
      const postSeconds = (Date.now() - started) / 1000;

      // 4. Every WF33 run finished, then the record is read.
      const genuinePairs = new Set(posts.filter((x) => x.kind === 'genuine').map((x) => `${x.sid}:${x.status}`));
      const deadline = Date.now() + 120_000;
      for (;;) {
        const [open] = await h.db.sql<{ n: number }[]>`
          select count(*)::int as n from accepted_runs a left join workflow_runs r using (workflow_run_id)
           where a.workflow_name = 'WF33_Delivery_Status' and (r.status is null or r.status not in ('ok', 'failed', 'blocked'))`;
        if (open!.n === 0) break;
        if (Date.now() > deadline) throw new Error(`${open!.n} status runs did not finish`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const events = await h.db.sql<{ sid: string; status: string; n: number }[]>`
        select payload->>'sid' as sid, payload->>'status' as status, count(*)::int as n
          from events where event_type = 'sms.delivery_status' group by 1, 2`;
      const [runs] = await h.db.sql<{ ok: number; other: number }[]>`
        select count(*) filter (where status = 'ok')::int as ok, count(*) filter (where status <> 'ok')::int as other
          from workflow_runs where workflow_name = 'WF33_Delivery_Status'`;
      const tasks = await h.db.sql<{ reason: string; parent: string }[]>`
        select t.reason, r.parent_run_id as parent from tasks t join workflow_runs r using (workflow_run_id) where t.kind = 'delivery_failed'`;

      const duplicates = events.filter((e) => e.n > 1).length;
      const forgedAccepted = events.filter((e) => !genuinePairs.has(`${e.sid}:${e.status}`)).length;
      const undelivered = [...finals.values()].filter((f) => f.status === 'undelivered').length;
      console.log(
        `delivery receipts (${profile.name}): ${posts.length} posts (${posts.length - profile.forgeries} genuine, ${genuinePairs.size} distinct) in ${postSeconds.toFixed(1)} s; ` +
          `${events.length} events, ${duplicates} duplicated, ${forgedAccepted} forged accepted; ${tasks.length} tasks for ${undelivered} undelivered texts`,
      );
      expect(answers.filter((a) => a.post.kind === 'genuine').every((a) => a.status === 200)).toBe(true);
      expect(answers.filter((a) => a.post.kind !== 'genuine').map((a) => a.status)).toEqual(Array(profile.forgeries).fill(403));
      expect(duplicates).toBe(0);
      expect(forgedAccepted).toBe(0);
      expect(events.length).toBe(genuinePairs.size);
      expect(runs).toEqual({ ok: genuinePairs.size, other: 0 });
      expect(tasks).toHaveLength(undelivered);
      // Each text's state from its events, whatever order they were recorded in, is its final status.
      const bySid = new Map<string, string[]>();
      for (const e of events) bySid.set(e.sid, [...(bySid.get(e.sid) ?? []), e.status]);
      for (const [sid, final] of finals) expect(deriveDeliveryState('sms', bySid.get(sid) ?? [])).toBe(final.status);
    }, 300_000);
  });
}
