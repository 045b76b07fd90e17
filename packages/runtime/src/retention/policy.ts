import { listTenantRetentionSettings, type RetentionPolicy, type Sql, type TenantRetention } from '@revos/db';
import { RetentionDays as Days } from '@revos/envelope';
import { z } from 'zod';

/**
 * A tenant's own retention, from its config (`tenants.config`): `retention_days` (runs, events,
 * effects, outbox, tasks) and `dedupe_window_days` (the ledger; default: as long as the runs). A
 * dedupe window shorter than the runs would let a duplicate of a run still on record run again.
 */
export const TenantRetentionConfig = z
  .object({ retention_days: Days.optional(), dedupe_window_days: Days.optional() })
  .superRefine((value, ctx) => {
    if (value.retention_days !== undefined && value.dedupe_window_days !== undefined && value.dedupe_window_days < value.retention_days) {
      ctx.addIssue({ code: 'custom', path: ['dedupe_window_days'], message: 'must be at least retention_days (a duplicate of a run still kept must stay a noop)' });
    }
  });
export type TenantRetentionConfig = z.infer<typeof TenantRetentionConfig>;

/** The deployment's defaults (the producer's RETENTION_DAYS and DEDUPE_WINDOW_DAYS). */
export interface RetentionDefaults {
  keepDays: number;
  /** Absent: each tenant's dedupe window is as long as its runs are kept. */
  dedupeDays?: number;
}

export class InvalidRetentionConfigError extends Error {
  override name = 'InvalidRetentionConfigError';
  constructor(
    readonly tenantId: string,
    /** `field: rule` per failing field, e.g. `config.retention_days: must be at least 1 day`. */
    readonly issues: string[],
  ) {
    super(`tenant ${tenantId}: invalid retention setting (${issues.join('; ')})`);
  }
}

/** Checks the retention keys of a tenant config; throws InvalidRetentionConfigError naming each bad field. */
export function checkTenantRetentionConfig(tenantId: string, config: Record<string, unknown>): TenantRetentionConfig {
  const parsed = TenantRetentionConfig.safeParse({ retention_days: config.retention_days, dedupe_window_days: config.dedupe_window_days });
  if (!parsed.success) {
    throw new InvalidRetentionConfigError(tenantId, parsed.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

function resolve(own: TenantRetentionConfig, defaults: RetentionDefaults): { keepDays: number; dedupeDays: number } {
  const keepDays = own.retention_days ?? defaults.keepDays;
  // A default dedupe window never cuts under a tenant's longer run retention.
  const dedupeDays = own.dedupe_window_days ?? Math.max(defaults.dedupeDays ?? keepDays, keepDays);
  return { keepDays, dedupeDays };
}

export interface LoadedRetentionPolicy {
  policy: RetentionPolicy;
  /** Tenants skipped because their setting is invalid, with the reason (field and rule). */
  invalid: InvalidRetentionConfigError[];
}

/**
 * The whole policy of a prune pass: every tenant's own setting, resolved against the defaults. A
 * tenant whose setting is invalid is skipped (nothing of it is pruned) and reported, never guessed at.
 */
export async function loadRetentionPolicy(sql: Sql, defaults: RetentionDefaults): Promise<LoadedRetentionPolicy> {
  const tenants: TenantRetention[] = [];
  const invalid: InvalidRetentionConfigError[] = [];
  for (const row of await listTenantRetentionSettings(sql)) {
    try {
      const own = checkTenantRetentionConfig(row.tenant_id, { retention_days: row.retention_days ?? undefined, dedupe_window_days: row.dedupe_window_days ?? undefined });
      tenants.push({ tenantId: row.tenant_id, ...resolve(own, defaults) });
    } catch (error) {
      if (!(error instanceof InvalidRetentionConfigError)) throw error;
      invalid.push(error);
    }
  }
  const fallback = resolve({}, defaults);
  return {
    policy: { tenants, defaultKeepDays: fallback.keepDays, defaultDedupeDays: fallback.dedupeDays, skipTenants: invalid.map((e) => e.tenantId) },
    invalid,
  };
}
