/**
 * What operators see and do, shared by the admin API, the run explorer page and the CLI so the
 * three cannot disagree: find a run from any id (across tenants), its detail and lineage (the
 * tenant API's views), failed runs, open tasks, and replay. For `phi_minimized` runs the operator
 * views carry hashes and ids only: no envelope subject or payload, no primary_outputs, no
 * next_action payloads, no event payloads.
 *
 * Locating a run from any id is cross-tenant by nature and runs as the fleet's role; once located,
 * the run is read inside its own tenant's scope (withTenant, row-level security), as the tenant
 * API reads it.
 */
import { countReplays, findRun, findRunByAnyId, recordAlert, recordOperatorEvent, withTenant, type Db, type RunLocation, type RunView } from '@revos/db';
import { contractHash, newAlertId, newEventId, newRunId, type Envelope, type NextAction, type OutputContract, type ResultBlock } from '@revos/envelope';
import type { IntakeDeps } from '@revos/runtime';
import { submitPartial, type RunAccepted, type RunRefused } from './submit.js';
import { runDetail, runTree, type RunDetail, type RunSummary, type RunTree } from './views.js';

/** A value replaced by its hash: what an operator may see of PHI. */
export interface Hashed {
  redacted: true;
  sha256: `sha256_${string}`;
}

/** A phi_minimized run as an operator sees it: ids and meta as stored, every PHI-bearing document hashed. */
export type RedactedRun = RunSummary & {
  envelope: { meta: Envelope['meta']; subject: Hashed; payload: Hashed };
  output:
    | (Omit<OutputContract, 'result'> & {
        result: Omit<ResultBlock, 'primary_outputs' | 'next_actions'> & { primary_outputs: Hashed; next_actions: (Omit<NextAction, 'payload'> & { payload: Hashed })[] };
      })
    | null;
};

export interface OperatorRunDetail extends RunDetail<RunView | RedactedRun> {
  /** How the id the operator gave led to this run. */
  located: RunLocation;
  /** True when PHI-bearing fields were replaced by hashes (phi_minimized). */
  redacted: boolean;
}

export const isPhiMinimized = (privacyMode: string) => privacyMode === 'phi_minimized';

const hashed = (value: unknown): Hashed => ({ redacted: true, sha256: contractHash(value ?? null) });

/** The detail with every PHI-bearing field of a phi_minimized run replaced by its hash. */
export function redactDetail(detail: RunDetail): { detail: RunDetail<RunView | RedactedRun>; redacted: boolean } {
  if (!isPhiMinimized(detail.run.privacy_mode)) return { detail, redacted: false };
  const { envelope, output } = detail.run;
  return {
    redacted: true,
    detail: {
      ...detail,
      run: {
        ...detail.run,
        envelope: { meta: envelope.meta, subject: hashed(envelope.subject), payload: hashed(envelope.payload) },
        output: output && {
          ...output,
          result: {
            ...output.result,
            primary_outputs: hashed(output.result.primary_outputs),
            next_actions: output.result.next_actions.map((a) => ({ ...a, payload: hashed(a.payload) })),
          },
        },
      },
      events: detail.events.map((e) => ({ ...e, payload: e.payload === null ? null : hashed(e.payload) })),
    },
  };
}

/** The run any id leads to, its detail (redacted for phi_minimized), or null. */
export async function operatorRunDetail(db: Db, id: string): Promise<OperatorRunDetail | null> {
  const located = await findRunByAnyId(db.sql, id);
  if (!located) return null;
  const detail = await runDetail(db, located.tenant_id, located.workflow_run_id);
  if (!detail) return null;
  const { detail: shown, redacted } = redactDetail(detail);
  return { ...shown, located, redacted };
}

/** The lineage of the run any id leads to (summaries carry no envelope or output, hence no PHI). */
export async function operatorRunTree(db: Db, id: string): Promise<(RunTree & { located: RunLocation }) | null> {
  const located = await findRunByAnyId(db.sql, id);
  if (!located) return null;
  const tree = await runTree(db, located.tenant_id, located.workflow_run_id);
  return tree && { ...tree, located };
}

export interface ReplayRequest {
  /** Replay a phi_minimized run anyway (audited). */
  force?: boolean;
  /** Who asked (the audit names them). */
  operator: string;
  /** Why (required with force). */
  reason?: string;
}

export type ReplayOutcome =
  | { ok: true; original_run_id: string; forced: boolean; replay: RunAccepted }
  | { ok: false; original_run_id: string; error: 'not_found' | 'phi_minimized' | 'reason_required' | 'refused'; message: string; refusal?: RunRefused };

/**
 * Replays a run: a new run of the same workflow version, payload and subject, whose parent is the
 * original and whose root is the original's root, submitted through the one intake path (source
 * `replay`). Its trigger id is `replay:<original run id>:<n>` (n = replays accepted so far + 1),
 * which gives it a new idempotency key; two operators replaying the same run at the same moment
 * get one replay (the second is answered `duplicate`).
 *
 * A phi_minimized run is refused unless forced; a forced replay is audited before anything is
 * submitted (no audit, no replay): an `events` row `run.replay_forced` on the original run and an
 * `alerts` row of kind `replay_forced`, both naming the operator and the reason.
 */
export async function replayRun(deps: IntakeDeps, runId: string, request: ReplayRequest): Promise<ReplayOutcome> {
  const sql = deps.db.sql;
  const located = await findRunByAnyId(sql, runId);
  const run = located && (await withTenant(sql, located.tenant_id, (tx) => findRun(tx, located.tenant_id, located.workflow_run_id)));
  if (!run) return { ok: false, original_run_id: runId, error: 'not_found', message: `run ${runId} not found` };
  const original = run.workflow_run_id;
  const phi = isPhiMinimized(run.privacy_mode);
  if (phi && !request.force) {
    return { ok: false, original_run_id: original, error: 'phi_minimized', message: `run ${original} is phi_minimized: replay refused (use --force with --reason; it is audited)` };
  }
  if (phi && !request.reason?.trim()) {
    return { ok: false, original_run_id: original, error: 'reason_required', message: `run ${original}: a forced replay needs --reason` };
  }
  const envelope = run.envelope;
  const n = (await countReplays(sql, original)) + 1;
  const triggerId = `replay:${original}:${n}`;
  const replayRunId = newRunId();
  if (phi) {
    const audit = { operator: request.operator, reason: request.reason, replay_run_id: replayRunId, replay_trigger_id: triggerId };
    await recordOperatorEvent(sql, { eventId: newEventId(), workflowRunId: original, rootRunId: run.root_run_id, tenantId: run.tenant_id, eventType: 'run.replay_forced', payload: audit });
    await recordAlert(sql, {
      alertId: newAlertId(),
      tenantId: run.tenant_id,
      kind: 'replay_forced',
      workflowName: run.workflow_name,
      workflowRunId: original,
      dedupeKey: `replay_forced:${original}:${n}:${replayRunId}`,
      details: audit,
    });
  }
  const outcome = await submitPartial(
    deps,
    {
      meta: {
        workflow_name: run.workflow_name,
        workflow_version: run.workflow_version,
        workflow_run_id: replayRunId,
        parent_run_id: original,
        root_run_id: run.root_run_id,
        correlation_id: run.correlation_id,
        trigger_source: envelope.meta.trigger_source,
        trigger_id: triggerId,
        environment: envelope.meta.environment,
        privacy_mode: run.privacy_mode,
      },
      subject: envelope.subject,
      payload: envelope.payload,
    },
    run.tenant_id,
    { source: 'replay' },
  );
  if (!outcome.ok) {
    return { ok: false, original_run_id: original, error: 'refused', message: `${outcome.body.error} (${outcome.httpStatus})`, refusal: outcome.body };
  }
  return { ok: true, original_run_id: original, forced: phi, replay: outcome.body };
}

/** `--since`-style filters: `30m`, `6h`, `2d`, or an ISO timestamp. Null when unparseable. */
export function parseSince(value: string | undefined, now = Date.now()): Date | null | undefined {
  if (value === undefined || value === '') return undefined;
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return new Date(now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's' | 'm' | 'h' | 'd']);
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at;
}

