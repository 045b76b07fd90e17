/**
 * @revos/envelope: the orchestration convention v1 as code. Contracts (zod schemas + types),
 * ids, naming rules, canonical JSON hashing, idempotency keys, BullMQ job ids and failure codes.
 * Pure: no I/O and no environment access.
 */
export * from "./ids.js";
export * from "./naming.js";
export * from "./errors.js";
export * from "./vendor-outcome.js";
export * from "./canonical-json.js";
export * from "./envelope-hash.js";
export * from "./idempotency-key.js";
export * from "./job-id.js";
export * from "./schemas.js";
export * from "./validation.js";
export * from "./policy.js";
export * from "./card-data.js";
export * from "./consent.js";
export * from "./tasks.js";
export * from "./json-limits.js";
export * from "./tenant-config.js";
export * from "./email-address.js";
