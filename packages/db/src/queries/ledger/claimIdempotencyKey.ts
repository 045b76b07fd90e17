import type { Sql } from '../../client.js';
import { claimIdempotencyKeys, type ClaimRequest, type ClaimResult } from './claimIdempotencyKeys.js';

/**
 * Idempotency_Check in one round trip: insert the key, or take over a stale lock
 * (a crashed worker's) for the same payload, or else report the existing row.
 * Every claim bumps `fence`; later writes of the run are conditioned on it.
 */
export async function claimIdempotencyKey(sql: Sql, req: ClaimRequest): Promise<ClaimResult> {
  const [result] = await claimIdempotencyKeys(sql, [req]);
  return result!;
}
