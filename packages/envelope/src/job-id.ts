import { isIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_TRIGGER_ID_LENGTH } from "./idempotency-key.js";

/**
 * Longest job id {@link toJobId} can return: the key bound (398) plus 2 extra characters for each of
 * the 4 separator colons, plus 2 for every trigger-id character in the worst case (all `:`/`%`):
 * 398 + 8 + 400 = 806. Only `%` and `:` grow, and only the trigger id may contain them.
 */
export const MAX_JOB_ID_LENGTH = MAX_IDEMPOTENCY_KEY_LENGTH + 2 * 4 + 2 * MAX_TRIGGER_ID_LENGTH;

/**
 * Encodes an idempotency key as a BullMQ custom job id. BullMQ refuses ids containing `:` (its
 * Redis key separator) and integer-like ids (they collide with its own counters). Only `%` → `%25`
 * and `:` → `%3A` are escaped, so the id stays readable in Bull Board and decodes exactly; the
 * result starts with `idem%3A`, so it is never integer-like. Using the key as job id makes BullMQ
 * itself drop a duplicate enqueue of the same run.
 * @throws TypeError when `key` is not a valid idempotency key.
 */
export function toJobId(key: string): string {
  if (!isIdempotencyKey(key)) throw new TypeError("toJobId: not a valid idempotency key");
  return key.replace(/[%:]/g, (c) => (c === "%" ? "%25" : "%3A"));
}

/**
 * Decodes {@link toJobId}. Strict: only the two upper-case escapes are accepted (so each key has
 * exactly one job id), and the decoded string must be a valid idempotency key.
 * @throws TypeError otherwise.
 */
export function fromJobId(jobId: string): string {
  if (typeof jobId !== "string" || jobId.length > MAX_JOB_ID_LENGTH || jobId.includes(":") || /%(?!25|3A)/.test(jobId)) {
    throw new TypeError("fromJobId: not a job id produced by toJobId");
  }
  const key = jobId.replace(/%(25|3A)/g, (_, hex: string) => (hex === "25" ? "%" : ":"));
  if (!isIdempotencyKey(key)) throw new TypeError("fromJobId: job id does not decode to a valid idempotency key");
  return key;
}
