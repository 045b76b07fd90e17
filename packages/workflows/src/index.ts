import { WorkflowCatalog, type AnyWorkflow } from '@revos/runtime';
import { WF06_Load_Tenant_Entitlements } from './workflows/WF06_Load_Tenant_Entitlements.js';
import { WF07_Change_Policy } from './workflows/WF07_Change_Policy.js';
import { WF10_Consent_Check } from './workflows/WF10_Consent_Check.js';
import { WF11_Log_Event } from './workflows/WF11_Log_Event.js';
import { WF15_Redactor } from './workflows/WF15_Redactor.js';
import { WF17_RealTime_Voice_Orchestrator } from './workflows/WF17_RealTime_Voice_Orchestrator.js';
import { WF18_Schedule } from './workflows/WF18_Schedule.js';
import { WF21_Escalate_To_Staff } from './workflows/WF21_Escalate_To_Staff.js';
import { WF30_Send_SMS } from './workflows/WF30_Send_SMS.js';
import { WF31_Inbound_SMS } from './workflows/WF31_Inbound_SMS.js';
import { WF32_Appointment_Reminders } from './workflows/WF32_Appointment_Reminders.js';
import { WF33_Delivery_Status } from './workflows/WF33_Delivery_Status.js';
import { WF36_Send_Email } from './workflows/WF36_Send_Email.js';
import { unconfiguredEmailProvider } from './adapters/email.js';
import { WF37_Inbound_Email } from './workflows/WF37_Inbound_Email.js';
import { WF42_Escalation_Follow_Up } from './workflows/WF42_Escalation_Follow_Up.js';
import { WF54_Dataset_Curation } from './workflows/WF54_Dataset_Curation.js';
import { WF60_Collect_Payment } from './workflows/WF60_Collect_Payment.js';
import { WF61_Refund_Payment } from './workflows/WF61_Refund_Payment.js';
import { WF71_RealTime_Fallback } from './workflows/WF71_RealTime_Fallback.js';
import { WF84_Compliance_Sentinel } from './workflows/WF84_Compliance_Sentinel.js';
import type { WorkflowServices } from './workflows/services.js';

export * from './adapters/index.js';
// Reconciliation answers from vendor lookups, for your own workflows' effects (EffectSpec.reconcile).
export { bookingAnswer, twilioAnswer, type BookingRef, type TwilioCreatedRef } from './workflows/reconcile-answers.js';
export type { WorkflowServices } from './workflows/services.js';
export { createSenderPacer, SLOW_FACTOR, type SenderPacer } from './pacing/index.js';
export { MAX_FOLLOW_UPS } from './workflows/WF42_Escalation_Follow_Up.js';
export { WF07_Change_Policy, versionForRun } from './workflows/WF07_Change_Policy.js';
export { WF60_Collect_Payment } from './workflows/WF60_Collect_Payment.js';
export { WF61_Refund_Payment } from './workflows/WF61_Refund_Payment.js';
export { WF33_Delivery_Status } from './workflows/WF33_Delivery_Status.js';
export { planReminders, reminderTriggerId, REMINDED_STATUSES, type PlannedReminder, type ReminderPlan } from './workflows/reminder-plan.js';
export * from './delivery/index.js';
// The manifests (schemas included) are also here for the worker's side; the producer imports `@revos/workflows/manifests`.
export * from './manifests/index.js';
export { beyondKeyWindow, chargeOnce, refundOnce } from './workflows/payments-once.js';
export { bookOnce } from './workflows/booking-once.js';
export { KEYWORD_REPLIES } from './workflows/WF31_Inbound_SMS.js';
export { EMAIL_REPLIES } from './workflows/WF37_Inbound_Email.js';
export { emailAnswer, sendEmailOnce, type EmailSentRef } from './workflows/email-once.js';
export { composeEmail, fromHeader } from './workflows/email-compose.js';
export { classifyReply, keywordOf, STOP_WORDS, START_WORDS, HELP_WORDS, CONFIRM_WORDS, type ReplyIntent } from './workflows/sms-keywords.js';
export { DEFAULT_MIN_CONFIDENCE } from './workflows/WF17_RealTime_Voice_Orchestrator.js';
export * from './voice/index.js';
export { classifyUtterance, parseAskedTime, speakTime, isTimeZone, VOICE_INTENTS, type VoiceIntent, type AskedTime } from './voice/understanding.js';
export {
  WF84_Compliance_Sentinel,
  PHI_ALERT_KIND,
  phiAlertDedupeKey,
  scanLogLines,
  type LogLeak,
  type PhiLeak,
  type WF84ComplianceSentinelOptions,
} from './workflows/WF84_Compliance_Sentinel.js';
export {
  WF54_Dataset_Curation,
  EXPORT_EFFECT_PREFIX,
  EXPORT_PLAN_EFFECT,
  EXPORT_PART_EFFECT_PREFIX,
  EXPORT_WRITE_EFFECT,
  exportPath,
  type ExportLine,
  type ExportPart,
  type ExportPlan,
  type ExportResult,
  type WF54DatasetCurationOptions,
} from './workflows/WF54_Dataset_Curation.js';

/** Every reference workflow, wired to the given vendor adapters. */
export function referenceWorkflows(services: WorkflowServices): AnyWorkflow[] {
  return [
    WF06_Load_Tenant_Entitlements,
    // Writes the tenant row: registered where the durable record is.
    ...(services.records ? [WF07_Change_Policy(services.records)] : []),
    WF10_Consent_Check,
    WF11_Log_Event,
    ...(services.privacy ? [WF15_Redactor({ tokenKey: services.privacy.tokenKey })] : []),
    WF17_RealTime_Voice_Orchestrator(services),
    WF18_Schedule(services),
    WF21_Escalate_To_Staff(services),
    WF30_Send_SMS(services),
    WF31_Inbound_SMS(services),
    WF32_Appointment_Reminders(services),
    // Reads the sending run and the statuses recorded before: registered where the durable record is.
    ...(services.records ? [WF33_Delivery_Status(services.records)] : []),
    // Email always registered (every producer accepts it); without a transport (Postmark or an SMTP relay) a send ends config_missing.
    WF36_Send_Email({ ...services, email: services.email ?? unconfiguredEmailProvider() }),
    WF37_Inbound_Email({ ...services, email: services.email ?? unconfiguredEmailProvider() }),
    WF42_Escalation_Follow_Up,
    ...(services.records && services.privacy
      ? [WF54_Dataset_Curation({ records: services.records, tokenKey: services.privacy.tokenKey, exportDir: services.exportDir })]
      : []),
    ...(services.payments ? [WF60_Collect_Payment(services.payments), WF61_Refund_Payment(services.payments)] : []),
    WF71_RealTime_Fallback(services),
    // The compliance workflows read the durable record and need the token key: both or neither.
    ...(services.records && services.privacy ? [WF84_Compliance_Sentinel({ records: services.records, tokenKey: services.privacy.tokenKey })] : []),
  ] as AnyWorkflow[];
}

/** The catalog of reference workflows, plus any extra ones (tests, benchmarks, a tenant's own). */
export function createReferenceCatalog(services: WorkflowServices, extra: AnyWorkflow[] = []): WorkflowCatalog {
  return new WorkflowCatalog([...referenceWorkflows(services), ...extra]);
}
