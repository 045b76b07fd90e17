/**
 * Intake's repeat cache (issue 14: a duplicate delivery ≤ 0.1 × a fresh run): a repeat of a key this
 * process saw accepted a moment ago is answered `duplicate` with the first run's ids without a
 * statement to PostgreSQL, and every other case (expired, another tenant, evicted, off, a refusal,
 * an enqueue that failed after the commit) still goes to the database. Real PostgreSQL and Redis.
 *
 * "No statement" is counted by postgres.js itself: intake here runs on a pool of the test's own
 * whose `debug` hook fires for every query that pool sends, so a cached answer must leave the count
 * as it was, and the same repeat without the cache (the control) must raise it.
 */
import { createApiKey, upsertTenant, type Db } from '@revos/db';
import { toJobId, type Envelope } from '@revos/envelope';
import { loadProducerEnv } from '@revos/producer';
import {
  acceptSubmission,
  closeLaneQueues,
  createLaneQueues,
  createTracing,
  IntakeRepeatCache,
  submitRun,
  type IntakeDeps,
  type IntakeOutcome,
} from '@revos/runtime';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus, series, sum } from '../ops/helpers.js';
import { makeEnvelope, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startOtlpCollector } from '../support/otlp-collector.js';
import { queuedJobCount, startTestProducer } from './helpers.js';

const OTHER_TENANT = 't_repeat_other';
const METRICS_TOKEN = 'repeat-cache-metrics-token';

let h: Harness;
let counted: { db: Db; statements(): number };

/** A pool of this file's own on the harness's database; postgres.js calls `debug` once per query it sends. */
function countingDb(url: string): { db: Db; statements(): number } {
  let statements = 0;
  const sql = postgres(url, { max: 4, onnotice: () => {}, debug: () => void statements++ });
  const db: Db = {
    sql,
    get orm(): never {
      throw new Error('intake does not use drizzle');
    },
    close: () => sql.end({ timeout: 5 }),
  };
  return { db, statements: () => statements };
}

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  await upsertTenant(h.db.sql, { tenantId: OTHER_TENANT, name: 'Other Practice' });
  counted = countingDb(h.database.url);
});
afterAll(async () => {
  await counted?.db.close();
  await h?.close();
});

const cache = (maxEntries = 100, ttlMs = 600_000) => new IntakeRepeatCache({ maxEntries, ttlMs });

function deps(repeats: IntakeRepeatCache | undefined, over: Partial<IntakeDeps> = {}): IntakeDeps {
  return { db: counted.db, queues: h.queues, catalog: h.catalog, privacy: h.privacy, repeats, ...over };
}

/** What a webhook or API client sends (no ids or key): the same body computes the same key. */
function body(triggerId = `repeat:${ulid()}`, meta: Record<string, unknown> = {}) {
  return {
    meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'webhook', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard', ...meta },
    subject: {},
    payload: { event_type: 'note.added', direction: 'internal', attributes: { ref: 'n_1' } },
  };
}

const submit = (d: IntakeDeps, b: unknown, tenantId = TENANT): Promise<IntakeOutcome> => acceptSubmission(d, b, tenantId, { source: 'webhook' });

async function accepted(d: IntakeDeps, b: unknown, tenantId = TENANT) {
  const outcome = await submit(d, b, tenantId);
  if (!outcome.ok) throw new Error(`refused: ${outcome.refusal.code}`);
  return outcome.result;
}

/** Statements intake sent to PostgreSQL while `fn` ran. */
async function statementsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const before = counted.statements();
  const value = await fn();
  return { value, statements: counted.statements() - before };
}

describe('intake repeat cache', () => {
  it('a repeat within the TTL is answered duplicate with the first run, adds no job and sends PostgreSQL nothing', async () => {
    const repeats = cache();
    const b = body();
    const first = await statementsDuring(() => accepted(deps(repeats), b));
    expect(first.value.status).toBe('queued');
    expect(first.statements).toBeGreaterThan(0); // the counter sees intake's statements
    const jobs = await queuedJobCount(h);

    const again = await statementsDuring(() => accepted(deps(repeats), b));
    expect(again.value).toEqual({ ...first.value, status: 'duplicate' });
    expect(again.statements).toBe(0);
    expect(repeats.hits).toBe(1);
    expect(await queuedJobCount(h)).toBe(jobs);

    // The control: the same repeat with no cache asks PostgreSQL and gets the very same answer.
    const viaDb = await statementsDuring(() => accepted(deps(undefined), b));
    expect(viaDb.statements).toBeGreaterThan(0);
    expect(again.value).toEqual(viaDb.value);
    expect(await queuedJobCount(h)).toBe(jobs);
    const rows = await h.db.sql`select workflow_run_id from accepted_runs where idempotency_key = ${first.value.idempotency_key}`;
    expect(rows).toEqual([{ workflow_run_id: first.value.workflow_run_id }]);
  });

  it('after the TTL the repeat goes to the database, which names the same run (and the answer is remembered again)', async () => {
    const repeats = cache(100, 250);
    const b = body();
    const first = await accepted(deps(repeats), b);
    await sleep(400);
    const late = await statementsDuring(() => accepted(deps(repeats), b));
    expect(late.statements).toBeGreaterThan(0);
    expect(late.value).toEqual({ ...first, status: 'duplicate' });
    expect(repeats.hits).toBe(0);
    const next = await statementsDuring(() => accepted(deps(repeats), b));
    expect(next).toEqual({ value: late.value, statements: 0 });
  });

  it('another tenant is never answered from the cache: its own trigger is its own run, and naming the first tenant\'s key is refused as without the cache', async () => {
    const repeats = cache();
    const b = body();
    const first = await accepted(deps(repeats), b);
    const other = await statementsDuring(() => accepted(deps(repeats), b, OTHER_TENANT));
    expect(other.statements).toBeGreaterThan(0);
    expect(other.value.status).toBe('queued');
    expect(other.value.workflow_run_id).not.toBe(first.workflow_run_id);
    expect(other.value.idempotency_key).not.toBe(first.idempotency_key);

    // The first tenant's key in the other tenant's body: the schema's refusal, with or without a cache.
    const borrowed = { ...b, meta: { ...b.meta, idempotency_key: first.idempotency_key } };
    const refused = await submit(deps(repeats), borrowed, OTHER_TENANT);
    expect(refused).toEqual(await submit(deps(undefined), borrowed, OTHER_TENANT));
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'invalid_envelope', issues: [expect.objectContaining({ path: 'meta.idempotency_key', rule: 'mismatch:tenant_id' })] } });
    // A trusted caller's envelope (the dispatcher's path) likewise.
    const envelope: Envelope = makeEnvelope({ workflow: 'WF11_Log_Event', tenantId: OTHER_TENANT, payload: b.payload });
    envelope.meta.idempotency_key = first.idempotency_key;
    await expect(submitRun(deps(repeats), envelope, { source: 'dispatcher' })).rejects.toThrow(/mismatch:tenant_id/);
    expect(repeats.hits).toBe(0);
  });

  it('size 0 turns it off: a repeat is still answered duplicate with the first run, by the database', async () => {
    const repeats = cache(0);
    const b = body();
    const first = await accepted(deps(repeats), b);
    const again = await statementsDuring(() => accepted(deps(repeats), b));
    expect(again.statements).toBeGreaterThan(0);
    expect(again.value).toEqual({ ...first, status: 'duplicate' });
    expect(repeats.hits).toBe(0);
  });

  it('holds K keys: the K+1-th acceptance evicts the oldest, whose repeat asks the database', async () => {
    const repeats = cache(2);
    const [a, b, c] = [body(), body(), body()];
    const first = { a: await accepted(deps(repeats), a), b: await accepted(deps(repeats), b), c: await accepted(deps(repeats), c) };
    expect(repeats.size).toBe(2);
    expect(await statementsDuring(() => accepted(deps(repeats), c))).toEqual({ value: { ...first.c, status: 'duplicate' }, statements: 0 });
    const evicted = await statementsDuring(() => accepted(deps(repeats), a));
    expect(evicted.statements).toBeGreaterThan(0);
    expect(evicted.value).toEqual({ ...first.a, status: 'duplicate' });
  });

  it('a refusal is never remembered, and a remembered key is still refused exactly as a fresh submission', async () => {
    const repeats = cache();
    const triggerId = `repeat:${ulid()}`;
    const invalid = body(triggerId, { environment: 'moon' });
    const refused = await submit(deps(repeats), invalid);
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'invalid_envelope' } });
    // The same key, valid now: a fresh acceptance.
    const valid = await accepted(deps(repeats), body(triggerId));
    expect(valid.status).toBe('queued');
    expect(valid.idempotency_key).toBe(((await accepted(deps(undefined), body(triggerId))).idempotency_key));

    // The key is remembered; the invalid body is refused as before, with no statement.
    const again = await statementsDuring(() => submit(deps(repeats), invalid));
    expect(again).toEqual({ value: refused, statements: 0 });

    // A phi_minimized repeat on a process without PHI keys: refused, not answered duplicate.
    const phiTrigger = `repeat:${ulid()}`;
    const phi = await accepted(deps(repeats), body(phiTrigger, { privacy_mode: 'phi_minimized' }));
    expect(phi.status).toBe('queued');
    const noKeys = await submit(deps(repeats, { privacy: undefined }), body(phiTrigger, { privacy_mode: 'phi_minimized' }));
    expect(noKeys).toMatchObject({ ok: false, refusal: { code: 'privacy_not_configured' } });
    expect(repeats.hits).toBe(0);
  });

  it('an enqueue that fails after the commit is not remembered: the retry is answered by the database, naming the committed run', async () => {
    const repeats = cache();
    // A Redis that refuses every connection at once, as a producer sees Redis down between its commit and its enqueue.
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => {});
    const deadQueues = createLaneQueues(dead, h.prefix);
    for (const q of Object.values(deadQueues)) q.on('error', () => {});
    const b = body();
    try {
      await expect(submit(deps(repeats, { queues: deadQueues }), b)).rejects.toThrow();
    } finally {
      await closeLaneQueues(deadQueues).catch(() => {});
      dead.disconnect();
    }
    expect(repeats.size).toBe(0);

    const retry = await statementsDuring(() => accepted(deps(repeats), b));
    expect(retry.statements).toBeGreaterThan(0);
    expect(retry.value.status).toBe('duplicate');
    const [row] = await h.db.sql<{ workflow_run_id: string }[]>`select workflow_run_id from accepted_runs where idempotency_key = ${retry.value.idempotency_key}`;
    expect(retry.value.workflow_run_id).toBe(row!.workflow_run_id);
    // Nothing was enqueued by the retry: the reconciler enqueues the recorded run.
    expect(await h.queues.batch.getJob(toJobId(retry.value.idempotency_key))).toBeUndefined();
    // The database's duplicate answer is remembered.
    expect(await statementsDuring(() => accepted(deps(repeats), b))).toEqual({ value: retry.value, statements: 0 });
  });

  it('a cached answer ends its intake span as the database\'s duplicate does', async () => {
    const collector = await startOtlpCollector();
    const tracing = await createTracing({ endpoint: collector.url, serviceName: 'revos-producer' });
    try {
      const repeats = cache();
      const traced = (r?: IntakeRepeatCache) => deps(r, { tracer: tracing.tracer });
      const b = body();
      await accepted(traced(repeats), b);
      await accepted(traced(undefined), b);
      await accepted(traced(repeats), b);
      expect(repeats.hits).toBe(1);
      await tracing.shutdown();
      const spans = collector.spans.filter((s) => s.name === 'revos.intake');
      expect(spans.map((s) => s.attributes['revos.intake_status'])).toEqual(['queued', 'duplicate', 'duplicate']);
      const [, viaDb, cached] = spans;
      // Each submission has ids of its own (run, root, correlation); everything else is the same.
      const sameFor = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, /_id$/.test(k) && k !== 'revos.tenant_id' ? typeof v : v]));
      expect(sameFor(cached!.attributes)).toEqual(sameFor(viaDb!.attributes));
      expect([cached!.kind, cached!.status]).toEqual([viaDb!.kind, viaDb!.status]);
    } finally {
      await tracing.shutdown().catch(() => {});
      await collector.close();
    }
  });
});

describe('the producer\'s repeat cache', () => {
  async function scrape(url: string) {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return parsePrometheus(await res.text());
  }

  it('answers a repeated POST from memory by default and counts the hit; INTAKE_REPEAT_CACHE_SIZE=0 answers it from the database', async () => {
    const apiKey = await createApiKey(h.db.sql, TENANT, 'repeat-cache');
    for (const [env, hits] of [[{}, 1], [{ INTAKE_REPEAT_CACHE_SIZE: '0' }, 0]] as const) {
      const p = await startTestProducer(h, { METRICS_TOKEN, ...env });
      try {
        const post = async (b: unknown) => {
          const res = await fetch(`${p.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(b) });
          return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        };
        const b = body();
        const first = await post(b);
        expect(first.status).toBe(202);
        const again = await post(b);
        expect(again).toEqual({ status: 200, json: { ...first.json, status: 'duplicate' } });
        const samples = await scrape(p.url);
        expect(sum(series(samples, 'revos_intake_repeat_cache_hits_total'))).toBe(hits);
        // A cached duplicate is still a duplicate to the existing series.
        expect(sum(series(samples, 'revos_intake_total', { status: 'duplicate' }))).toBe(1);
        expect(sum(series(samples, 'revos_duplicates_absorbed_total', { layer: 'intake' }))).toBe(1);
      } finally {
        await p.close();
      }
    }
  });

  it('reads INTAKE_REPEAT_CACHE_SIZE and INTAKE_REPEAT_CACHE_TTL_MS with defaults, and names the variable of a bad value', () => {
    expect(loadProducerEnv({})).toMatchObject({ INTAKE_REPEAT_CACHE_SIZE: 10_000, INTAKE_REPEAT_CACHE_TTL_MS: 600_000 });
    expect(loadProducerEnv({ INTAKE_REPEAT_CACHE_SIZE: '0', INTAKE_REPEAT_CACHE_TTL_MS: '3600000' })).toMatchObject({ INTAKE_REPEAT_CACHE_SIZE: 0, INTAKE_REPEAT_CACHE_TTL_MS: 3_600_000 });
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_SIZE: '-1' })).toThrow(/INTAKE_REPEAT_CACHE_SIZE: at least 0/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_SIZE: '2.5' })).toThrow(/INTAKE_REPEAT_CACHE_SIZE/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_SIZE: 'lots' })).toThrow(/INTAKE_REPEAT_CACHE_SIZE/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_SIZE: '1000001' })).toThrow(/INTAKE_REPEAT_CACHE_SIZE: at most 1000000/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_TTL_MS: '0' })).toThrow(/INTAKE_REPEAT_CACHE_TTL_MS: at least 1/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_TTL_MS: '3600001' })).toThrow(/INTAKE_REPEAT_CACHE_TTL_MS: at most 3600000/);
    expect(() => loadProducerEnv({ INTAKE_REPEAT_CACHE_TTL_MS: 'soon' })).toThrow(/INTAKE_REPEAT_CACHE_TTL_MS/);
  });
});
