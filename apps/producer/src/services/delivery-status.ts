/**
 * A Twilio status callback, as a run: WF33_Delivery_Status with trigger id `<sid>:<status>`, so the
 * same callback delivered again is a duplicate of the first (intake's exactly-once), whatever order
 * the statuses arrive in. The send is looked up by its sid in the effect journal and the status run
 * becomes its child (parent, root and correlation of the sending run, its subject), so the status is
 * an event in the send's lineage. A callback that arrives before the send's result is journaled (or
 * about a message we did not send) runs as a root of its own. Each first recording is counted in
 * revos_delivery_status_total.
 */
import { findSendByVendorSid, type TenantRecord } from '@revos/db';
import type { PrivacyMode } from '@revos/envelope';
import { knownStatuses, type DeliveryChannel } from '@revos/workflows/delivery';
import { WF33Manifest } from '@revos/workflows/manifests';
import type { ProducerDeps } from '../platform/deps.js';
import { submitAtFrontDoor } from './front-door.js';
import type { SubmitOutcome } from './submit.js';

export const DELIVERY_STATUS_WORKFLOW = WF33Manifest.name;

/** One status callback, as the door read it from Twilio's form. */
export interface StatusCallback {
  channel: DeliveryChannel;
  sid: string;
  status: string;
  errorCode: string | null;
}

export async function submitDeliveryStatus(deps: ProducerDeps, tenant: TenantRecord, callback: StatusCallback, privacyMode: PrivacyMode): Promise<SubmitOutcome> {
  const send = await findSendByVendorSid(deps.db.sql, tenant.tenantId, callback.sid);
  const lineage = send ? { parent_run_id: send.workflowRunId, root_run_id: send.rootRunId, correlation_id: send.correlationId } : {};
  const outcome = await submitAtFrontDoor(
    deps,
    { tenantId: tenant.tenantId, source: 'webhook' },
    {
      kind: 'envelope',
      workflow: DELIVERY_STATUS_WORKFLOW,
      partial: {
        meta: {
          workflow_name: DELIVERY_STATUS_WORKFLOW,
          trigger_source: 'webhook',
          trigger_id: `${callback.sid}:${callback.status}`,
          environment: deps.env.ENVIRONMENT,
          privacy_mode: privacyMode,
          ...lineage,
        },
        subject: send ? subjectIds(send.subject) : {},
        // Only what Twilio repeats identically on a redelivery: the key must not depend on the lookup.
        payload: { channel: callback.channel, sid: callback.sid, status: callback.status, error_code: callback.errorCode },
      },
    },
  );
  if (outcome.ok && outcome.body.status === 'queued') {
    const workflow = send && deps.catalog.has(send.workflowName) ? send.workflowName : 'unknown';
    const status = knownStatuses(callback.channel).includes(callback.status) ? callback.status : 'other';
    deps.metrics.deliveryStatus(tenant.tenantId, workflow, callback.channel, status);
  }
  return outcome;
}

/** The sender's subject ids (patient_id, lead_id): strings only, nothing else a stored envelope may hold. */
function subjectIds(subject: Record<string, unknown>): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const key of ['patient_id', 'lead_id']) if (typeof subject[key] === 'string') ids[key] = subject[key];
  return ids;
}
