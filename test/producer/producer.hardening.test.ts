/**
 * Bad input at every door (API, both webhooks, CLI enqueue): a value nested too deep or with too many
 * keys is a 400 naming the rule, nothing is recorded or enqueued, and the log says what happened.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '@revos/db';
import { runCli, signGeneric, twilioSignature } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, startHarness, TENANT, type Harness } from '../support/harness.js';
import { queuedJobCount, rowCounts, startTestProducer, type TestProducer } from './helpers.js';

const TWILIO_TOKEN = 'test-twilio-token';
const SECRET = 'test-webhook-secret';
let h: Harness;
let p: TestProducer;
let key: string;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, WEBHOOK_SIGNING_SECRET: SECRET });
  key = await createApiKey(h.db.sql, TENANT);
  dir = await mkdtemp(join(tmpdir(), 'revos-hardening-'));
});
afterAll(async () => {
  await p?.close();
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `{"a":{"a":…}}` `depth` levels deep, as text (JSON.stringify itself would be fine, but this is cheaper). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const envelopeText = (payloadJson: string) =>
  `{"meta":{"workflow_name":"WF11_Log_Event","trigger_source":"ui","trigger_id":"deep-${ulid()}","environment":"staging","privacy_mode":"standard"},"subject":{},"payload":${payloadJson}}`;

async function nothingRecorded(): Promise<void> {
  expect(await rowCounts(h)).toEqual({ accepted: 0, runs: 0 });
  expect(await queuedJobCount(h)).toBe(0);
}

describe('limits at every door', () => {
  it('POST /v1/runs: a 5,000-deep body is a 400 naming max_depth, not a 500', async () => {
    const res = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: envelopeText(deepJson(5_000)),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string; rule: string }[] };
    expect(body.error).toBe('invalid_envelope');
    expect(body.issues).toEqual([expect.objectContaining({ rule: 'max_depth' })]);
    expect(body.issues[0]?.path.startsWith('payload.a')).toBe(true);
    await nothingRecorded();
  });

  it('POST /v1/runs: more keys than the limit is a 400 naming max_keys', async () => {
    const wide = `{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const res = await fetch(`${p.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: envelopeText(wide),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: unknown[] }).issues).toEqual([expect.objectContaining({ path: '', rule: 'max_keys' })]);
    await nothingRecorded();
  });

  it('generic webhook: a too-deep payload is a 400 naming max_depth', async () => {
    const path = `/webhooks/generic/${TENANT}/WF11_Log_Event`;
    const raw = `{"trigger_id":"t-${ulid()}","payload":${deepJson(2_000)}}`;
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-revos-timestamp': String(ts), 'x-revos-signature': signGeneric(SECRET, ts, path, raw) },
      body: raw,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: { rule: string }[] }).issues[0]?.rule).toBe('max_depth');
    await nothingRecorded();
  });

  it('Twilio webhook: a repeated MessageSid or a flood of fields is a 400 naming the rule', async () => {
    const url = `${p.url}/webhooks/twilio/${TENANT}/sms`;
    const post = (form: URLSearchParams) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
        body: form.toString(),
      });
    const repeated = await post(new URLSearchParams([['MessageSid', 'SM1'], ['MessageSid', 'SM2'], ['Body', 'hi'], ['From', '+15551230009'], ['To', '+15550000001']]));
    expect(repeated.status).toBe(400);
    expect(((await repeated.json()) as { issues: unknown[] }).issues).toEqual([expect.objectContaining({ path: 'MessageSid', rule: 'repeated_key' })]);
    const flood = await post(new URLSearchParams(Array.from({ length: 300 }, (_, i): [string, string] => [`F${i}`, 'x'])));
    expect(flood.status).toBe(400);
    expect(((await flood.json()) as { issues: unknown[] }).issues).toEqual([expect.objectContaining({ rule: 'max_keys' })]);
    await nothingRecorded();
  });

  it('CLI enqueue: a too-deep file is refused naming max_depth', async () => {
    const file = join(dir, 'deep.json');
    await writeFile(file, envelopeText(deepJson(5_000)));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['enqueue', file, '--tenant', TENANT, '--json'], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, MIGRATE_ON_START: 'false' },
    });
    expect(code).toBe(1);
    expect(out.join('\n')).toContain('max_depth');
    await nothingRecorded();
  });

  it('an unexpected error is logged with its class, code, message and stack frames (not a redacted blank)', async () => {
    // A real failure inside a request: the API key lookup meets a table that is not there.
    await h.db.sql`alter table api_keys rename to api_keys_gone`;
    try {
      const res = await fetch(`${p.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(500);
    } finally {
      await h.db.sql`alter table api_keys_gone rename to api_keys`;
    }
    const line = p.logText.join('').split('\n').filter((l) => l.includes('request failed')).map((l) => JSON.parse(l) as { err: Record<string, unknown> })[0];
    expect(line?.err['class']).toBe('PostgresError');
    expect(line?.err['code']).toBe('42P01');
    expect(String(line?.err['text'])).toContain('does not exist');
    expect((line?.err['frames'] as string[]).length).toBeGreaterThan(0);
  });
});
