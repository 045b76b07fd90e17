import { listEventsForPhiScan, listRunsForPhiScan, recordAlert, type Db } from '@revos/db';
import { newAlertId } from '@revos/envelope';
import { createRedactor, defineWorkflow, type PhiFinding, type Redactor } from '@revos/runtime';
import { WF84Manifest } from '../manifests/WF84_Compliance_Sentinel.js';

export interface WF84ComplianceSentinelOptions {
  /** The durable record: the tenant's stored runs and events are read, alerts written. */
  records: Db;
  /** The PHI token key (`PHI_TOKEN_KEY`); the scan itself never makes a token, but the redactor needs one. */
  tokenKey: string;
}

/** What one alert names: where PHI sits, never what it is. */
export interface PhiLeak {
  table: 'workflow_runs' | 'events';
  run_id: string;
  workflow_name: string;
  /** The event for `events`, the run for `workflow_runs`. */
  record_id: string;
  /** Dotted path inside the stored row, e.g. `envelope.payload.body` or `payload.to`. */
  path: string;
  /** Every kind found at that path; `kind` in the alert is the first. */
  kinds: PhiFinding['kind'][];
}

/** The alert kind WF84 writes. */
export const PHI_ALERT_KIND = 'phi_detected';

/** One alert per (run, table, path, event): a later scan finding the same leak adds nothing. */
export function phiAlertDedupeKey(leak: Pick<PhiLeak, 'table' | 'run_id' | 'record_id' | 'path'>): string {
  const record = leak.table === 'events' ? `:${leak.record_id}` : '';
  return `${PHI_ALERT_KIND}:${leak.table}:${leak.run_id}${record}:${leak.path}`;
}

/** Findings in one stored document, grouped by path (a string can hold a phone and an email). */
function leaksIn(
  redactor: Redactor,
  value: unknown,
  prefix: string,
  at: Omit<PhiLeak, 'path' | 'kinds'>,
  out: PhiLeak[],
): void {
  if (value === null || value === undefined) return;
  const byPath = new Map<string, PhiLeak>();
  for (const f of redactor.containsPhi(value)) {
    const path = f.path === '' ? prefix : `${prefix}.${f.path}`;
    const leak = byPath.get(path) ?? { ...at, path, kinds: [] };
    if (!leak.kinds.includes(f.kind)) leak.kinds.push(f.kind);
    byPath.set(path, leak);
  }
  out.push(...byPath.values());
}

/** A finding in a log line: the line's index and the path inside it (`''` for a plain-text line). */
export interface LogLeak {
  line: number;
  path: string;
  kind: PhiFinding['kind'];
}

/**
 * Scans log lines (parsed JSON objects, or raw text) for PHI. WF84 does not read log files itself:
 * logs live wherever the deployment ships them (stdout, a collector), not in the database the
 * workflow can reach. This is the same check, for whatever holds the lines (a test feeding the
 * fleet's captured output, a log pipeline hook).
 */
export function scanLogLines(redactor: Pick<Redactor, 'containsPhi' | 'scanText'>, lines: readonly unknown[]): LogLeak[] {
  const leaks: LogLeak[] = [];
  lines.forEach((line, index) => {
    const findings = typeof line === 'string' ? redactor.scanText(line) : redactor.containsPhi(line);
    for (const f of findings) leaks.push({ line: index, path: f.path, kind: f.kind });
  });
  return leaks;
}

/**
 * The compliance sentinel (convention §7), a batch (cron) workflow: scans the tenant's
 * `phi_minimized` runs written in the last `since_minutes` — the stored envelope and output of each,
 * and the payload and subject of its events — for PHI the redactor would have caught (catalogued
 * fields with raw values, phone/email/SSN/DOB patterns). Each finding becomes one `phi_detected`
 * alert naming the run, the table and the field path, never the value. A redacted run scans clean:
 * tokens and free-text markers are recognised as redaction output.
 *
 * The tenant is the run's own; schedule one WF84 per tenant. The window ends at the run's
 * `timestamp_utc`, so a retried attempt scans the same rows.
 */
export function WF84_Compliance_Sentinel(options: WF84ComplianceSentinelOptions) {
  const redactor = createRedactor({ key: options.tokenKey });
  return defineWorkflow({
    ...WF84Manifest,
    async run(ctx) {
      // Read here, not when the catalog is built: a catalog that never runs handlers (the producer's) has no record.
      const { sql } = options.records;
      const meta = ctx.envelope.meta;
      const tenantId = ctx.tenant.tenantId;
      const until = new Date(meta.timestamp_utc);
      const since = new Date(until.getTime() - ctx.payload.since_minutes * 60_000);
      const runs = await listRunsForPhiScan(sql, { tenantId, since, until, excludeRunId: meta.workflow_run_id, limit: ctx.payload.limit });
      const events = await listEventsForPhiScan(sql, tenantId, runs.map((r) => r.workflow_run_id));
      const workflowOf = new Map(runs.map((r) => [r.workflow_run_id, r.workflow_name]));

      const leaks: PhiLeak[] = [];
      for (const r of runs) {
        const at = { table: 'workflow_runs' as const, run_id: r.workflow_run_id, workflow_name: r.workflow_name, record_id: r.workflow_run_id };
        leaksIn(redactor, r.envelope, 'envelope', at, leaks);
        leaksIn(redactor, r.output, 'output', at, leaks);
      }
      for (const e of events) {
        const at = { table: 'events' as const, run_id: e.workflow_run_id, workflow_name: workflowOf.get(e.workflow_run_id) ?? '', record_id: e.event_id };
        leaksIn(redactor, e.subject, 'subject', at, leaks);
        leaksIn(redactor, e.payload, 'payload', at, leaks);
      }

      let alertsNew = 0;
      if (leaks.length > 0) {
        // recordAlert dedupes on the key (insert ... on conflict do nothing), so repeating the whole
        // batch after a crash writes nothing twice: that is the "vendor dedupes" case, and a repeat
        // is safe. The event keeps counts only.
        const written = await ctx.effect(
          'alerts.phi_detected',
          { service: 'revos', endpoint: 'alerts.record', eventType: 'compliance.phi_alerts', direction: 'internal', vendorDedupes: true },
          async () => {
            let created = 0;
            for (const leak of leaks) {
              const isNew = await recordAlert(sql, {
                alertId: newAlertId(),
                tenantId,
                kind: PHI_ALERT_KIND,
                workflowName: leak.workflow_name || null,
                workflowRunId: leak.run_id,
                dedupeKey: phiAlertDedupeKey(leak),
                details: { table: leak.table, run_id: leak.run_id, record_id: leak.record_id, path: leak.path, kind: leak.kinds[0], kinds: leak.kinds },
              });
              if (isNew) created += 1;
            }
            return { alerts_new: created, alerts_existing: leaks.length - created };
          },
        );
        alertsNew = written.alerts_new;
        ctx.log.warn({ findings: leaks.length, alerts_new: alertsNew, runs_scanned: runs.length }, 'PHI found in phi_minimized records');
      }
      return {
        summary: leaks.length === 0 ? `${runs.length} phi_minimized run(s) scanned: clean` : `${leaks.length} PHI finding(s) in ${new Set(leaks.map((l) => l.run_id)).size} run(s)`,
        primary_outputs: {
          runs_scanned: runs.length,
          events_scanned: events.length,
          findings: leaks.length,
          alerts_new: alertsNew,
          alerts_existing: leaks.length - alertsNew,
          window: { since: since.toISOString(), until: until.toISOString() },
        },
        phi_touched: false,
      };
    },
  });
}
