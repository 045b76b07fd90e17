/**
 * At start: PostgreSQL settings the fleet's statements rely on without saying so.
 *
 * The worker's hot statements are prepared once per connection and keep the plan PostgreSQL chose
 * from the tables' statistics. Autovacuum's ANALYZE is what refreshes those statistics (and so those
 * plans) as the ledger grows. Without it a plan made while `idempotency_keys` was small stays a
 * sequential scan: each batch then reads every key ever written, and the fleet slows as its history
 * grows (the bench measured 737 → 588 runs/s between the first and second 20,000 runs; docs/performance.md).
 * A warning, not a refusal: the server is the operator's, and the fleet stays correct, only slower.
 */
import type { Db } from '@revos/db';
import type { Logger } from '@revos/runtime';

export interface DatabaseSettingWarning {
  setting: 'autovacuum' | 'track_counts';
  value: string;
  /** What it costs and what to do, for the log line and the runbook. */
  message: string;
}

/** The settings that keep the planner's statistics fresh, as the server reports them. */
export async function findDatabaseSettingWarnings(db: Db): Promise<DatabaseSettingWarning[]> {
  const [row] = await db.sql<{ autovacuum: string; track_counts: string }[]>`
    select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts`;
  const warnings: DatabaseSettingWarning[] = [];
  if (row!.autovacuum !== 'on') {
    warnings.push({
      setting: 'autovacuum',
      value: row!.autovacuum,
      message: 'PostgreSQL runs without autovacuum: table statistics go stale, the ledger statements keep plans made for small tables and slow down as tables grow; turn autovacuum on, or ANALYZE on a schedule (docs/operations.md)',
    });
  }
  if (row!.track_counts !== 'on') {
    warnings.push({
      setting: 'track_counts',
      value: row!.track_counts,
      message: 'PostgreSQL runs without track_counts: autovacuum cannot tell which tables changed and never analyzes them; turn track_counts on (docs/operations.md)',
    });
  }
  return warnings;
}

/** One warn line per setting that needs attention; a failed read is a warning too, never a failed start. */
export async function warnDatabaseSettings(db: Db, log: Logger): Promise<DatabaseSettingWarning[]> {
  let warnings: DatabaseSettingWarning[];
  try {
    warnings = await findDatabaseSettingWarnings(db);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'could not read the database settings the fleet relies on');
    return [];
  }
  for (const w of warnings) log.warn({ setting: w.setting, value: w.value }, w.message);
  return warnings;
}
