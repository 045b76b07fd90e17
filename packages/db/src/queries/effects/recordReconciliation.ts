import type { Sql } from '../../client.js';
import type { Lease } from '../ledger/lease.js';
import { jsonb } from '../json.js';

/** One time the vendor was asked whether an effect happened. Holds no PHI: masked target, ids, counts. */
export interface Reconciliation {
  question: string;
  /** `found`: the vendor has it; `absent`: proven not there; `not_yet_provable`: absent but within the listing delay; `undecidable`. */
  answer: 'found' | 'absent' | 'not_yet_provable' | 'undecidable';
  /** What the answer rests on: the vendor's resource id, how many entries were read, the lookup error code. */
  evidence: Record<string, unknown>;
}

/**
 * Appends the question, the answer and its evidence to the effect's journal entry (under the lease),
 * so staff and auditors can see why an effect was completed, called again or handed to a person.
 */
export async function recordReconciliation(sql: Sql, lease: Lease, effectName: string, r: Reconciliation): Promise<boolean> {
  const entry = { asked_at: new Date().toISOString(), question: r.question, answer: r.answer, evidence: r.evidence };
  const rows = await sql`
    update effects e
       set reconciliations = e.reconciliations || jsonb_build_array(${jsonb(entry)}::text::jsonb)
      from idempotency_keys k
     where e.idempotency_key = ${lease.idempotencyKey} and e.effect_name = ${effectName}
       and k.idempotency_key = e.idempotency_key and k.fence = ${lease.fence} and k.lease_token = ${lease.token} and k.state = 'in_progress'
    returning 1`;
  return rows.length === 1;
}
