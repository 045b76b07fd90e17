import { randomFillSync } from "node:crypto";

/** Crockford's base32, the ULID alphabet. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Random bytes are drawn 4 KiB at a time: the ulid package drew them per character, which showed up
// as 3% of a worker's CPU. `byte & 31` is uniform because 256 is a multiple of 32.
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomDigits(out: number[]): void {
  if (poolAt + 16 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(4096));
    poolAt = 0;
  }
  for (let i = 0; i < 16; i++) out[i] = pool[poolAt + i]! & 31;
  poolAt += 16;
}

let lastTime = -1;
const lastRandom: number[] = new Array<number>(16).fill(0);

/**
 * A monotonic ULID: 48-bit millisecond time, then 80 random bits. Within one millisecond the random
 * part is incremented instead of redrawn, so ids minted by this process sort in creation order.
 */
function nextUlid(): string {
  let time = Date.now();
  if (time <= lastTime) {
    time = lastTime;
    let i = 15;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    if (i < 0) {
      // 2^80 ids in one millisecond: move to the next one rather than repeat.
      time = ++lastTime;
      randomDigits(lastRandom);
    } else {
      lastRandom[i]! += 1;
    }
  } else {
    lastTime = time;
    randomDigits(lastRandom);
  }
  let out = "";
  for (let shift = 45; shift >= 0; shift -= 5) out += ALPHABET[Math.floor(time / 2 ** shift) % 32];
  for (const d of lastRandom) out += ALPHABET[d];
  return out;
}

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
