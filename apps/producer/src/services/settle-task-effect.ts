/**
 * The one seam between a staff answer and the effect journal: a task about an unknown vendor outcome
 * resolved as `sent` completes the journal, `not_sent` allows exactly one new call. The settlement is
 * `settleUnknownEffect` (@revos/db), run inside the task's own transaction so the task closes only
 * when the journal is settled too.
 */
import { settleUnknownEffect, type SettleUnknownEffectResult, type TransactionSql } from '@revos/db';

export interface TaskEffectSettlement {
  tenantId: string;
  idempotencyKey: string;
  effectName: string;
  outcome: 'sent' | 'not_sent';
  actor: string;
  note: string | null;
}

/** The journal refused the answer (no unknown effect, or the run is being worked on): the caller answers 409 and changes nothing. */
export class SettlementRefusedError extends Error {
  override name = 'SettlementRefusedError';
  constructor(
    readonly rule: 'effect_not_found' | 'not_unknown' | 'run_in_progress',
    message: string,
  ) {
    super(message);
  }
}

export async function settleTaskEffect(tx: TransactionSql, settlement: TaskEffectSettlement): Promise<Extract<SettleUnknownEffectResult, { settled: true }>> {
  const result = await settleUnknownEffect(tx, settlement);
  if (result.settled) return result;
  switch (result.reason) {
    case 'not_found':
      throw new SettlementRefusedError('effect_not_found', `no effect ${settlement.effectName} on this task's run`);
    case 'not_unknown':
      throw new SettlementRefusedError('not_unknown', `effect ${settlement.effectName} is ${result.state}, not waiting for an answer`);
    case 'run_in_progress':
      throw new SettlementRefusedError('run_in_progress', 'the run is being worked on right now; try again when it has ended');
  }
}
