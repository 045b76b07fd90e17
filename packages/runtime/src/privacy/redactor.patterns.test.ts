import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor } from './redactor.js';

const KEY = 'patterns-test-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const redactor = createRedactor({ key: KEY });

function redactString(s: string, field = 'log'): string {
  return (redactor.redact({ [field]: s }).value as Record<string, string>)[field]!;
}

describe('pattern scan of uncatalogued strings', () => {
  const phoneToken = redactor.token('phone', '+15557654321');

  it.each([
    ['+15557654321'],
    ['+1 555 765 4321'],
    ['+1-555-765-4321'],
    ['+1 (555) 765-4321'],
    ['(555) 765-4321'],
    ['(555)765-4321'],
    ['555-765-4321'],
    ['555.765.4321'],
    ['555 765 4321'],
    ['1-555-765-4321'],
    ['5557654321'],
    ['15557654321'],
  ])('replaces the phone number %s inside text with its token', (phone) => {
    expect(redactString(`patient called from ${phone}, asked for a callback`)).toBe(`patient called from ${phoneToken}, asked for a callback`);
    expect(redactString(`call(${phone})`)).not.toContain('4321');
  });

  it('catches a formatted US number with a non-NANP exchange (555-123-4567)', () => {
    expect(redactString('tel 555-123-4567 and (555) 123-4567')).toBe(`tel ${redactor.token('phone', '5551234567')} and ${redactor.token('phone', '5551234567')}`);
  });

  it('catches international numbers', () => {
    expect(redactString('uk +44 20 7946 0958')).not.toMatch(/7946|0958/);
  });

  it('replaces emails and SSN-shaped numbers', () => {
    const out = redactString('from Zelda.Canary+x@Mail.Example.org re 123-45-6789 / 123 45 6789');
    expect(out).toBe(
      `from ${redactor.token('email', 'zelda.canary+x@mail.example.org')} re ${redactor.token('identifier', '123456789')} / ${redactor.token('identifier', '123456789')}`,
    );
  });

  it('replaces a date after a birth keyword in any string', () => {
    const dob = redactor.token('dob', '1984-02-29');
    expect(redactString('caller gave DOB: 02/29/1984 and zip')).toBe(`caller gave DOB: ${dob} and zip`);
    expect(redactString('born on February 29, 1984')).toBe(`born on ${dob}`);
    expect(redactString('date of birth 1984-02-29')).toBe(`date of birth ${dob}`);
  });

  it('treats every date as a DOB under a field whose name hints at birth, timestamps included', () => {
    const dob = redactor.token('dob', '1984-02-29');
    expect(redactString('1984-02-29', 'patient_birth_info')).toBe(dob);
    expect(redactString('verified 2/29/1984', 'dob_verified_text')).toBe(`verified ${dob}`);
    expect(redactString('1984-02-29T05:00:00.000Z', 'birthDateUtc')).toBe(`${dob}T05:00:00.000Z`);
  });

  it('leaves dates and ISO timestamps alone everywhere else', () => {
    for (const s of ['2024-03-05T12:34:56.789Z', '2024-03-05', '03/05/2024', 'visit on 1984-02-29', '2024-03-05T12:34:56+05:30']) {
      expect(redactString(s, 'created_at')).toBe(s);
      expect(redactor.scanText(s)).toEqual([]);
    }
  });

  it('leaves system references and other digit-bearing ids alone', () => {
    for (const s of [
      'wr_01JABCDEFGHJKMNPQRSTVWXYZ0',
      'p_01HX5557654321ABCDEFGHJKMN',
      'l_test1',
      `sha256_${'0123456789abcdef'.repeat(4)}`,
      '5557654321abcdef5557654321abcdef5557654321abcdef5557654321abcdef',
      '01JABCDEFG5557654321ABCDEF',
      '550e8400-e29b-41d4-a716-446655440000',
      'tok_phone_555765432155576543215557',
      '1709641234',
      '1709641234567',
      '1.2.3',
      'v2024.03.05',
      `idem:t_clinic1:WF30_Send_SMS:SM0123456789abcdef:${'ab'.repeat(32)}`,
    ]) {
      expect(redactString(s, 'ref')).toBe(s);
    }
  });

  it('reports kinds of a free-standing log line without values or paths', () => {
    expect(redactor.scanText('sms to +15557654321 failed; email zelda@example.org; ssn 123-45-6789; dob 1984-02-29')).toEqual([
      { path: '', kind: 'phone', how: 'pattern' },
      { path: '', kind: 'email', how: 'pattern' },
      { path: '', kind: 'identifier', how: 'pattern' },
      { path: '', kind: 'dob', how: 'pattern' },
    ]);
    expect(redactor.scanText('worker wr_01JABCDEFGHJKMNPQRSTVWXYZ0 finished in 1234 ms at 2024-03-05T12:34:56.789Z')).toEqual([]);
  });
});

describe('property: a planted phone number never survives', () => {
  const nanp = fc
    .tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }))
    .map(([area, exchange, line]) => ({ area: String(area), exchange: String(exchange), line: String(line).padStart(4, '0') }));
  const format = fc.constantFrom(
    (p: { area: string; exchange: string; line: string }) => `+1${p.area}${p.exchange}${p.line}`,
    (p: { area: string; exchange: string; line: string }) => `(${p.area}) ${p.exchange}-${p.line}`,
    (p: { area: string; exchange: string; line: string }) => `${p.area}-${p.exchange}-${p.line}`,
    (p: { area: string; exchange: string; line: string }) => `${p.area}.${p.exchange}.${p.line}`,
    (p: { area: string; exchange: string; line: string }) => `+1 ${p.area} ${p.exchange} ${p.line}`,
    (p: { area: string; exchange: string; line: string }) => `${p.area}${p.exchange}${p.line}`,
  );
  /** Where in the document the phone goes: a chain of object keys and array positions. */
  const site = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.nat({ max: 3 })), { maxLength: 6 });

  function plant(leaf: unknown, path: (string | number)[]): unknown {
    return path.reduceRight<unknown>((inner, step) => {
      if (typeof step === 'number') return [...Array.from({ length: step }, () => null), inner];
      const obj: Record<string, unknown> = {};
      Object.defineProperty(obj, step, { value: inner, enumerable: true, writable: true, configurable: true });
      return obj;
    }, leaf);
  }

  it('holds for arbitrary JSON with a phone planted in text somewhere', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        nanp,
        format,
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        site,
        fc.boolean(),
        (doc, phone, fmt, before, after, path, asKey) => {
          const written = fmt(phone);
          const text = `${before} ${written} ${after}`;
          const planted = asKey ? plant({ [text]: true }, path) : plant(text, path);
          const { value, findings } = redactor.redact({ doc, planted });
          const out = JSON.stringify(value);
          expect(out.includes(written)).toBe(false);
          expect(out.includes(`${phone.area}${phone.exchange}${phone.line}`)).toBe(false);
          expect(new RegExp(`${phone.exchange}[\\s.-]?${phone.line}`).test(out)).toBe(false);
          expect(findings.length).toBeGreaterThan(0);
          expect(JSON.stringify(findings).includes(written)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('redacted output of arbitrary JSON scans clean and is stable', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const first = redactor.redact(doc);
        expect(redactor.containsPhi(doc)).toEqual(first.findings);
        expect(redactor.containsPhi(first.value)).toEqual([]);
        expect(redactor.redact(first.value).value).toEqual(first.value);
      }),
      { numRuns: 300 },
    );
  });
});
