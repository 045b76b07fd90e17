import { monotonicFactory } from "ulid";

/**
 * One factory per process: within the same millisecond it increments the random part instead of
 * drawing a fresh one, so ids minted by this process sort in creation order.
 */
const nextUlid = monotonicFactory();

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
