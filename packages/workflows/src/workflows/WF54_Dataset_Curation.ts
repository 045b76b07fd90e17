import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, open, rename } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { countRunsForExport, listRunsForExport, type Db, type ExportCursor, type ExportFilter, type ExportRunRow } from '@revos/db';
import { WorkflowError } from '@revos/envelope';
import { createRedactor, defineWorkflow, type Redactor } from '@revos/runtime';
import { WF54Manifest } from '../manifests/WF54_Dataset_Curation.js';

export interface WF54DatasetCurationOptions {
  /** The durable record the finished runs are read from. */
  records: Db;
  /** The PHI token key (`PHI_TOKEN_KEY`): the same as the fleet's, so exported tokens join with stored ones. */
  tokenKey: string;
  /** Absolute directory exports are written under (`<exportDir>/<tenant_id>/...`). Absent: runs fail `config_missing`. */
  exportDir?: string;
}

/** Effect names: a plan, one per part (zero-padded, so they sort), the final rename. The CLI reads them as progress. */
export const EXPORT_EFFECT_PREFIX = 'export.';
export const EXPORT_PLAN_EFFECT = 'export.plan';
export const EXPORT_PART_EFFECT_PREFIX = 'export.part.';
export const EXPORT_WRITE_EFFECT = 'export.write';

/** One line of an export: the run's record as stored, PHI-redacted when its mode (or the request) says so. */
export type ExportLine = Omit<ExportRunRow, 'accepted_at' | 'ended_at' | 'ended_at_key' | 'envelope' | 'output'> & {
  accepted_at: string;
  ended_at: string;
  /** As stored, or redacted (then no longer the contract's shape). */
  envelope: unknown;
  output: unknown;
  /** Whether envelope and output went through the redactor for this export. */
  redacted: boolean;
};

/** The plan effect's result: what the export will write. */
export interface ExportPlan {
  file: string;
  total: number;
  part_size: number;
}

/** A part effect's result: enough to resume after it (cursor, byte length of the file so far). */
export interface ExportPart {
  part: number;
  lines: number;
  lines_total: number;
  bytes: number;
  cursor: ExportCursor | null;
}

/** The write effect's result, and the run's primary outputs. */
export interface ExportResult {
  file: string;
  lines: number;
  bytes: number;
  sha256: string;
}

/** `out` resolved under `<exportDir>/<tenant>`; anything that would leave that directory is refused. */
export function exportPath(exportDir: string, tenantId: string, name: string): string {
  const base = resolve(exportDir, tenantId);
  const target = resolve(base, name);
  if (isAbsolute(name) || !target.startsWith(base + sep)) {
    throw new WorkflowError('invalid_input', 'payload.out must stay inside the export directory', { details: { issues: [{ path: 'payload.out', rule: 'inside_export_dir' }] } });
  }
  return target;
}

function toLine(row: ExportRunRow, redactor: Redactor, redactAll: boolean): ExportLine {
  const redacted = redactAll || row.privacy_mode === 'phi_minimized';
  return {
    workflow_run_id: row.workflow_run_id,
    parent_run_id: row.parent_run_id,
    root_run_id: row.root_run_id,
    workflow_name: row.workflow_name,
    workflow_version: row.workflow_version,
    status: row.status,
    privacy_mode: row.privacy_mode,
    inputs_hash: row.inputs_hash,
    outputs_hash: row.outputs_hash,
    latency_ms: row.latency_ms,
    retry_count: row.retry_count,
    latency_breach: row.latency_breach,
    accepted_at: row.accepted_at.toISOString(),
    ended_at: row.ended_at.toISOString(),
    redacted,
    envelope: redacted ? redactor.redact(row.envelope).value : row.envelope,
    output: redacted ? redactor.redact(row.output).value : row.output,
  };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Dataset curation (convention §7): exports one tenant's finished runs (ok, noop, failed, blocked)
 * as JSONL for evaluation and training — the envelope and output contract as stored, status,
 * hashes, lineage, latency — filtered by workflow and by when they ended.
 *
 * The export is itself an audited run: its envelope names the filters, its output the file, line
 * count and SHA-256, and every step is a journaled effect with its event:
 * - `export.plan`: refuses an existing file, counts the runs, starts `<file>.partial`;
 * - `export.part.NNNNNN`: appends up to `part_size` lines. It first truncates the partial file to
 *   the length the previous part recorded, so a part that failed half-way and is called again
 *   never leaves a duplicate line; its result carries the keyset cursor the next part resumes from;
 * - `export.write`: renames the partial file into place and hashes it.
 * A worker that dies inside a part leaves an intent without a result: the run fails
 * `effect_outcome_unknown` and escalates instead of guessing (start a new export). The selection is
 * pinned to runs that ended before the export run's timestamp, so a retried attempt reads the same
 * runs.
 */
export function WF54_Dataset_Curation(options: WF54DatasetCurationOptions) {
  const redactor = createRedactor({ key: options.tokenKey });
  return defineWorkflow({
    ...WF54Manifest,
    async run(ctx) {
      // Read here, not when the catalog is built: a catalog that never runs handlers (the producer's) has no record.
      const { sql } = options.records;
      const p = ctx.payload;
      const meta = ctx.envelope.meta;
      if (!options.exportDir) throw new WorkflowError('config_missing', 'no export directory configured for this worker (EXPORT_DIR)');
      const file = exportPath(options.exportDir, ctx.tenant.tenantId, p.out ?? `${meta.workflow_run_id}.jsonl`);
      const partial = `${file}.partial`;
      const stamp = Date.parse(meta.timestamp_utc);
      const filter: ExportFilter = {
        tenantId: ctx.tenant.tenantId,
        workflow: p.workflow,
        since: p.since ? new Date(p.since) : undefined,
        until: new Date(p.until ? Math.min(Date.parse(p.until), stamp) : stamp),
      };
      const internal = { service: 'revos', direction: 'internal' as const };

      const plan = await ctx.effect<ExportPlan>(
        EXPORT_PLAN_EFFECT,
        { ...internal, endpoint: 'export.plan', eventType: 'export.planned' },
        async () => {
          if (await exists(file)) {
            throw new WorkflowError('invalid_input', 'payload.out names an existing export; exports are never overwritten', { details: { issues: [{ path: 'payload.out', rule: 'exists' }] } });
          }
          await mkdir(dirname(file), { recursive: true });
          const total = Math.min(await countRunsForExport(sql, filter), p.limit);
          await (await open(partial, 'w')).close();
          return { file, total, part_size: p.part_size };
        },
      );

      let previous: ExportPart = { part: -1, lines: 0, lines_total: 0, bytes: 0, cursor: null };
      while (previous.lines_total < plan.total) {
        const after = previous;
        const part = after.part + 1;
        const written = await ctx.effect<ExportPart>(
          `${EXPORT_PART_EFFECT_PREFIX}${String(part).padStart(6, '0')}`,
          {
            ...internal,
            endpoint: 'export.write_part',
            eventType: 'export.part_written',
            eventPayload: (r) => ({ part, lines: (r as ExportPart).lines, lines_total: (r as ExportPart).lines_total }),
          },
          async () => {
            const rows = await listRunsForExport(sql, filter, after.cursor, Math.min(plan.part_size, plan.total - after.lines_total));
            const text = rows.map((r) => `${JSON.stringify(toLine(r, redactor, p.redact === 'all'))}\n`).join('');
            const handle = await open(partial, 'r+');
            try {
              await handle.truncate(after.bytes);
              const bytes = Buffer.from(text, 'utf8');
              await handle.write(bytes, 0, bytes.length, after.bytes);
              await handle.sync();
              const last = rows.at(-1);
              return {
                part,
                lines: rows.length,
                lines_total: after.lines_total + rows.length,
                bytes: after.bytes + bytes.length,
                cursor: last ? { endedAt: last.ended_at_key, runId: last.workflow_run_id } : after.cursor,
              };
            } finally {
              await handle.close();
            }
          },
        );
        previous = written;
        // Fewer runs than counted (one was deleted meanwhile): stop rather than loop.
        if (written.lines === 0) break;
      }

      const done = previous;
      const result = await ctx.effect<ExportResult>(
        EXPORT_WRITE_EFFECT,
        { ...internal, endpoint: 'export.write', eventType: 'export.written' },
        async () => {
          await rename(partial, file);
          return { file, lines: done.lines_total, bytes: done.bytes, sha256: await sha256OfFile(file) };
        },
      );
      ctx.recordDataWritten('file', result.file);
      return {
        summary: `exported ${result.lines} run(s)`,
        primary_outputs: {
          ...result,
          filter: { workflow: p.workflow ?? null, since: p.since ?? null, until: filter.until.toISOString(), limit: p.limit, redact: p.redact },
        },
        phi_touched: false,
      };
    },
  });
}
