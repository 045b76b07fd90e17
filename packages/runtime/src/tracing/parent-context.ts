import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { toJobId } from '@revos/envelope';
import type { WorkflowCatalog } from '../define-workflow.js';
import type { AnyManifest } from '../manifest.js';
import type { LaneQueues } from '../enqueue.js';
import { parseSpanContext } from './propagation.js';

/**
 * For the dispatcher's sweep, which finds a parent's next actions long after its worker let go of
 * the run's span: the context the parent's own job carried (while the job is still in Redis), so
 * the follow-up joins the parent's trace. ROOT_CONTEXT when the job is gone.
 */
export async function carriedContextOfParent(
  queues: LaneQueues,
  catalog: WorkflowCatalog<AnyManifest>,
  parent: { idempotencyKey: string; workflowName: string | undefined },
): Promise<Context> {
  const workflow = parent.workflowName ? catalog.latest(parent.workflowName) : undefined;
  if (!workflow) return ROOT_CONTEXT;
  const job = await queues[workflow.lane].getJob(toJobId(parent.idempotencyKey));
  return parseSpanContext(job?.opts.telemetry?.metadata);
}
