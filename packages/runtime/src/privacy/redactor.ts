import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_PHI_CATALOGUE, isBirthHint, lookupPhiKind, PhiKind, type PhiCatalogue } from './catalogue.js';

/** Shortest token key accepted, in bytes: HMAC-SHA256's own output size. */
export const MIN_TOKEN_KEY_BYTES = 32;

/** A key that is fewer distinct bytes than this is a placeholder (`'x'.repeat(32)`), not a secret. */
const MIN_DISTINCT_KEY_BYTES = 8;

/** Hex characters of the HMAC kept in a token: 96 bits, so two different values never share a token in practice. */
const TOKEN_HEX_LENGTH = 24;

/**
 * Where a piece of PHI was found: the dotted path (array indexes as numbers, `''` for the root), its
 * kind, and whether the field name (`field`) or a pattern in a string (`pattern`) gave it away.
 * Never the value. A path is built from already-redacted keys, so it carries no PHI either.
 */
export const PhiFinding = z.object({
  path: z.string(),
  kind: PhiKind,
  how: z.enum(['field', 'pattern']),
});
export type PhiFinding = z.infer<typeof PhiFinding>;

export interface RedactionResult {
  /** A redacted deep copy; the input is never modified. */
  value: unknown;
  findings: PhiFinding[];
}

export interface RedactorOptions {
  /**
   * The HMAC key tokens are made with: ≥ 32 bytes (a string counts as its UTF-8 bytes) of secret
   * randomness, e.g. `openssl rand -base64 48`. It comes from configuration: env `PHI_TOKEN_KEY`,
   * parsed by each app's `env.ts` and handed down; this module never reads the environment.
   *
   * Why a key: a phone number has ~10^10 possible values and a DOB ~40,000, so a plain hash of one is
   * reversed by trying them all. With a keyed hash (HMAC-SHA256) nobody without the key can confirm
   * even a single guess, and nobody with only stored data can recover a value.
   *
   * Rotating the key changes every token: values redacted before and after no longer join. Rotate
   * only when the key may have leaked, and treat old tokens as a separate population.
   */
  key: string | Uint8Array;
  /** Field catalogue; defaults to {@link DEFAULT_PHI_CATALOGUE}. */
  catalogue?: PhiCatalogue;
}

export interface Redactor {
  /**
   * Redacts any JSON value (objects, arrays, scalars) into a new value plus findings. See the module
   * documentation for the rules. Throws a TypeError on a circular reference.
   */
  redact(value: unknown): RedactionResult;
  /** The findings `redact` would report, without building the redacted copy (for the compliance sentinel). */
  containsPhi(value: unknown): PhiFinding[];
  /** Pattern findings in a free-standing string (a log line): phones, emails, SSNs, dates after a birth keyword. Paths are `''`. */
  scanText(text: string): PhiFinding[];
  /**
   * The deterministic token of `raw` as `kind`: `tok_<label>_<24 hex>`, where label is the kind
   * (`text` for `free_text`) and the hex is the start of HMAC-SHA256(key, `<kind>:<normalised raw>`).
   */
  token(kind: PhiKind, raw: string): string;
}

/** A token key that is missing, too short or a placeholder. Recognise it by `name`. */
export class PhiTokenKeyError extends Error {
  override readonly name = 'PhiTokenKeyError';
}

// ---------------------------------------------------------------- tokens and normalisation

const TOKEN_LABEL: Record<PhiKind, string> = {
  name: 'name',
  phone: 'phone',
  email: 'email',
  dob: 'dob',
  address: 'address',
  identifier: 'identifier',
  free_text: 'text',
};

const TOKEN_RE = /^tok_(?:name|phone|email|dob|address|identifier|text)_[0-9a-f]{24}$/;
const FREE_TEXT_MARKER_RE = /^\[redacted:free_text:len=\d+:tok_text_[0-9a-f]{24}\]$/;

/** A value this module produced: left as it is, so redacting twice changes nothing. */
function isRedactionOutput(s: string): boolean {
  return TOKEN_RE.test(s) || FREE_TEXT_MARKER_RE.test(s);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function ymd(y: string, m: string | number, d: string): string {
  return `${y}-${String(m).padStart(2, '0')}-${d.padStart(2, '0')}`;
}

/** Dates in the formats we detect → `YYYY-MM-DD`, so `02/29/1984` and `1984-02-29` share a token. */
function normaliseDate(s: string): string {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(s);
  if (m) return ymd(m[1]!, m[2]!, m[3]!);
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s); // US order: month first
  if (m) return ymd(m[3]!, m[1]!, m[2]!);
  m = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/i.exec(s);
  if (m && MONTHS.includes(m[1]!.toLowerCase())) return ymd(m[3]!, MONTHS.indexOf(m[1]!.toLowerCase()) + 1, m[2]!);
  m = /^(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})$/i.exec(s);
  if (m && MONTHS.includes(m[2]!.toLowerCase())) return ymd(m[3]!, MONTHS.indexOf(m[2]!.toLowerCase()) + 1, m[1]!);
  return s.toLowerCase().replace(/\s+/g, ' ');
}

/**
 * Digits only, with the country code: `+1 (555) 765-4321`, `555.765.4321` and `15557654321` are all
 * `15557654321`. A number without `+` and with 10 digits is taken as North American (our users are US
 * practices) and gets the `1`. A value with no digits (`anonymous`) is kept, lowercased.
 */
function normalisePhone(s: string): string {
  const digits = s.replace(/\D/g, '');
  if (digits.length === 0) return s.toLowerCase();
  if (!s.startsWith('+') && digits.length === 10) return `1${digits}`;
  return digits;
}

/** What is hashed for each kind: equal after normalisation ⇒ same token ⇒ the records join. */
function normalise(kind: PhiKind, raw: string): string {
  const s = raw.normalize('NFKC').trim();
  switch (kind) {
    case 'phone':
      return normalisePhone(s);
    case 'email':
      return s.toLowerCase();
    case 'name':
      return s.toLowerCase().replace(/\s+/g, ' ');
    case 'dob':
      return normaliseDate(s);
    case 'address':
      return s.toLowerCase().replace(/[.,#]/g, ' ').replace(/\s+/g, ' ').trim();
    case 'identifier':
      return s.toUpperCase().replace(/[\s-]/g, '');
    case 'free_text':
      // Exact text: two messages are the same message only if every character matches.
      return raw;
    default:
      return assertNever(kind);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled PHI kind ${String(value)}`);
}

function keyBytes(key: unknown): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key);
  throw new PhiTokenKeyError('PHI token key is missing: pass a string or Buffer of at least 32 bytes (PHI_TOKEN_KEY)');
}

// ---------------------------------------------------------------- patterns

/** A detected span of a string. */
interface Span {
  start: number;
  end: number;
  kind: PhiKind;
}

// Every pattern requires a non-alphanumeric boundary on both sides. That is what keeps digit runs
// inside ULIDs, hex hashes, tokens and UUIDs from being read as phone numbers, while `p_15557654321`
// (an "id" that embeds a phone number) is still caught: `_` counts as a boundary.
const PHONE_PATTERNS: RegExp[] = [
  // International / E.164, compact or spaced: +15557654321, +1 555 765 4321, +44 20 7946 0958.
  /(?<![A-Za-z0-9+])\+[1-9](?:[\s.\-()]*\d){6,14}(?![A-Za-z0-9])/g,
  // US with a parenthesised area code: (555) 765-4321, 1 (555) 765 4321.
  /(?<![0-9])(?:\+?1[\s.-]?)?\(\d{3}\)[\s.-]?\d{3}[\s.-]?\d{4}(?![A-Za-z0-9])/g,
  // US with separators: 555-765-4321, 555.765.4321, 555 765 4321, 1-555-765-4321, 555-7654321.
  /(?<![A-Za-z0-9+])(?:\+?1[\s.-]?)?\d{3}[\s.-]\d{3}[\s.-]?\d{4}(?![A-Za-z0-9])/g,
  // Bare NANP digits: 5557654321, 15557654321. Area code and exchange start 2-9, which keeps epoch
  // seconds (1xxxxxxxxx) and other counters mostly out.
  /(?<![A-Za-z0-9+])1?[2-9]\d{2}[2-9]\d{6}(?![A-Za-z0-9])/g,
];
const EMAIL_PATTERN = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])/g;
const SSN_PATTERN = /(?<![A-Za-z0-9])\d{3}([- ])\d{2}\1\d{4}(?![A-Za-z0-9])/g;

const MONTH_WORD = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?';
const DATE = `(?<![0-9])(?:\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}|${MONTH_WORD}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}|\\d{1,2}\\s+${MONTH_WORD},?\\s+\\d{4})(?![0-9])`;
/** Any date: only applied to strings under a field whose name hints at birth (`birth`, `dob`, `born`). */
const DATE_PATTERN = new RegExp(DATE, 'gi');
/** A date right after a birth keyword, in any string: `DOB: 02/29/1984`, `born on 1984-02-29`. Group 1 is the date. */
const DOB_IN_TEXT_PATTERN = new RegExp(
  `(?<![A-Za-z])(?:d\\.?o\\.?b\\.?|date\\s+of\\s+birth|birth\\s*date|birthday|born(?:\\s+on)?)[\\s:=#-]*(${DATE})`,
  'gid',
);

function findSpans(text: string, birthHint: boolean): Span[] {
  const spans: Span[] = [];
  for (const re of PHONE_PATTERNS) {
    for (const m of text.matchAll(re)) spans.push({ start: m.index, end: m.index + m[0].length, kind: 'phone' });
  }
  for (const m of text.matchAll(EMAIL_PATTERN)) spans.push({ start: m.index, end: m.index + m[0].length, kind: 'email' });
  for (const m of text.matchAll(SSN_PATTERN)) spans.push({ start: m.index, end: m.index + m[0].length, kind: 'identifier' });
  for (const m of text.matchAll(DOB_IN_TEXT_PATTERN)) {
    const range = m.indices?.[1];
    if (range) spans.push({ start: range[0], end: range[1], kind: 'dob' });
  }
  if (birthHint) {
    for (const m of text.matchAll(DATE_PATTERN)) spans.push({ start: m.index, end: m.index + m[0].length, kind: 'dob' });
  }
  if (spans.length <= 1) return spans;
  // Earliest first, longest first at the same start; drop what overlaps an earlier pick.
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const picked: Span[] = [];
  let end = -1;
  for (const s of spans) {
    if (s.start >= end) {
      picked.push(s);
      end = s.end;
    }
  }
  return picked;
}

// ---------------------------------------------------------------- system references

const HASH_RE = /^(?:sha256_)?[0-9a-f]{64}$/;
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const IDEMPOTENCY_KEY_RE = /^(idem:t_[A-Za-z0-9_-]{1,60}:WF\d{2}(?:_[A-Z0-9][A-Za-z0-9]*)+:)([\s\S]*)(:[0-9a-f]{64})$/;

/**
 * Whether a whole string is a reference the system minted, left untouched because it cannot carry
 * PHI: our own tokens and free-text markers, SHA-256 hashes (`sha256_…` or 64 hex), and bare ULIDs.
 *
 * Two kinds of reference are deliberately not on this list:
 * - prefixed ids (`p_…`, `l_…`, `wr_…`, `t_…`, `corr_…`) are scanned like any string. A well-formed
 *   one (a ULID body) never matches a pattern, so it comes out unchanged; one that embeds a phone
 *   number (`p_15557654321`) is PHI whatever its prefix says, and is tokenized.
 * - idempotency keys (`idem:{tenant}:{workflow}:{trigger}:{hash}`) keep their fixed parts, but the
 *   trigger id is caller-supplied free text and is scanned (see {@link Redactor.redact}).
 */
export function isSystemReference(s: string): boolean {
  return isRedactionOutput(s) || HASH_RE.test(s) || ULID_RE.test(s);
}

// ---------------------------------------------------------------- the walker

interface Walk {
  /** False for `containsPhi`: findings only, no copy. */
  build: boolean;
  findings: PhiFinding[];
  /** Objects on the current path (a shared subobject is fine; a cycle is not). */
  stack: Set<object>;
}

function childPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

/** Sets `key` as an own data property, so a `__proto__` key stays data instead of changing the prototype. */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Creates a redactor.
 *
 * Rules, applied while walking a JSON value (the input is never modified):
 * 1. **Catalogued fields** (see `catalogue.ts`): every string or number under the field — and under
 *    any object or array nested inside it, unless a nested field has its own catalogued kind — is
 *    replaced whole. `name`, `phone`, `email`, `dob`, `address`, `identifier` become a token
 *    `tok_<kind>_<24 hex>` (joinable, not reversible). `free_text` becomes the string
 *    `[redacted:free_text:len=<UTF-16 length>:tok_text_<24 hex>]`: a string (so the field keeps its
 *    type and schemas still validate), no substring of the text, the length for analytics, and a token
 *    that only says whether two texts are identical. Booleans, null and empty strings are kept; so is
 *    a value that already is a token or marker, which makes redaction idempotent.
 * 2. **Every other string** is scanned: phone numbers (E.164, `(555) 765-4321`, `555-765-4321`,
 *    `555.765.4321`, bare 10/11-digit North American numbers), emails, SSN-shaped `123-45-6789`, and
 *    dates that follow a birth keyword (`DOB: 02/29/1984`). Each match is replaced in place by its
 *    token. Under a field whose name hints at birth (`birth`, `dob`, `born`: `patientBirthDateUtc`),
 *    every date is a DOB — ISO timestamps included, because a DOB serialised through a `Date` has a
 *    time part. Elsewhere dates and timestamps are never touched.
 * 3. **Integers** outside the catalogue that are a bare North American phone number are tokenized.
 * 4. **Object keys** are scanned like strings (a map keyed by phone number is PHI too); findings'
 *    paths use the redacted keys.
 * 5. **System references** ({@link isSystemReference}) are left as they are; in an idempotency key
 *    only the trigger id part is scanned.
 *
 * What it cannot do: names, addresses and clinical text in a field that is not catalogued carry no
 * pattern, so they pass through. Catalogue every field that can hold them (`extendCatalogue`).
 *
 * @throws PhiTokenKeyError when the key is shorter than 32 bytes or is an obvious placeholder.
 */
export function createRedactor(options: RedactorOptions): Redactor {
  const bytes = keyBytes((options as Partial<RedactorOptions> | undefined)?.key);
  if (bytes.length < MIN_TOKEN_KEY_BYTES) {
    throw new PhiTokenKeyError(
      `PHI token key is ${bytes.length} bytes; it must be at least ${MIN_TOKEN_KEY_BYTES} bytes of secret randomness (PHI_TOKEN_KEY, e.g. \`openssl rand -base64 48\`)`,
    );
  }
  if (new Set(bytes).size < MIN_DISTINCT_KEY_BYTES) {
    throw new PhiTokenKeyError(
      `PHI token key has fewer than ${MIN_DISTINCT_KEY_BYTES} distinct bytes; it looks like a placeholder, not a secret (PHI_TOKEN_KEY)`,
    );
  }
  // A KeyObject copies the bytes and prints as `SecretKeyObject { ... }`: the key cannot leak through
  // util.inspect or JSON of anything that holds it, and later changes to the caller's Buffer do not matter.
  const key: KeyObject = createSecretKey(bytes);
  bytes.fill(0);
  const catalogue = options.catalogue ?? DEFAULT_PHI_CATALOGUE;

  // Field names come from a small vocabulary; the cap keeps hostile input from growing it without bound.
  const kindCache = new Map<string, PhiKind | null>();
  function kindOf(field: string): PhiKind | undefined {
    let kind = kindCache.get(field);
    if (kind === undefined) {
      kind = lookupPhiKind(catalogue, field) ?? null;
      if (kindCache.size >= 10_000) kindCache.clear();
      kindCache.set(field, kind);
    }
    return kind ?? undefined;
  }

  function token(kind: PhiKind, raw: string): string {
    const hex = createHmac('sha256', key).update(`${kind}:${normalise(kind, raw)}`, 'utf8').digest('hex');
    return `tok_${TOKEN_LABEL[kind]}_${hex.slice(0, TOKEN_HEX_LENGTH)}`;
  }

  function freeTextMarker(raw: string): string {
    return `[redacted:free_text:len=${raw.length}:${token('free_text', raw)}]`;
  }

  /** Pattern scan of a string outside the catalogue. */
  function scanString(s: string, path: string, birthHint: boolean, w: Walk): string {
    if (isSystemReference(s)) return s;
    const idem = IDEMPOTENCY_KEY_RE.exec(s);
    if (idem) return idem[1]! + scanString(idem[2]!, path, false, w) + idem[3]!;
    const spans = findSpans(s, birthHint);
    if (spans.length === 0) return s;
    const seen = new Set<PhiKind>();
    for (const span of spans) {
      if (seen.has(span.kind)) continue;
      seen.add(span.kind);
      w.findings.push({ path, kind: span.kind, how: 'pattern' });
    }
    if (!w.build) return s;
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += s.slice(at, span.start) + token(span.kind, s.slice(span.start, span.end));
      at = span.end;
    }
    return out + s.slice(at);
  }

  /** Whole-value replacement of a scalar under a catalogued field. */
  function redactField(kind: PhiKind, s: string, path: string, w: Walk): string {
    if (s.trim() === '' || isRedactionOutput(s)) return s;
    w.findings.push({ path, kind, how: 'field' });
    if (!w.build) return s;
    return kind === 'free_text' ? freeTextMarker(s) : token(kind, s);
  }

  function walk(value: unknown, path: string, kind: PhiKind | undefined, birthHint: boolean, w: Walk): unknown {
    switch (typeof value) {
      case 'string':
        return kind ? redactField(kind, value, path, w) : scanString(value, path, birthHint, w);
      case 'number':
      case 'bigint': {
        if (typeof value === 'number' && !Number.isFinite(value)) return value;
        const text = String(value);
        if (kind) return redactField(kind, text, path, w);
        if (!/^1?[2-9]\d{2}[2-9]\d{6}$/.test(text)) return value;
        w.findings.push({ path, kind: 'phone', how: 'pattern' });
        return w.build ? token('phone', text) : value;
      }
      case 'boolean':
      case 'undefined':
        return value;
      case 'function':
      case 'symbol':
        // Not JSON: dropped, as JSON.stringify drops them.
        return undefined;
      case 'object':
        break;
    }
    if (value === null) return null;
    if (value instanceof Date) {
      return Number.isNaN(value.getTime()) ? null : walk(value.toISOString(), path, kind, birthHint, w);
    }
    const obj = value as object;
    if (w.stack.has(obj)) throw new TypeError(`redact: a circular reference at ${path === '' ? 'the root' : path}`);
    w.stack.add(obj);
    try {
      if (Array.isArray(obj)) {
        // Elements sit under the array's field: its kind and birth hint carry over.
        const out: unknown[] = [];
        obj.forEach((element: unknown, i) => {
          const redacted = walk(element, childPath(path, i), kind, birthHint, w);
          if (w.build) out.push(redacted);
        });
        return w.build ? out : undefined;
      }
      const out: Record<string, unknown> = {};
      const usedKeys = new Set<string>();
      const record = obj as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        // Keys are redacted in both modes: a finding's path must never carry the PHI it reports.
        const redactedKey = redactKey(key);
        const safeKey = uniqueKey(usedKeys, redactedKey.key);
        const memberPath = childPath(path, safeKey);
        for (const keyKind of redactedKey.kinds) w.findings.push({ path: memberPath, kind: keyKind, how: 'pattern' });
        const memberKind = kindOf(key) ?? kind;
        const redacted = walk(record[key], memberPath, memberKind, isBirthHint(key), w);
        if (w.build && redacted !== undefined) setMember(out, safeKey, redacted);
      }
      return w.build ? out : undefined;
    } finally {
      w.stack.delete(obj);
    }
  }

  /** An object key with its PHI tokenized (a map keyed by phone number is PHI), and the kinds found. */
  function redactKey(key: string): { key: string; kinds: PhiKind[] } {
    const w: Walk = { build: true, findings: [], stack: new Set() };
    const redacted = scanString(key, '', false, w);
    return { key: redacted, kinds: w.findings.map((f) => f.kind) };
  }

  /** Two keys can redact to the same token (`+15557654321` and `(555) 765-4321`); keep both members. */
  function uniqueKey(used: Set<string>, key: string): string {
    let unique = key;
    for (let n = 2; used.has(unique); n++) unique = `${key}~${n}`;
    used.add(unique);
    return unique;
  }

  return {
    redact(value) {
      const w: Walk = { build: true, findings: [], stack: new Set() };
      return { value: walk(value, '', undefined, false, w), findings: w.findings };
    },
    containsPhi(value) {
      const w: Walk = { build: false, findings: [], stack: new Set() };
      walk(value, '', undefined, false, w);
      return w.findings;
    },
    scanText(text) {
      const w: Walk = { build: false, findings: [], stack: new Set() };
      scanString(text, '', false, w);
      return w.findings;
    },
    token,
  };
}
