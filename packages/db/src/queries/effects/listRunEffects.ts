import type { Queryable } from '../../client.js';
import type { RunEffectRow } from './effect-rows.js';

/**
 * The effects of one run of one tenant whose name starts with `prefix` (e.g. `export.`), in the
 * order they were started. WF54 journals a plan and then one effect per written part, so this is
 * how far an export has come, from the durable record, without reaching into the worker.
 */
export async function listRunEffects(sql: Queryable, tenantId: string, runId: string, prefix: string): Promise<RunEffectRow[]> {
  return sql<RunEffectRow[]>`
    select effect_name, state, result
      from effects
     where tenant_id = ${tenantId} and workflow_run_id = ${runId}
       and starts_with(effect_name, ${prefix})
     order by created_at, effect_name`;
}
