import { claimIdempotencyKeys, recordRunOutcomes, type ClaimRequest, type ClaimResult, type RunOutcome, type Sql } from '@revos/db';
import { MicroBatcher } from './micro-batcher.js';

/** The two statements every run makes, batched across the runs of this process. */
export interface GroupCommit {
  claim(req: ClaimRequest): Promise<ClaimResult>;
  record(outcome: RunOutcome): Promise<boolean>;
}

/** Most runs one statement carries; bounds a statement's size (and a failed batch's retry work). */
const MAX_BATCH = 64;

const perPool = new WeakMap<Sql, GroupCommit>();

/** The group commit of one connection pool (shared by every lane worker using it). */
export function groupCommitFor(sql: Sql): GroupCommit {
  let gc = perPool.get(sql);
  if (!gc) {
    const claims = new MicroBatcher<ClaimRequest, ClaimResult>((reqs) => claimIdempotencyKeys(sql, reqs), {
      maxBatch: MAX_BATCH,
      keyOf: (r) => r.idempotencyKey,
    });
    const outcomes = new MicroBatcher<RunOutcome, boolean>((os) => recordRunOutcomes(sql, os), {
      maxBatch: MAX_BATCH,
      keyOf: (o) => o.run.workflowRunId,
    });
    gc = { claim: (r) => claims.submit(r), record: (o) => outcomes.submit(o) };
    perPool.set(sql, gc);
  }
  return gc;
}
