/**
 * The one seam between a staff answer and the effect journal: a task about an unknown vendor outcome
 * resolved as `sent` completes the journal, `not_sent` allows exactly one new call.
 *
 * The journal settlement itself is `settleUnknownEffect(sql, { tenantId, idempotencyKey, effectName,
 * outcome, actor, note })` in @revos/db, built on another branch (issue 11). Until it is merged this
 * function refuses, and the task API answers 409 `settlement_unavailable` leaving the task as it was,
 * rather than closing a task whose text may or may not have gone out. At merge, replace the body with
 * the call below.
 */
import type { TransactionSql } from '@revos/db';

export interface TaskEffectSettlement {
  tenantId: string;
  idempotencyKey: string;
  effectName: string;
  outcome: 'sent' | 'not_sent';
  actor: string;
  note: string | null;
}

/** Thrown while the journal settlement is not available; the caller answers 409 and changes nothing. */
export class SettlementUnavailableError extends Error {
  override name = 'SettlementUnavailableError';
  constructor() {
    super('settling an unknown vendor outcome needs settleUnknownEffect from @revos/db, which this build does not have');
  }
}

export async function settleTaskEffect(_tx: TransactionSql, _settlement: TaskEffectSettlement): Promise<void> {
  // At merge: await settleUnknownEffect(_tx, _settlement);
  throw new SettlementUnavailableError();
}
