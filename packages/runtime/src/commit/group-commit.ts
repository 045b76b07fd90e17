import {
  claimIdempotencyKeys,
  completeEffects,
  recordRunOutcomes,
  startEffects,
  type ClaimRequest,
  type ClaimResult,
  type FinishEffect,
  type RunOutcome,
  type Sql,
  type StartEffect,
} from '@revos/db';
import { MicroBatcher } from './micro-batcher.js';

/** The statements every run makes, batched across the runs of this process. */
export interface GroupCommit {
  claim(req: ClaimRequest): Promise<ClaimResult>;
  record(outcome: RunOutcome): Promise<boolean>;
  /** An effect's intent (vendors that do not dedupe). */
  startEffect(entry: StartEffect): Promise<boolean>;
  /** An effect's result and its event (vendors that do not dedupe). */
  completeEffect(entry: FinishEffect): Promise<boolean>;
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
    const effectKey = (e: StartEffect) => `${e.lease.idempotencyKey}|${e.effectName}`;
    const intents = new MicroBatcher<StartEffect, boolean>((es) => startEffects(sql, es), { maxBatch: MAX_BATCH, keyOf: effectKey });
    const results = new MicroBatcher<FinishEffect, boolean>((es) => completeEffects(sql, es), { maxBatch: MAX_BATCH, keyOf: effectKey });
    gc = {
      claim: (r) => claims.submit(r),
      record: (o) => outcomes.submit(o),
      startEffect: (e) => intents.submit(e),
      completeEffect: (e) => results.submit(e),
    };
    perPool.set(sql, gc);
  }
  return gc;
}
