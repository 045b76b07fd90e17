/**
 * How `revos prune` shows a pass: a dry run lists per tenant what would go; a real pass what went.
 * Text for people, the same objects as JSON for scripts (`--json`).
 */
import type { PruneDryRun, PruneResult } from '@revos/runtime';

type Table = (rows: string[][]) => string;

export function formatPruneDryRun(dry: PruneDryRun, table: Table): string {
  const lines = [
    `retention: runs ${dry.default_retention_days} days, dedupe window ${dry.default_dedupe_window_days} days (defaults; a tenant's config may set its own)`,
  ];
  if (dry.tenants.length === 0 && dry.fleet_alerts === 0) lines.push('nothing would be pruned');
  else {
    lines.push(
      table([
        ['TENANT', 'RUNS', 'EVENTS', 'EFFECTS', 'OUTBOX', 'TASKS', 'INTAKE', 'LEDGER_KEYS', 'ALERTS', 'OLDEST_ACCEPTED'],
        ...dry.tenants.map((t) => [t.tenant_id, t.runs, t.events, t.effects, t.outbox, t.tasks, t.accepted_runs, t.ledger_keys, t.alerts, t.oldest_accepted_at ?? '-'].map(String)),
      ]),
    );
  }
  if (dry.fleet_alerts > 0) lines.push(`alerts of no tenant (fleet-wide): ${dry.fleet_alerts}`);
  for (const s of dry.skipped_tenants) lines.push(`skipped ${s.tenant_id}: ${s.issues.join('; ')}`);
  lines.push('(dry run: nothing was removed)');
  return lines.join('\n');
}

export function formatPruneResult(r: PruneResult): string {
  const lines = [
    `pruned ${r.runs} run(s), ${r.events} event(s), ${r.effects} effect(s), ${r.outbox} outbox row(s), ${r.tasks} task(s), ${r.accepted_runs} intake record(s), ${r.ledger_keys} ledger key(s), ${r.alerts} alert(s); ${r.jobs} finished job(s) removed from Redis`,
  ];
  for (const t of r.skipped_tenants) lines.push(`skipped ${t}: its retention setting is invalid (see revos prune --dry-run)`);
  return lines.join('\n');
}
