/**
 * This process's recent acceptances, so that a repeat of a key (a webhook vendor's retry, a producer
 * resending the same body seconds later) is answered `duplicate` with its first run's ids without
 * a round trip to PostgreSQL.
 *
 * Why an answer from here is the database's answer: an accepted_runs row never changes which run
 * its key names (acceptRun inserts it once, `on conflict do nothing`, and nothing updates those
 * columns). A row only goes away by retention pruning (days after acceptance), an operator deleting
 * it, or a restore from a backup taken before it. Entries live at most `ttlMs` (an hour at most,
 * far below the shortest retention, a day), counted from when PostgreSQL gave the answer: a hit
 * never extends one. Only the last two cases can make a cached answer name a run the database no
 * longer holds, for at most that TTL (see docs/configuration.md).
 */

/** The first run of a key, as PostgreSQL answered it. */
export interface AcceptedRunIds {
  workflowRunId: string;
  rootRunId: string;
}

/** The longest TTL allowed: an hour, against a retention of at least a day. */
export const INTAKE_REPEAT_CACHE_MAX_TTL_MS = 3_600_000;

export interface IntakeRepeatCacheOptions {
  /** At most this many keys are kept, the oldest evicted first; 0 keeps none (the cache is off). */
  maxEntries: number;
  /** How long after PostgreSQL's answer an entry may answer a repeat (ms, 1 to {@link INTAKE_REPEAT_CACHE_MAX_TTL_MS}). */
  ttlMs: number;
}

interface Entry extends AcceptedRunIds {
  expiresAt: number;
}

export class IntakeRepeatCache {
  // Insertion order is acceptance order and every entry has the same TTL, so the first entry is
  // both the oldest and the first to expire.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private hitCount = 0;

  constructor(options: IntakeRepeatCacheOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 0) throw new RangeError(`maxEntries must be an integer ≥ 0, got ${options.maxEntries}`);
    if (!(options.ttlMs > 0 && options.ttlMs <= INTAKE_REPEAT_CACHE_MAX_TTL_MS)) {
      throw new RangeError(`ttlMs must be > 0 and at most ${INTAKE_REPEAT_CACHE_MAX_TTL_MS}, got ${options.ttlMs}`);
    }
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs;
  }

  /** The first run of `idempotencyKey` for this tenant, if PostgreSQL named it less than the TTL ago. */
  get(tenantId: string, idempotencyKey: string): AcceptedRunIds | undefined {
    const id = entryId(tenantId, idempotencyKey);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      this.entries.delete(id);
      return undefined;
    }
    this.hitCount++;
    return { workflowRunId: entry.workflowRunId, rootRunId: entry.rootRunId };
  }

  /** Records PostgreSQL's answer for a key: a fresh acceptance (enqueued) or a duplicate. */
  remember(tenantId: string, idempotencyKey: string, ids: AcceptedRunIds): void {
    if (this.maxEntries === 0) return;
    const id = entryId(tenantId, idempotencyKey);
    const at = now();
    // Re-inserted at the end: its age is this answer's.
    this.entries.delete(id);
    this.dropExpired(at);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { workflowRunId: ids.workflowRunId, rootRunId: ids.rootRunId, expiresAt: at + this.ttlMs });
  }

  /** Repeats answered from here since the process started (the producer's metrics read it). */
  get hits(): number {
    return this.hitCount;
  }

  /** Keys held now (expired ones not yet dropped included). */
  get size(): number {
    return this.entries.size;
  }

  private dropExpired(at: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > at) return;
      this.entries.delete(id);
    }
  }
}

/** The pair as one string; the tenant's length first, so no two pairs can spell the same one. */
function entryId(tenantId: string, idempotencyKey: string): string {
  return `${tenantId.length}:${tenantId}:${idempotencyKey}`;
}

/** Monotonic: a wall-clock step must not stretch an entry's life. */
function now(): number {
  return performance.now();
}
