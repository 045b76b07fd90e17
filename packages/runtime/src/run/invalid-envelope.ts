/**
 * Validate_Envelope's refusal (node A) of an envelope that fails validation.
 */
import { canonicalJson, EnvelopeMeta, newAlertId, sha256Hex, type Envelope, type FieldIssue } from '@revos/envelope';
import { recordAlert } from '@revos/db';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import { RunAttempt, type AttemptDeps, type AttemptInfo, type AttemptOutcome } from './attempt.js';
import { stageFailure } from './failure.js';

export interface RejectDeps extends AttemptDeps {
  catalog: Pick<WorkflowCatalog, 'get'>;
}

/**
 * An envelope that fails validation. When its `meta` alone is sound we can
 * still write a failed run (with its issues) and escalate; otherwise nothing
 * identifies the run, so we write an alert carrying the field paths (never the
 * values: they may be PHI).
 */
export async function rejectInvalidEnvelope(
  deps: RejectDeps,
  data: unknown,
  issues: FieldIssue[],
  attempt: AttemptInfo,
  startedAt: Date,
): Promise<AttemptOutcome> {
  const reason = issues.map((i) => `${i.path}: ${i.rule}`).join('; ').slice(0, 1000);
  const paths = issues.map(({ path, rule }) => ({ path, rule }));
  const raw = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const meta = EnvelopeMeta.safeParse(raw.meta);
  if (!meta.success) {
    await recordAlert(deps.db.sql, {
      alertId: newAlertId(),
      tenantId: null,
      kind: 'invalid_envelope',
      workflowName: null,
      workflowRunId: null,
      dedupeKey: `invalid_envelope:${attempt.jobId}`,
      details: { job_id: attempt.jobId, lane: attempt.lane, issues: paths },
    });
    deps.log.error({ job_id: attempt.jobId, issues: paths }, 'invalid envelope rejected');
    return { kind: 'terminal', output: null, code: 'invalid_input', reason };
  }
  // Keep what is sound: the stored envelope must not carry the invalid parts.
  const envelope: Envelope = { meta: meta.data, subject: {}, payload: {} };
  const log = deps.log.child({ workflow: meta.data.workflow_name, workflow_run_id: meta.data.workflow_run_id, root_run_id: meta.data.root_run_id, correlation_id: meta.data.correlation_id });
  const run = new RunAttempt(deps, envelope, attempt, startedAt, log);
  // Intake accepted (and hashed) the job as it came, not the sound part kept here.
  run.jobHash = rawHash(data);
  run.workflow = deps.catalog.get(meta.data.workflow_name, meta.data.workflow_version) ?? null;
  return run.finishTerminal(
    stageFailure('invalid_input', 'validate_envelope', reason, { issues: issues.map(({ path, rule, message }) => ({ path, rule, message })) }),
  );
}

/** The job's data hashed as intake hashes an envelope; data that is not JSON matches no acceptance. */
function rawHash(data: unknown): string {
  try {
    return sha256Hex(canonicalJson(data));
  } catch {
    return 'unhashable';
  }
}
