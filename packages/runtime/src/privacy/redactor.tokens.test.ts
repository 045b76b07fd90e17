import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createRedactor, PhiTokenKeyError } from './redactor.js';

const KEY_A = 'tokens-test-key-A-0123456789-abcdefghijklmnopqrstuvwxyz';
const KEY_B = 'tokens-test-key-B-0123456789-abcdefghijklmnopqrstuvwxyz';

describe('token format', () => {
  it('is tok_<kind>_<first 24 hex of HMAC-SHA256(key, kind:normalised)>', () => {
    const r = createRedactor({ key: KEY_A });
    const expected = createHmac('sha256', KEY_A).update('phone:15557654321').digest('hex').slice(0, 24);
    expect(r.token('phone', '+15557654321')).toBe(`tok_phone_${expected}`);
    expect(r.token('name', 'Zelda')).toMatch(/^tok_name_[0-9a-f]{24}$/);
    expect(r.token('email', 'a@b.co')).toMatch(/^tok_email_[0-9a-f]{24}$/);
    expect(r.token('dob', '1984-02-29')).toMatch(/^tok_dob_[0-9a-f]{24}$/);
    expect(r.token('address', '1 Main St')).toMatch(/^tok_address_[0-9a-f]{24}$/);
    expect(r.token('identifier', 'MRN-1')).toMatch(/^tok_identifier_[0-9a-f]{24}$/);
    expect(r.token('free_text', 'hello')).toMatch(/^tok_text_[0-9a-f]{24}$/);
  });

  it('is not a plain hash: without the key a guess cannot be confirmed', () => {
    const r = createRedactor({ key: KEY_A });
    const unkeyed = createHmac('sha256', '').update('phone:15557654321').digest('hex').slice(0, 24);
    expect(r.token('phone', '+15557654321')).not.toContain(unkeyed);
  });
});

describe('joinability', () => {
  it('gives the same value the same token, across calls and across redactor instances (runs)', () => {
    const doc = { patient: { phone: '+15557654321', name: 'Zelda Quixote-Canary' }, body: 'my chest hurts CANARY-7731' };
    const first = createRedactor({ key: KEY_A }).redact(doc);
    const again = createRedactor({ key: KEY_A }).redact(doc);
    expect(again.value).toEqual(first.value);
    expect(createRedactor({ key: Buffer.from(KEY_A) }).redact(doc).value).toEqual(first.value);
  });

  it('normalises phones, emails, names, identifiers and dates before hashing', () => {
    const r = createRedactor({ key: KEY_A });
    const phones = ['+15557654321', '+1 (555) 765-4321', '(555) 765-4321', '555-765-4321', '555.765.4321', '5557654321', '15557654321'];
    expect(new Set(phones.map((p) => r.token('phone', p))).size).toBe(1);
    expect(r.token('email', '  Zelda.Q@Example.COM ')).toBe(r.token('email', 'zelda.q@example.com'));
    expect(r.token('name', 'Zelda   Quixote-Canary')).toBe(r.token('name', ' zelda quixote-canary'));
    expect(r.token('identifier', 'mrn-0042 17')).toBe(r.token('identifier', 'MRN004217'));
    const dobs = ['1984-02-29', '02/29/1984', '2/29/1984', 'Feb 29, 1984', 'February 29th 1984', '29 Feb 1984', '1984-02-29T05:00:00.000Z'];
    expect(new Set(dobs.map((d) => r.token('dob', d))).size).toBe(1);
  });

  it('joins a phone found by field with the same phone found inside text', () => {
    const r = createRedactor({ key: KEY_A });
    const { value } = r.redact({ to: '+15557654321', log_line: 'sent to (555) 765-4321 ok' });
    const v = value as { to: string; log_line: string };
    expect(v.log_line).toBe(`sent to ${v.to} ok`);
  });

  it('keeps kinds apart: the same string as a name and as an identifier gives different tokens', () => {
    const r = createRedactor({ key: KEY_A });
    expect(r.token('name', 'ABC123').slice(-24)).not.toBe(r.token('identifier', 'ABC123').slice(-24));
  });

  it('gives different tokens under different keys', () => {
    const a = createRedactor({ key: KEY_A });
    const b = createRedactor({ key: KEY_B });
    for (const [kind, raw] of [['phone', '+15557654321'], ['name', 'Zelda Quixote-Canary'], ['free_text', 'x']] as const) {
      expect(a.token(kind, raw)).not.toBe(b.token(kind, raw));
    }
  });
});

describe('the key', () => {
  it('rejects a key shorter than 32 bytes, naming the setting and not echoing the key', () => {
    const short = 'short-secret-31-bytes-abcdefghi';
    expect(Buffer.byteLength(short)).toBe(31);
    let error: unknown;
    try {
      createRedactor({ key: short });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PhiTokenKeyError);
    expect((error as Error).name).toBe('PhiTokenKeyError');
    expect((error as Error).message).toMatch(/at least 32 bytes/);
    expect((error as Error).message).toContain('PHI_TOKEN_KEY');
    expect((error as Error).message).not.toContain(short);
    expect(() => createRedactor({ key: Buffer.alloc(16, 7) })).toThrow(PhiTokenKeyError);
    expect(() => createRedactor({ key: '' })).toThrow(PhiTokenKeyError);
  });

  it('rejects a missing key and an obvious placeholder', () => {
    expect(() => createRedactor({} as never)).toThrow(PhiTokenKeyError);
    expect(() => createRedactor({ key: 'x'.repeat(64) })).toThrow(/placeholder/);
  });

  it('accepts exactly 32 random bytes and is not affected by later changes to the caller’s buffer', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
    const copy = Buffer.from(key);
    const r = createRedactor({ key });
    const before = r.token('phone', '+15557654321');
    key.fill(0);
    expect(r.token('phone', '+15557654321')).toBe(before);
    expect(createRedactor({ key: copy }).token('phone', '+15557654321')).toBe(before);
  });

  it('is not reachable through the redactor object', () => {
    const r = createRedactor({ key: KEY_A });
    expect(JSON.stringify(r) ?? '').not.toContain(KEY_A);
    expect(inspect(r, { depth: 10, showHidden: true })).not.toContain(KEY_A);
  });
});
