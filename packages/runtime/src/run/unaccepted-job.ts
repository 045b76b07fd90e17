/**
 * A job intake never accepted: added to Redis past intake (a dashboard's "add job", a script, anyone
 * holding the Redis password) or forged over an accepted key with another envelope. It runs nothing
 * and writes no run, ledger, task or outbox row (a ledger row would turn the real run of that key into
 * a noop); it fails terminally as `not_accepted` and leaves an alert, since someone reached the queue
 * directly. The alert and the log line carry ids and field paths only, never the job's values.
 */
import { newAlertId, type EnvelopeMeta } from '@revos/envelope';
import { recordAlert, type Db } from '@revos/db';
import type { Logger } from 'pino';

export const NOT_ACCEPTED_REASON = 'intake never accepted this job (no accepted run for its key, run id and envelope)';

/** `issues`: what was also wrong with the job (paths and rules), for the operator who reads the alert. */
export async function refuseUnacceptedJob(
  deps: { db: Db },
  meta: EnvelopeMeta,
  job: { jobId: string; lane: string },
  log: Logger,
  issues: { path: string; rule: string }[] = [],
): Promise<{ kind: 'terminal'; output: null; code: 'not_accepted'; reason: string }> {
  await recordAlert(deps.db.sql, {
    alertId: newAlertId(),
    tenantId: meta.tenant_id,
    kind: 'not_accepted',
    workflowName: meta.workflow_name,
    workflowRunId: meta.workflow_run_id,
    dedupeKey: `not_accepted:${job.jobId}`,
    details: {
      job_id: job.jobId,
      lane: job.lane,
      idempotency_key: meta.idempotency_key,
      workflow_version: meta.workflow_version,
      ...(issues.length > 0 ? { issues } : {}),
    },
  });
  log.error({ code: 'not_accepted', job_id: job.jobId, lane: job.lane }, 'job refused: intake never accepted it');
  return { kind: 'terminal', output: null, code: 'not_accepted', reason: NOT_ACCEPTED_REASON };
}
