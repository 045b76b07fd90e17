/**
 * Twilio signatures as Twilio's official Node library (`twilio`, a dev dependency used only here, as
 * the oracle) computes them: each case is signed by `getExpectedTwilioSignature`, checked against the
 * library's own `validateRequest`, and posted over real HTTP, the request target sent byte for byte
 * as Twilio would (node:http, so `'` is not re-encoded the way fetch's URL would). Accepted means the
 * signature passed and the request reached the tenant lookup: 404 unknown_tenant for a practice that
 * does not exist. The same request with one byte changed must be refused with 403.
 */
import { request } from 'node:http';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const TOKEN = 'oracle-auth-token';
const SHARED_KEY = 'oracle-shared-key-secret';
const PUBLIC_BASE = 'https://hooks.example.com';
/** No such practice: a request whose signature passes answers 404, one whose signature fails 403. */
const PATH = '/webhooks/twilio/t_no_such_practice/sms';

type Form = [string, string][];

let h: Harness;
let direct: TestProducer;
let proxied: TestProducer;
beforeAll(async () => {
  h = await startHarness();
  direct = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TOKEN });
  proxied = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_WEBHOOK_SHARED_KEY_SECRET: SHARED_KEY, PUBLIC_BASE_URL: PUBLIC_BASE });
});
afterAll(async () => {
  await direct?.close();
  await proxied?.close();
  await h?.close();
});

/** The library takes express-style params: a repeated name is an array of its values. */
function libraryParams(form: Form): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of form) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const encodeForm = (form: Form) => new URLSearchParams(form).toString();

/** Posts `body` to `target` (sent as is) on the producer at `base`, with these headers. */
function post(base: string, target: string, body: string, headers: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'POST', path: target, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Case {
  name: string;
  /** The request target (path and query) exactly as Twilio sends it. */
  target: string;
  form: Form;
  /** Behind PUBLIC_BASE_URL (the proxied producer) or reached directly. */
  proxied?: boolean;
  /** How the URL Twilio signed spells the origin, when not as we are reached (`https://hooks.example.com:443`). */
  signedOrigin?: string;
  algorithm?: 'HMAC_SHA1' | 'HMAC_SHA256';
}

const base: Form = [
  ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['From', '+15551230009'],
  ['To', '+15550000001'],
];

const CASES: Case[] = [
  { name: 'a plain form', target: PATH, form: [...base, ['Body', 'hello']] },
  { name: 'a query string', target: `${PATH}?attempt=1&b=2`, form: [...base, ['Body', 'hello']] },
  { name: "an apostrophe in the query, behind PUBLIC_BASE_URL", target: `${PATH}?name=O'Brien&x=it's`, form: [...base, ['Body', 'hi']], proxied: true },
  // Only the raw URL matches here: `new URL` makes `'` `%27`, and the library's legacy re-encoding, which restores the `'`, makes `+` `%20`.
  { name: "an apostrophe and a + in the query, behind PUBLIC_BASE_URL", target: `${PATH}?name=O'Brien&q=a+b`, form: [...base, ['Body', 'hi']], proxied: true },
  { name: "an apostrophe in the query, reached directly", target: `${PATH}?name=O'Brien`, form: [...base, ['Body', 'hi']] },
  { name: '+ and spaces in values and in the query', target: `${PATH}?q=a+b&r=c%20d&s=%2B1`, form: [...base, ['Body', 'a + b  c'], ['Extra', '+ +']] },
  { name: 'apostrophes and quotes in values', target: PATH, form: [...base, ['Body', `it's "fine" \`ok\``]] },
  { name: 'unicode in values and a percent-encoded query', target: `${PATH}?city=Z%C3%BCrich`, form: [...base, ['Body', 'café 🎉 日本語 — ñ'], ['FromCity', 'Zürich']] },
  { name: 'a repeated key with distinct values, sent unsorted', target: PATH, form: [...base, ['Body', 'x'], ['MediaUrl', 'https://m/b'], ['MediaUrl', 'https://m/a']] },
  { name: 'a repeated key with identical values (the library counts them once)', target: PATH, form: [...base, ['Body', 'x'], ['Tag', 'same'], ['Tag', 'same'], ['Tag', 'other']] },
  { name: 'the default port in the signed URL, not in PUBLIC_BASE_URL', target: `${PATH}?a=1`, form: [...base, ['Body', 'hi']], proxied: true, signedOrigin: `${PUBLIC_BASE}:443` },
  { name: 'HMAC-SHA256 with a SharedKey', target: `${PATH}?name=O'Brien`, form: [...base, ['Body', 'café'], ['Tag', 'a'], ['Tag', 'a']], proxied: true, algorithm: 'HMAC_SHA256' },
  { name: 'HMAC-SHA1 with a SharedKey', target: PATH, form: [...base, ['Body', 'hi']], proxied: true, algorithm: 'HMAC_SHA1' },
];

/** The signed request of a case: URL, signature (by the library) and headers. */
function signed(c: Case) {
  const producer = c.proxied ? proxied : direct;
  const origin = c.signedOrigin ?? (c.proxied ? PUBLIC_BASE : producer.url);
  const url = `${origin}${c.target}`;
  const secret = c.algorithm ? SHARED_KEY : TOKEN;
  const params = libraryParams(c.form);
  const signature = twilio.getExpectedTwilioSignature(secret, url, params, c.algorithm);
  const headers: Record<string, string> = { 'x-twilio-signature': signature };
  if (c.algorithm) headers['x-twilio-webhooks-signature-settings'] = `key=webhooks_sharedkey_test,algorithm=${c.algorithm}`;
  return { producer, url, secret, params, signature, headers };
}

describe('Twilio signatures, with the official library as the oracle', () => {
  it.each(CASES)('accepts $name, and refuses it tampered', async (c) => {
    const s = signed(c);
    // The oracle agrees with itself: what it signed, it validates.
    expect(twilio.validateRequest(s.secret, s.signature, s.url, s.params, c.algorithm)).toBe(true);
    expect(await post(s.producer.url, c.target, encodeForm(c.form), s.headers)).toBe(404);

    const [name, value] = c.form[c.form.length - 1]!;
    const tamperedForm: Form = [...c.form.slice(0, -1), [name, `${value}!`]];
    expect(await post(s.producer.url, c.target, encodeForm(tamperedForm), s.headers)).toBe(403);
    expect(await post(s.producer.url, `${c.target}${c.target.includes('?') ? '&' : '?'}z=1`, encodeForm(c.form), s.headers)).toBe(403);
  });

  it('refuses a repeated value dropped, or a distinct one added, though identical repeats count once', async () => {
    const c = CASES.find((x) => x.name.startsWith('a repeated key with identical'))!;
    const s = signed(c);
    const once: Form = c.form.filter(([k, v], i) => !(k === 'Tag' && v === 'same' && i === c.form.findIndex(([k2]) => k2 === 'Tag')));
    expect(await post(s.producer.url, c.target, encodeForm(once), s.headers)).toBe(404);
    expect(await post(s.producer.url, c.target, encodeForm(c.form.filter(([k, v]) => !(k === 'Tag' && v === 'other'))), s.headers)).toBe(403);
    expect(await post(s.producer.url, c.target, encodeForm([...c.form, ['Tag', 'third']]), s.headers)).toBe(403);
  });

  it('verifies a JSON post by its bodySHA256 and refuses a changed body', async () => {
    const body = JSON.stringify({ MessageSid: 'SM1', Body: "it's café" });
    const target = `${PATH}?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const url = `${PUBLIC_BASE}${target}`;
    const signature = twilio.getExpectedTwilioSignature(TOKEN, url, {});
    expect(twilio.validateRequestWithBody(TOKEN, signature, url, body)).toBe(true);
    expect(await post(proxied.url, target, body, { 'x-twilio-signature': signature }, 'application/json')).toBe(404);
    expect(await post(proxied.url, target, body.replace('café', 'cafe'), { 'x-twilio-signature': signature }, 'application/json')).toBe(403);
  });

  it('refuses a SharedKey signature without the secret configured, an unknown algorithm, or the Auth Token under a settings header', async () => {
    const c = CASES.find((x) => x.algorithm === 'HMAC_SHA256')!;
    const s = signed(c);
    // The direct producer has no TWILIO_WEBHOOK_SHARED_KEY_SECRET.
    const directUrl = `${direct.url}${c.target}`;
    const directSig = twilio.getExpectedTwilioSignature(SHARED_KEY, directUrl, s.params, 'HMAC_SHA256');
    expect(await post(direct.url, c.target, encodeForm(c.form), { ...s.headers, 'x-twilio-signature': directSig })).toBe(403);
    expect(await post(proxied.url, c.target, encodeForm(c.form), { ...s.headers, 'x-twilio-webhooks-signature-settings': 'key=k,algorithm=HMAC_SHA512' })).toBe(403);
    const byToken = twilio.getExpectedTwilioSignature(TOKEN, s.url, s.params, 'HMAC_SHA256');
    expect(await post(proxied.url, c.target, encodeForm(c.form), { ...s.headers, 'x-twilio-signature': byToken })).toBe(403);
    // Without the header the same SHA-256 signature is not the Auth Token's SHA-1 one.
    expect(await post(proxied.url, c.target, encodeForm(c.form), { 'x-twilio-signature': s.signature })).toBe(403);
    const logs = [...direct.logText, ...proxied.logText].join('');
    expect(logs).toContain('"reason":"shared_key_secret_unset"');
    expect(logs).toContain('"reason":"unsupported_algorithm"');
    expect(logs).not.toContain(SHARED_KEY);
    expect(logs).not.toContain('+15551230009');
  });
});
