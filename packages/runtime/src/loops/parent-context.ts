import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { findRunTraceContext, type Db } from '@revos/db';
import { toJobId } from '@revos/envelope';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { AnyManifest } from '../definition/manifest.js';
import type { LaneQueues } from '../queue/enqueue.js';
import { parseSpanContext } from '../tracing/propagation.js';

/**
 * For the dispatcher's sweep, which finds a parent's next actions long after its worker let go of
 * the run's span: the context the parent's own job carried, so the follow-up joins the parent's
 * trace. Once that job is gone from Redis, the context the parent was first enqueued with (kept on
 * its accepted_runs row). ROOT_CONTEXT when neither is known (tracing was off).
 */
export async function carriedContextOfParent(
  deps: { db: Db; queues: LaneQueues; catalog: WorkflowCatalog<AnyManifest> },
  parent: { idempotencyKey: string; workflowName: string | undefined },
): Promise<Context> {
  const workflow = parent.workflowName ? deps.catalog.latest(parent.workflowName) : undefined;
  const job = workflow ? await deps.queues[workflow.lane].getJob(toJobId(parent.idempotencyKey)) : undefined;
  const carried: unknown = job?.opts.telemetry?.metadata ?? (await findRunTraceContext(deps.db.sql, parent.idempotencyKey));
  return parseSpanContext(carried);
}
