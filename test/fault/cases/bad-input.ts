/**
 * Fault case 7: bad input. fast-check generates malformed envelopes (missing and ill-typed fields,
 * bad enums, bad ids and keys, wrong nesting, huge strings, bodies that are not JSON) for
 * POST /v1/runs, malformed Twilio and generic webhook bodies with valid signatures, empty and oversized
 * bodies at every door (no Content-Length as `curl -X POST` sends, Content-Length: 0, over the limit
 * declared or chunked), and malformed envelopes added straight to a lane queue (past the API), while
 * good runs are in flight.
 * Each input must get a clear 4xx whose issues name the field (path and rule), or, added past intake,
 * fail terminally with an alert naming it (`not_accepted` when its meta is sound: the worker runs and
 * records nothing intake did not accept; `invalid_envelope` when even its meta is broken); no worker
 * may crash and every good run must finish ok.
 *
 * The seed is printed; FAULT_SEED=<n> replays the same inputs.
 */
import { createApiKey } from '@revos/db';
import { MAX_BODY_BYTES, signGeneric, twilioSignature } from '@revos/producer';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SEED } from '../../support/env.js';
import { makeEnvelope, sleep, startHarness, TENANT, type Harness } from '../../support/harness.js';
import { startTestProducer, type TestProducer } from '../../producer/helpers.js';
import { rawRequest, type Framing } from '../../support/raw-http.js';

export interface BadInputProfile {
  name: 'short' | 'full';
  apiEnvelopes: number;
  twilioBodies: number;
  genericBodies: number;
  /** Empty and oversized bodies, spread over every door. */
  bodyShapes: number;
  queueEnvelopes: number;
  /** A good run is submitted every this many inputs. */
  goodEvery: number;
}

type Body = Record<string, unknown>;
interface Mutation {
  /** The field the mutation breaks; an answer must name it (or a field inside it). */
  path: string;
  apply(body: Body): void;
}
interface Case {
  label: string;
  body: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  /** Each group: one of these paths must be reported. */
  expect: string[][];
}

const TWILIO_TOKEN = 'fault-twilio-token';
const SECRET = 'fault-webhook-secret';

function at(body: Body, path: string): { parent: Record<string, unknown>; key: string } {
  const parts = path.split('.');
  let o = body as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  return { parent: o, key: parts.at(-1)! };
}
const set = (path: string, value: unknown): Mutation => ({ path, apply: (b) => void (at(b, path).parent[at(b, path).key] = value) });
const drop = (path: string): Mutation => ({ path, apply: (b) => void delete at(b, path).parent[at(b, path).key] });

/** Values of the wrong JSON type for a string field (null included: these fields are not nullable). */
const notAString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
const notAnObject = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.array(fc.integer(), { maxLength: 3 }));
const huge = fc.integer({ min: 5_000, max: 60_000 }).map((n) => 'x'.repeat(n));
const controlChar = fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 31 })).map(([s, c]) => `${s}${String.fromCharCode(c)}end`);

const badEnum = (path: string, allowed: string[]) => fc.oneof(notAString, fc.string({ maxLength: 20 }).filter((s) => !allowed.includes(s))).map((v) => set(path, v));
/** Breaks a prefixed id; null is left out: subject ids and location_id are nullable, and the API fills a null run or correlation id like an omitted one. */
const badPrefixed = (path: string, prefix: string) =>
  fc.oneof(notAString.filter((v) => v !== null), fc.string({ maxLength: 30 }).filter((s) => !s.startsWith(prefix)), fc.constant(`${prefix}has space`), huge.map((s) => `${prefix}${s}`)).map((v) => set(path, v));

/** One broken field of a partial envelope as a caller sends it (the API fills ids, key and timestamp). */
const fieldMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom('meta.trigger_source', 'meta.trigger_id', 'meta.environment', 'meta.privacy_mode', 'meta.workflow_name', 'subject', 'payload').map(drop),
  badEnum('meta.trigger_source', ['voice', 'sms', 'email', 'ui', 'cron', 'webhook', 'workflow']),
  badEnum('meta.environment', ['prod', 'staging']),
  badEnum('meta.privacy_mode', ['standard', 'phi_minimized']),
  fc.oneof(notAString, fc.constant(''), controlChar, huge, fc.string({ minLength: 201, maxLength: 400 }).filter((s) => [...s].length > 200)).map((v) => set('meta.trigger_id', v)),
  // null is not among them: the API fills a null timestamp like an omitted one.
  fc.oneof(notAString.filter((v) => v !== null), fc.string({ maxLength: 30 }), fc.constant('2026-01-01T00:00:00+02:00')).map((v) => set('meta.timestamp_utc', v)),
  badPrefixed('meta.correlation_id', 'corr_'),
  badPrefixed('meta.workflow_run_id', 'wr_'),
  badPrefixed('meta.location_id', 'loc_'),
  fc.oneof(fc.integer(), fc.string({ maxLength: 10 }).filter((s) => !s.startsWith('wr_'))).map((v) => set('meta.parent_run_id', v)),
  badPrefixed('subject.patient_id', 'p_'),
  badPrefixed('subject.lead_id', 'l_'),
  fc.constantFrom('meta', 'subject', '').map((parent) => {
    const path = parent ? `${parent}.unknown_field` : 'unknown_field';
    return set(path, 1);
  }),
  notAnObject.map((v) => set('payload', v)),
  notAnObject.filter((v) => v !== null).map((v) => set('subject', v)),
);

/** Breaks the workflow's own payload schema (WF11): the API refuses it naming the field; past the API, the run fails naming it. */
const payloadSchemaMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => !['inbound', 'outbound', 'internal'].includes(s)).map((v) => set('payload.direction', v)),
  fc.oneof(notAString, fc.string({ maxLength: 10 }).map((s) => `Bad ${s}`)).map((v) => set('payload.event_type', v)),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.array(fc.integer(), { maxLength: 2 }), { minKeys: 1, maxKeys: 2 }).map((v) => set('payload.attributes', v)),
  fc.constant(set('payload.unexpected', true)),
);

function goodBody(): Body {
  return {
    meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
    subject: {},
    payload: { event_type: 'note.added', direction: 'internal', attributes: { ref: 'n_1' } },
  };
}

function mutated(mutations: Mutation[]): Body {
  const body = goodBody();
  for (const m of mutations) m.apply(body);
  return body;
}

const apiCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: fieldMutation.map((m) => ({ label: `field ${m.path}`, body: mutated([m]), expect: [[m.path]] })) },
  {
    // Several broken fields at once: the answer lists every one.
    weight: 3,
    arbitrary: fc
      .uniqueArray(fieldMutation, { minLength: 2, maxLength: 3, selector: (m) => m.path.split('.')[0] === 'meta' ? m.path : m.path.split('.')[0]! })
      .filter((ms) => ms.every((m) => !['subject', 'payload', 'meta'].some((p) => ms.some((o) => o !== m && o.path === p) && m.path.startsWith(`${p}.`))))
      .map((ms) => ({ label: `fields ${ms.map((m) => m.path).join(',')}`, body: mutated(ms), expect: ms.map((m) => [m.path]) })),
  },
  { weight: 2, arbitrary: payloadSchemaMutation.map((m) => ({ label: `payload ${m.path}`, body: mutated([m]), expect: [[m.path]] })) },
  { weight: 1, arbitrary: fc.oneof(notAnObject, fc.constant([])).map((v) => ({ label: 'body not an object', body: v, expect: [['']] })) },
  { weight: 1, arbitrary: notAnObject.map((v) => ({ label: 'meta not an object', body: { ...goodBody(), meta: v }, expect: [['meta']] })) },
  { weight: 1, arbitrary: fc.constantFrom('t_other_practice', 't_x').map((t) => ({ label: 'other tenant', body: mutated([set('meta.tenant_id', t)]), expect: [['meta.tenant_id']] })) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.constant('WF99_Not_Registered'), fc.string({ maxLength: 30 })).map((name) => ({ label: 'unknown workflow', body: mutated([set('meta.workflow_name', name)]), expect: [['meta.workflow_name']] })),
  },
  { weight: 1, arbitrary: fc.constantFrom('9.9.9', '1', 'v1.0.0').map((v) => ({ label: 'unknown version', body: mutated([set('meta.workflow_version', v)]), expect: [['meta.workflow_version', 'meta.workflow_name']] })) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.constant('idem:t_test_practice:WF11_Log_Event:x:' + '0'.repeat(64))).map((k) => ({ label: 'bad key', body: mutated([set('meta.idempotency_key', k)]), expect: [['meta.idempotency_key']] })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(badEnum('options.priority', ['high', 'normal', 'low']), fc.string({ maxLength: 20 }).map((v) => set('options.run_after_utc', v)), fc.constant(set('options.bogus', 1))).map((m) => {
      const body = { ...goodBody(), options: {} as Record<string, unknown> };
      m.apply(body);
      return { label: `option ${m.path}`, body, expect: [[m.path]] };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.string({ maxLength: 40 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }), fc.constant('{"meta":'), fc.constant('{"meta":{},"payload":NaN}')).map((raw) => ({ label: 'not JSON', body: null, raw, expect: [] })),
  },
);

/** Whether an issue path names `expected` or a field inside it. */
function names(issuePath: string, expected: string): boolean {
  if (expected === '') return true;
  return issuePath === expected || issuePath.startsWith(`${expected}.`) || issuePath.startsWith(`${expected}[`);
}

interface Answer {
  status: number;
  json: { error?: unknown; issues?: { path?: unknown; rule?: unknown }[]; workflow_run_id?: string } | null;
}

/** A clear refusal: a 4xx with an error code and, unless the body was not JSON, issues naming every expected field. */
function clearRefusal(answer: Answer, c: Pick<Case, 'expect' | 'raw'>): string | null {
  if (answer.status < 400 || answer.status >= 500) return `answered ${answer.status}`;
  if (typeof answer.json?.error !== 'string') return 'no error code';
  // A blank body is no body: the door names the missing body instead.
  if (c.raw !== undefined && c.raw.trim() === '') return answer.json.error === 'missing_body' ? null : `blank but ${answer.json.error}`;
  if (c.raw !== undefined || answer.json.error === 'invalid_json') return answer.json.error === 'invalid_json' ? null : `not JSON but ${answer.json.error}`;
  const issues = answer.json.issues ?? [];
  if (!Array.isArray(issues) || issues.length === 0) return 'no issues';
  for (const i of issues) if (typeof i.path !== 'string' || typeof i.rule !== 'string' || i.rule === '') return `issue without path/rule: ${JSON.stringify(i)}`;
  for (const group of c.expect) {
    if (!issues.some((i) => group.some((p) => names(String(i.path), p)))) return `no issue names ${group.join(' or ')}: ${JSON.stringify(issues.map((i) => i.path))}`;
  }
  return null;
}

export function badInputSuite(profile: BadInputProfile): void {
  let h: Harness;
  let p: TestProducer;
  let apiKey: string;
  const seed = FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31);
  const good: string[] = [];
  let inputs = 0;

  beforeAll(async () => {
    h = await startHarness({ concurrency: 8 });
    apiKey = await createApiKey(h.db.sql, TENANT);
    p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, WEBHOOK_SIGNING_SECRET: SECRET });
  });
  afterAll(async () => {
    await p?.close();
    await h?.close();
  });

  async function post(path: string, body: string, headers: Record<string, string>): Promise<Answer> {
    const res = await fetch(`${p.url}${path}`, { method: 'POST', headers, body });
    const text = await res.text();
    let json: Answer['json'] = null;
    try {
      json = JSON.parse(text) as Answer['json'];
    } catch {
      json = null;
    }
    return { status: res.status, json };
  }

  async function tick(): Promise<void> {
    inputs += 1;
    if (inputs % profile.goodEvery !== 0) return;
    const answer = await post('/v1/runs', JSON.stringify(goodBody()), { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` });
    expect(answer.status).toBe(202);
    good.push(answer.json!.workflow_run_id!);
  }

  const statuses = new Map<string, number>();
  const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);

  describe(`fault#7 (${profile.name}): malformed input (fast-check seed ${seed})`, () => {
    it(`${profile.apiEnvelopes} malformed envelopes on POST /v1/runs (workflow payloads included) get a 4xx naming the field`, async () => {
      await fc.assert(
        fc.asyncProperty(apiCase, async (c) => {
          await tick();
          const answer = await post('/v1/runs', c.raw ?? JSON.stringify(c.body), { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` });
          count(`api:${answer.status}`);
          const problem = clearRefusal(answer, c);
          if (problem) throw new Error(`${c.label}: ${problem}`);
        }),
        { numRuns: profile.apiEnvelopes, seed, endOnFailure: true },
      );
    }, 30_000 + profile.apiEnvelopes * 30);

    it(`${profile.twilioBodies} malformed Twilio webhooks with valid signatures get a 400 naming the field`, async () => {
      const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'MessageSid' && k !== 'CallSid'), fc.string({ maxLength: 30 }), { maxKeys: 5 });
      const twilioCase = fc.record({ kind: fc.constantFrom('sms', 'voice'), extra, emptySid: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(twilioCase, async ({ kind, extra, emptySid }) => {
          await tick();
          const sidField = kind === 'sms' ? 'MessageSid' : 'CallSid';
          const form: Record<string, string> = { ...extra, ...(emptySid ? { [sidField]: '' } : {}) };
          const path = `/webhooks/twilio/${TENANT}/${kind}`;
          const answer = await post(path, new URLSearchParams(form).toString(), {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${p.url}${path}`, form),
          });
          count(`twilio:${answer.status}`);
          const problem = clearRefusal(answer, { expect: [[sidField]] });
          if (problem) throw new Error(`twilio ${kind} ${JSON.stringify(form)}: ${problem}`);
        }),
        { numRuns: profile.twilioBodies, seed, endOnFailure: true },
      );
    }, 30_000 + profile.twilioBodies * 30);

    it(`${profile.genericBodies} malformed generic webhooks with valid signatures get a 4xx naming the field`, async () => {
      const valid = () => ({ trigger_id: `crm:${ulid()}`, payload: { event_type: 'lead.created', direction: 'inbound', attributes: {} } }) as Body;
      const genericCase: fc.Arbitrary<Case> = fc.oneof(
        fc.constantFrom('trigger_id', 'payload').map((f) => ({ label: `drop ${f}`, body: ((b) => (delete b[f], b))(valid()), expect: [[f]] })),
        notAString.map((v) => ({ label: 'trigger_id type', body: { ...valid(), trigger_id: v }, expect: [['trigger_id']] })),
        fc.oneof(fc.constant(''), controlChar, huge).map((v) => ({ label: 'trigger_id value', body: { ...valid(), trigger_id: v }, expect: [['trigger_id', 'meta.trigger_id']] })),
        notAnObject.map((v) => ({ label: 'payload type', body: { ...valid(), payload: v }, expect: [['payload']] })),
        notAnObject.filter((v) => v !== null).map((v) => ({ label: 'subject type', body: { ...valid(), subject: v }, expect: [['subject']] })),
        fc.string({ maxLength: 15 }).filter((s) => s !== 'standard' && s !== 'phi_minimized').map((v) => ({ label: 'privacy_mode', body: { ...valid(), privacy_mode: v }, expect: [['privacy_mode']] })),
        fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['trigger_id', 'payload', 'subject', 'privacy_mode', '__proto__'].includes(k)).map((k) => ({ label: 'unknown key', body: { ...valid(), [k]: 1 }, expect: [[k, '']] })),
        fc.constantFrom('{', 'not json', '{"trigger_id":"x",}').map((raw) => ({ label: 'not JSON', body: null, raw, expect: [] })),
      );
      await fc.assert(
        fc.asyncProperty(genericCase, async (c) => {
          await tick();
          const raw = c.raw ?? JSON.stringify(c.body);
          const ts = Math.floor(Date.now() / 1000);
          const answer = await post(`/webhooks/generic/${TENANT}/WF11_Log_Event`, raw, {
            'content-type': 'application/json',
            'x-revos-timestamp': String(ts),
            'x-revos-signature': signGeneric(SECRET, ts, `/webhooks/generic/${TENANT}/WF11_Log_Event`, raw),
          });
          count(`generic:${answer.status}`);
          const problem = clearRefusal(answer, c);
          if (problem) throw new Error(`generic ${c.label}: ${problem}`);
        }),
        { numRuns: profile.genericBodies, seed, endOnFailure: true },
      );
    }, 30_000 + profile.genericBodies * 30);

    it(`${profile.bodyShapes} empty and oversized bodies at every door get a 4xx; an oversized one a 413 that closes its connection cleanly`, async () => {
      // Every state-changing door; /v1 ones with the tenant's key. Webhooks check the signature first.
      const doors = [
        { method: 'POST', path: '/v1/runs', api: true },
        { method: 'PUT', path: '/v1/consents', api: true },
        { method: 'PUT', path: '/v1/policy', api: true },
        { method: 'POST', path: '/v1/tasks/task_none/claim', api: true },
        { method: 'POST', path: `/webhooks/twilio/${TENANT}/sms`, api: false },
        { method: 'POST', path: `/webhooks/twilio/${TENANT}/voice`, api: false },
        { method: 'POST', path: `/webhooks/generic/${TENANT}/WF11_Log_Event`, api: false },
      ];
      const shape = fc.oneof(
        fc.constantFrom<Framing>('none', 'length').map((framing) => ({ label: `empty (${framing})`, framing, size: 0 })),
        fc.tuple(fc.constantFrom<Framing>('length', 'chunked'), fc.integer({ min: MAX_BODY_BYTES + 1, max: 3 * MAX_BODY_BYTES })).map(([framing, size]) => ({ label: `${size} bytes (${framing})`, framing, size })),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...doors), shape, async (door, body) => {
          await tick();
          const answer = await rawRequest(p.url, {
            method: door.method,
            path: door.path,
            headers: { 'content-type': 'application/json', ...(door.api ? { authorization: `Bearer ${apiKey}` } : {}) },
            body: Buffer.alloc(body.size, 'x'),
            framing: body.framing,
          });
          count(`body:${answer.status}`);
          const label = `${door.method} ${door.path} ${body.label}`;
          if (answer.status < 400 || answer.status >= 500) throw new Error(`${label}: answered ${answer.status}`);
          const error: unknown = (JSON.parse(answer.body) as { error?: unknown }).error;
          if (typeof error !== 'string') throw new Error(`${label}: no error code`);
          if (body.size > MAX_BODY_BYTES && (answer.status !== 413 || error !== 'payload_too_large' || answer.headers['connection'] !== 'close')) {
            throw new Error(`${label}: ${answer.status} ${error}, connection ${answer.headers['connection']}`);
          }
        }),
        { numRuns: profile.bodyShapes, seed, endOnFailure: true },
      );
    }, 30_000 + profile.bodyShapes * 100);

    it(`${profile.queueEnvelopes} malformed envelopes added straight to the queue are refused with an alert naming the field; no worker crashes; good runs finish ok`, async () => {
      // A full envelope (as a buggy producer or a hand-edited job would carry), then one broken field.
      const queueMutation = fc.oneof(fieldMutation.filter((m) => !m.path.startsWith('meta.workflow_name') && m.path !== 'meta.trigger_id'), payloadSchemaMutation);
      const jobs: { jobId: string; runId: string; expect: string }[] = [];
      const samples = fc.sample(queueMutation, { numRuns: profile.queueEnvelopes, seed });
      for (const [i, m] of samples.entries()) {
        await tick();
        const payload = { event_type: 'note.added', direction: 'internal', attributes: {} };
        const envelope = makeEnvelope({ workflow: 'WF11_Log_Event', payload }) as unknown as Body;
        m.apply(envelope);
        const jobId = `fault7-${seed}-${i}`;
        await h.queues.batch.add('WF11_Log_Event', envelope, { jobId, attempts: 3 });
        const runId: unknown = (envelope['meta'] as Body | undefined)?.['workflow_run_id'];
        jobs.push({ jobId, runId: typeof runId === 'string' ? runId : '', expect: m.path });
      }

      // Each job ends as an alert naming the field: not_accepted (no run is written for a job intake never
      // accepted), or invalid_envelope (meta itself broken). A stored run would be a job run past intake.
      const unresolved = new Map(jobs.map((j) => [j.jobId, j]));
      const outcomes = { failedRun: 0, alert: 0 };
      const wrong: string[] = [];
      const deadline = Date.now() + 60_000 + profile.queueEnvelopes * 50;
      while (unresolved.size > 0 && Date.now() < deadline) {
        const pending = [...unresolved.values()];
        const runIds = pending.map((j) => j.runId).filter((r) => r !== '');
        const runs = runIds.length === 0 ? [] : await h.db.sql<{ workflow_run_id: string; status: string; failure_stage: string | null; issues: unknown }[]>`
          select workflow_run_id, status, failure_stage, output->'result'->'primary_outputs'->'issues' as issues
            from workflow_runs where workflow_run_id in ${h.db.sql(runIds)} and status in ('failed', 'blocked', 'ok', 'noop')`;
        const alerts = await h.db.sql<{ job_id: string; issues: { path: string; rule: string }[] }[]>`
          select details->>'job_id' as job_id, details->'issues' as issues from alerts
           where kind in ('invalid_envelope', 'not_accepted') and details->>'job_id' in ${h.db.sql(pending.map((j) => j.jobId))}`;
        const runById = new Map(runs.map((r) => [r.workflow_run_id, r]));
        const alertByJob = new Map(alerts.map((a) => [a.job_id, a]));
        for (const j of pending) {
          const run = runById.get(j.runId);
          const alert = alertByJob.get(j.jobId);
          if (run) {
            outcomes.failedRun += 1;
            wrong.push(`${j.jobId} ${j.expect}: a job intake never accepted left a run (${run.status} at ${run.failure_stage})`);
          } else if (alert) {
            outcomes.alert += 1;
            const issues = alert.issues ?? [];
            if (!issues.some((i) => names(i.path, j.expect) && typeof i.rule === 'string')) wrong.push(`${j.jobId} ${j.expect}: alert names ${JSON.stringify(issues)}`);
          } else continue;
          unresolved.delete(j.jobId);
        }
        if (unresolved.size > 0) await sleep(200);
      }

      const goodRuns = await Promise.all(good.map((id) => h.waitForRun(id, undefined, 60_000)));
      const goodOk = goodRuns.filter((r) => r.status === 'ok').length;
      const workerErrors = h.logLines.filter((l) => l['msg'] === 'worker error').length;
      const summary =
        `fault#7 profile=${profile.name} seed=${seed} inputs=${inputs} api=${profile.apiEnvelopes} twilio=${profile.twilioBodies} generic=${profile.genericBodies} bodies=${profile.bodyShapes} queue=${profile.queueEnvelopes} ` +
        `answers=${JSON.stringify(Object.fromEntries([...statuses].sort()))} queue_failed_runs=${outcomes.failedRun} ` +
        `queue_alerts=${outcomes.alert} unresolved=${unresolved.size} wrong=${wrong.length} good_runs=${good.length} good_ok=${goodOk} worker_errors=${workerErrors} ` +
        `workers_running=${h.workers.filter((w) => w.isRunning()).length}/${h.workers.length}`;
      console.log(summary);

      expect(wrong).toEqual([]);
      expect([...unresolved.keys()]).toEqual([]);
      expect(goodOk).toBe(good.length);
      expect(good.length).toBeGreaterThan(0);
      expect(workerErrors).toBe(0);
      for (const w of h.workers) expect(w.isRunning()).toBe(true);
    }, 120_000 + profile.queueEnvelopes * 100);
  });
}

