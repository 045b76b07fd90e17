// Test-only fast-check arbitraries for idempotency key parts. Excluded from the build by tsconfig.build.json.
import fc from "fast-check";

const alnum = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
const tenantId = fc.string({ unit: fc.oneof(alnum, fc.constantFrom("_", "-")), minLength: 1, maxLength: 60 }).map((s) => `t_${s}`);
const word = fc
  .tuple(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), fc.string({ unit: alnum, maxLength: 8 }))
  .map(([head, tail]) => head + tail);
const workflowName = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.array(word, { minLength: 1, maxLength: 5 }))
  .map(([n, words]) => `WF${String(n).padStart(2, "0")}_${words.join("_")}`)
  .filter((s) => s.length <= 64);
// Any printable text, with colons and percent signs made frequent on purpose.
const triggerId = fc
  .string({ unit: fc.oneof(fc.constantFrom(":", "%", ":", "é", "😀"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 120 })
  .filter((s) => s.length <= 200 && !/[\u0000-\u001F\u007F-\u009F]/.test(s));
const hash = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 });
/** Valid key parts; trigger ids lean towards `:` and `%` on purpose. */
export const keyParts = fc.record({ tenant_id: tenantId, workflow_name: workflowName, trigger_id: triggerId, payload_hash: hash });
