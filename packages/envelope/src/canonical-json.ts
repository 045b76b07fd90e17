import * as crypto from "node:crypto";

/** Matches a UTF-16 surrogate that is not part of a pair (with the `u` flag, pairs are one code point). */
const LONE_SURROGATE_RE = /\p{Surrogate}/u;

const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Where the serialiser is: the keys from the root down. Kept as a stack and turned into `$.a.b[2]`
 * only when something cannot be serialised, so a value that can pays no path strings.
 */
type Trail = (string | number)[];

function pathOf(trail: Trail): string {
  let path = "$";
  for (const key of trail) {
    if (typeof key === "number") path += `[${key}]`;
    else path += IDENTIFIER_RE.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
}

function fail(trail: Trail, what: string): never {
  throw new TypeError(`canonicalJson: ${what} at ${pathOf(trail)} cannot be serialised`);
}

function serialiseString(s: string, trail: Trail): string {
  // I-JSON (which JCS requires) forbids lone surrogates; they would also not survive UTF-8 hashing.
  if (LONE_SURROGATE_RE.test(s)) fail(trail, "a string with an unpaired surrogate");
  return JSON.stringify(s);
}

function serialise(value: unknown, trail: Trail, seen: Set<object>): string {
  switch (typeof value) {
    case "string":
      return serialiseString(value, trail);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) fail(trail, String(value));
      // Number#toString is the JCS number format (ECMAScript shortest round-trip); -0 prints "0".
      return String(value);
    case "bigint":
      return fail(trail, "a bigint");
    case "function":
      return fail(trail, "a function");
    case "symbol":
      return fail(trail, "a symbol");
    case "undefined":
      return fail(trail, "undefined");
    case "object":
      break;
  }
  if (value === null) return "null";
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(trail, "an invalid Date");
    return JSON.stringify(value.toISOString());
  }
  const obj = value as object;
  if (seen.has(obj)) fail(trail, "a circular reference");
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      let out = "[";
      for (let i = 0; i < obj.length; i++) {
        const element: unknown = obj[i];
        trail.push(i);
        // JSON.stringify would silently turn these into null; a hash must not guess.
        if (element === undefined) fail(trail, "undefined (array element)");
        out += (i === 0 ? "" : ",") + serialise(element, trail, seen);
        trail.pop();
      }
      return out + "]";
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj.constructor as { name?: unknown } | undefined)?.name;
      fail(trail, `an instance of ${typeof name === "string" && name ? name : "a non-plain class"}`);
    }
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is exactly the JCS key order.
    const keys = Object.keys(record).sort();
    let out = "{";
    let first = true;
    for (const key of keys) {
      const member = record[key];
      if (member === undefined) continue; // as JSON.stringify: absent and undefined mean the same
      trail.push(key);
      out += (first ? "" : ",") + serialiseString(key, trail) + ":" + serialise(member, trail, seen);
      trail.pop();
      first = false;
    }
    return out + "}";
  } finally {
    seen.delete(obj);
  }
}

/**
 * Serialises a JSON value per RFC 8785 (JCS): object keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as `JSON.stringify` does, numbers as ECMAScript `Number#toString`
 * (`1.0` → `1`, `-0` → `0`, `1e21` → `1e+21`). Same value in, same bytes out, whatever the key order.
 *
 * Beyond plain JSON: object properties whose value is `undefined` are omitted (as `JSON.stringify`
 * does), and a `Date` is written as its `toISOString()` string (what it becomes after a JSON round
 * trip, so the hash survives the queue). Everything else throws a `TypeError` naming the path
 * (`$.a.b[2]`): NaN/±Infinity, bigint, functions, symbols, `undefined` at the top level or in an
 * array, Map/Set/class instances, lone surrogates in strings, and cycles. `toJSON` is not consulted.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, [], new Set());
}

/**
 * One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per call, half the time of
 * createHash().update().digest(); the engines field still admits 20.11, which lacks it.
 */
const sha256HexOf: (data: string | Uint8Array) => string =
  typeof crypto.hash === "function" ? (data) => crypto.hash("sha256", data, "hex") : (data) => crypto.createHash("sha256").update(data).digest("hex");

/** Lowercase hex SHA-256. Strings are hashed as UTF-8. */
export function sha256Hex(data: string | Uint8Array): string {
  return sha256HexOf(data);
}


/**
 * The convention's `payload_hash = sha256(stable_json(payload))`: 64 lowercase hex characters, the
 * last component of an idempotency key.
 */
export function payloadHash(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}

/** `sha256_` + hex of the canonical JSON of `value`: the format of `inputs_hash` / `outputs_hash`. */
export function contractHash(value: unknown): `sha256_${string}` {
  return `sha256_${sha256Hex(canonicalJson(value))}`;
}
