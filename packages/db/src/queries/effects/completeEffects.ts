import type { Sql } from '../../client.js';
import { effectCompletion, EFFECT_INPUT_COLUMNS, effectInputRow, type FinishEffect } from './effect-completion.js';

/** Many results in one statement (group commit); (key, effect) pairs must be distinct within a call. */
export async function completeEffects(sql: Sql, entries: FinishEffect[]): Promise<boolean[]> {
  const input = entries.map((f, idx) => ({ idx, ...effectInputRow(f) }));
  const rows = await sql<{ idx: number }[]>`
    with effect_input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb) as i(idx int, ${sql.unsafe(EFFECT_INPUT_COLUMNS)})
    ), ${effectCompletion(sql)}
    select i.idx from effect_input i join effect_events ev on ev.idempotency_key = i.key and ev.effect_name = i.name`;
  const recorded = new Set(rows.map((r) => r.idx));
  return entries.map((_, idx) => recorded.has(idx));
}
