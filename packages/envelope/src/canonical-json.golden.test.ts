import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, contractHash, payloadHash, sha256Hex } from "./canonical-json.js";

/*
 * Golden vectors. The hashes were computed outside this code, from the expected bytes, with
 * `printf '%s' '<bytes>' | sha256sum` (UTF-8), so a change in serialisation or hashing shows here.
 */
const GOLDEN: Array<{ name: string; input: unknown; bytes: string; sha256: string }> = [
  {
    name: "nested objects with unsorted keys",
    input: { b: 2, a: { d: [3, { z: 1, y: null }], c: true } },
    bytes: '{"a":{"c":true,"d":[3,{"y":null,"z":1}]},"b":2}',
    sha256: "7009c6ca48bbfe236d9ea2f565103ed59ccc51b507e648b1379a9784a691fc97",
  },
  {
    // UTF-16 order puts U+1F600 (D83D DE00) before U+FB33 and U+FFFD; code-point order would not.
    name: "unicode keys sorted by UTF-16 code units",
    input: {
      "\ufffd": "replacement",
      "\u20ac": "euro",
      "\r": "CR",
      "\ufb33": "dalet",
      "1": "one",
      "\u{1F600}": "grin",
      "\u0080": "ctl",
      "\u00f6": "o-umlaut",
    },
    bytes: '{"\\r":"CR","1":"one","\u0080":"ctl","\u00f6":"o-umlaut","\u20ac":"euro","\u{1F600}":"grin","\ufb33":"dalet","\ufffd":"replacement"}',
    sha256: "7ab69827fdf5611a6dc151438fd3547d12040dede66bbb7beb0ce9300fe5aadf",
  },
  {
    name: "numbers in ECMAScript form",
    input: [1.0, -0, 1e21, 0.1, 1e-7, 123456789012345678901, 5e-324, -1.5, 100, 1e100],
    bytes: "[1,0,1e+21,0.1,1e-7,123456789012345680000,5e-324,-1.5,100,1e+100]",
    sha256: "9f8712f16564fbe40182cb887cf201eaec8330469f91ac2cd70fb0a67cfc3aa5",
  },
  {
    name: "escapes in strings",
    input: { s: 'quote" backslash\\ nl\n tab\t ctl\u0001 del\u007f slash/ \u00e9' },
    bytes: '{"s":"quote\\" backslash\\\\ nl\\n tab\\t ctl\\u0001 del\u007f slash/ \u00e9"}',
    sha256: "8d76a29ed9e0c0f202c730a98784c3cea434469e4a107c4c9cd616499de4ab1d",
  },
  {
    name: "empty object and array",
    input: { o: {}, a: [] },
    bytes: '{"a":[],"o":{}}',
    sha256: "9bee7ebfc94b459dacb8cbc72cb2900e61f0aa42189df18329f84f92568f4f89",
  },
  {
    name: "empty object at the top",
    input: {},
    bytes: "{}",
    sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  },
  {
    name: "empty array at the top",
    input: [],
    bytes: "[]",
    sha256: "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
  },
  {
    name: "literals; undefined properties omitted",
    input: { x: undefined, t: true, f: false, n: null },
    bytes: '{"f":false,"n":null,"t":true}',
    sha256: "22e00dc2f7b01420f940fbdbfbdf34fa0667cc6500186495023ba37722cbd05e",
  },
  {
    name: "Date as its ISO string",
    input: { at: new Date(Date.UTC(2026, 1, 3, 21, 17, 0)) },
    bytes: '{"at":"2026-02-03T21:17:00.000Z"}',
    sha256: "ba97cdcef6a39a331403fb3d66698f8d02c19b03cd3f9c8b90105d906544a85d",
  },
];

describe("canonicalJson golden vectors", () => {
  it.each(GOLDEN)("$name", ({ input, bytes, sha256 }) => {
    expect(canonicalJson(input)).toBe(bytes);
    expect(sha256Hex(canonicalJson(input))).toBe(sha256);
    expect(sha256Hex(new TextEncoder().encode(bytes))).toBe(sha256);
    expect(payloadHash(input)).toBe(sha256);
    expect(contractHash(input)).toBe(`sha256_${sha256}`);
  });

  it("serialises scalars at the top level", () => {
    expect(canonicalJson("a")).toBe('"a"');
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(-0)).toBe("0");
  });

  it("accepts null-prototype objects", () => {
    const o = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalJson(o)).toBe('{"a":2,"b":1}');
  });
});

describe("canonicalJson rejects non-JSON values with their path", () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic["self"] = cyclic;
  it.each([
    ["NaN", { a: { b: Number.NaN } }, "$.a.b"],
    ["Infinity", { a: [1, Number.POSITIVE_INFINITY] }, "$.a[1]"],
    ["-Infinity", Number.NEGATIVE_INFINITY, "$"],
    ["bigint", { n: 1n }, "$.n"],
    ["function", { f: () => 1 }, "$.f"],
    ["symbol", { s: Symbol("s") }, "$.s"],
    ["undefined top level", undefined, "$"],
    ["undefined array element", { a: [1, undefined] }, "$.a[1]"],
    ["Map", { m: new Map() }, "$.m"],
    ["Set", { s: new Set() }, "$.s"],
    ["class instance", { p: new Point() }, "$.p"],
    ["invalid Date", { d: new Date(Number.NaN) }, "$.d"],
    ["lone surrogate", { s: "\ud800" }, "$.s"],
    ["lone surrogate key", { "\udc00": 1 }, '$["\\udc00"]'],
    ["cycle", cyclic, "$.self"],
    ["odd key", { "a b": Number.NaN }, '$["a b"]'],
  ])("%s", (_name, input, path) => {
    expect(() => canonicalJson(input)).toThrow(TypeError);
    expect(() => canonicalJson(input)).toThrow(` at ${path} `);
  });

  it("allows shared (non-cyclic) references", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rand)]));
}

describe("canonicalJson properties", () => {
  const json = fc.jsonValue({ maxDepth: 4 });

  it("hash is stable across key order", () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        let state = seed >>> 0 || 1;
        const rand = () => {
          state = (state * 1103515245 + 12345) >>> 0;
          return state / 2 ** 32;
        };
        expect(payloadHash(shuffleKeys(value, rand))).toBe(payloadHash(value));
      }),
    );
  });

  it("output is valid JSON that parses back to the same value", () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        // -0 becomes 0, as JSON cannot spell it; toEqual treats them as different, so compare re-serialised.
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
