/**
 * `@revos/workflows/manifests`: every reference workflow's manifest, with no handler and no adapter
 * behind it. The producer and the CLI validate, route and describe runs from these; the worker binds
 * each to its handler (`referenceWorkflows(services)` in ../index.ts).
 */
import type { AnyManifest } from '@revos/runtime';
import { WF06Manifest } from './WF06_Load_Tenant_Entitlements.js';
import { WF07Manifest } from './WF07_Change_Policy.js';
import { WF10Manifest } from './WF10_Consent_Check.js';
import { WF11Manifest } from './WF11_Log_Event.js';
import { WF15Manifest } from './WF15_Redactor.js';
import { WF17Manifest } from './WF17_RealTime_Voice_Orchestrator.js';
import { WF18Manifest } from './WF18_Schedule.js';
import { WF21Manifest } from './WF21_Escalate_To_Staff.js';
import { WF30Manifest } from './WF30_Send_SMS.js';
import { WF31Manifest } from './WF31_Inbound_SMS.js';
import { WF32Manifest } from './WF32_Appointment_Reminders.js';
import { WF33Manifest } from './WF33_Delivery_Status.js';
import { WF36Manifest } from './WF36_Send_Email.js';
import { WF37Manifest } from './WF37_Inbound_Email.js';
import { WF42Manifest } from './WF42_Escalation_Follow_Up.js';
import { WF54Manifest } from './WF54_Dataset_Curation.js';
import { WF60Manifest } from './WF60_Collect_Payment.js';
import { WF61Manifest } from './WF61_Refund_Payment.js';
import { WF71Manifest } from './WF71_RealTime_Fallback.js';
import { WF84Manifest } from './WF84_Compliance_Sentinel.js';

export { WF06Manifest, WF07Manifest, WF10Manifest, WF11Manifest, WF15Manifest, WF17Manifest, WF18Manifest, WF21Manifest };
export { WF30Manifest, WF31Manifest, WF32Manifest, WF42Manifest, WF54Manifest, WF60Manifest, WF61Manifest, WF71Manifest, WF84Manifest };
export { ChangePolicyPayload } from './WF07_Change_Policy.js';
export { WF17Payload } from './WF17_RealTime_Voice_Orchestrator.js';
export { ESCALATION_PAYLOAD } from './WF21_Escalate_To_Staff.js';
export { WF30Payload } from './WF30_Send_SMS.js';
export { WF31Payload } from './WF31_Inbound_SMS.js';
export { MAX_SWEEP_PAGES, WF32Payload } from './WF32_Appointment_Reminders.js';
export { WF33Manifest, WF33Payload } from './WF33_Delivery_Status.js';
export { EMAIL_TEMPLATES, WF36Manifest, WF36Payload, type EmailTemplateName } from './WF36_Send_Email.js';
export { MAX_ATTACHMENT_BYTES, WF37Manifest, WF37Payload } from './WF37_Inbound_Email.js';
export { WF54Payload } from './WF54_Dataset_Curation.js';
export { CollectPaymentPayload } from './WF60_Collect_Payment.js';
export { RefundPaymentPayload } from './WF61_Refund_Payment.js';

/**
 * Every reference workflow's manifest, whatever a process is configured with: the worker registers
 * some only with the services they need (payments, the record, the PHI token key), but the producer
 * accepts runs of all of them.
 */
export const referenceManifests: readonly AnyManifest[] = [
  WF06Manifest,
  WF07Manifest,
  WF10Manifest,
  WF11Manifest,
  WF15Manifest,
  WF17Manifest,
  WF18Manifest,
  WF21Manifest,
  WF30Manifest,
  WF31Manifest,
  WF32Manifest,
  WF33Manifest,
  WF36Manifest,
  WF37Manifest,
  WF42Manifest,
  WF54Manifest,
  WF60Manifest,
  WF61Manifest,
  WF71Manifest,
  WF84Manifest,
];
