import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

// The ulid package asks its random source for one number per character; its default source draws a
// fresh crypto buffer each time, which showed up as 3% of a worker's CPU. This one reads bytes from a
// 4 KiB crypto pool instead. byte / 256 picks a character uniformly: 256 is a multiple of 32.
const POOL_BYTES = 4096;
let pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
let poolAt = 0;
function pooledRandom(): number {
  if (poolAt === POOL_BYTES) {
    pool = randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

/**
 * Monotonic ULIDs: 48-bit millisecond time, then 80 random bits. Within one millisecond the random
 * part is incremented instead of redrawn, so ids minted by this process sort in creation order.
 */
const nextUlid = monotonicFactory(pooledRandom);

/** Run ids: `wr_` followed by 1..64 alphanumerics (a ULID in practice). */
export const RUN_ID_RE = /^wr_[0-9A-Za-z]{1,64}$/;

/**
 * Mints `${prefix}_${ULID}`. ULIDs are lexicographically sortable by time, which keeps
 * index inserts append-only and makes ids readable in logs.
 */
export function newId<P extends string>(prefix: P): `${P}_${string}` {
  return `${prefix}_${nextUlid()}`;
}

/** Workflow run id (`wr_…`). */
export const newRunId = () => newId("wr");
/** Event row id (`ev_…`). */
export const newEventId = () => newId("ev");
/** Task id (`task_…`). */
export const newTaskId = () => newId("task");
/** Alert id (`alert_…`). */
export const newAlertId = () => newId("alert");
/** Correlation id (`corr_…`), shared by every run of one causal chain. */
export const newCorrelationId = () => newId("corr");
/** Side-effect id (`eff_…`). */
export const newEffectId = () => newId("eff");
/** Outbox row id (`obx_…`). */
export const newOutboxId = () => newId("obx");
