/**
 * Mid-rollout, a producer on a new release accepts runs of a workflow version older workers do not know
 * yet. Such a run is not failed `unknown_workflow`: the job goes back to the delayed set without spending
 * an attempt until a worker of the new release takes it. Only for a run intake accepted (a forged job
 * naming a future version is refused as any unaccepted job is), and only for a version newer than every
 * one this worker registers (an older unknown one is a release that dropped it: docs/defining-workflows.md).
 */
import { envelopeHash, type Envelope } from '@revos/envelope';
import { isRunAccepted, type Db } from '@revos/db';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import { computeBackoffMs } from './backoff.js';
import type { AttemptInfo, AttemptOutcome } from './attempt.js';

export async function waitForNewerRelease(deps: { db: Db; catalog: WorkflowCatalog }, envelope: Envelope, attempt: AttemptInfo): Promise<AttemptOutcome | null> {
  const meta = envelope.meta;
  if (!deps.catalog.isAhead(meta.workflow_name, meta.workflow_version)) return null;
  const accepted = await isRunAccepted(deps.db.sql, {
    idempotencyKey: meta.idempotency_key,
    workflowRunId: meta.workflow_run_id,
    tenantId: meta.tenant_id,
    workflowName: meta.workflow_name,
    envelopeHash: envelopeHash(envelope),
  });
  if (!accepted) return null;
  const delayMs = computeBackoffMs({ failures: (attempt.waits ?? 0) + 1, baseMs: 1_000, maxMs: 30_000 });
  return { kind: 'wait', delayMs, reason: `${meta.workflow_name}@${meta.workflow_version} is newer than this worker's release` };
}
