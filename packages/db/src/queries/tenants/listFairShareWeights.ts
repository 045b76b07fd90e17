import type { Sql } from '../../client.js';

/**
 * Tenants whose config sets `fair_share_weight`, with it (the rest weigh 1). Only whole numbers from
 * 1 to 100 count: a stored value outside the rule (a row written by hand) reads as the default.
 */
export async function listFairShareWeights(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ tenant_id: string; weight: unknown }[]>`
    select tenant_id, config->'fair_share_weight' as weight from tenants where config ? 'fair_share_weight'`;
  const weights = new Map<string, number>();
  for (const row of rows) {
    const weight = row.weight;
    if (typeof weight === 'number' && Number.isInteger(weight) && weight >= 1 && weight <= 100 && weight !== 1) weights.set(row.tenant_id, weight);
  }
  return weights;
}
