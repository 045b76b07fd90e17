/**
 * What a workflow may write about patients and staff work, always for the run's own tenant and
 * tied to the run (events carry its ids; phi_minimized runs keep no event payload; addresses in
 * events are PHI tokens, never numbers). Built per run by the pipeline as `ctx.patients`; the
 * interface a workflow sees is definition/patient-records.ts.
 */
import {
  answerAppointmentPrompt,
  checkOutboundConsent,
  findOpenAppointmentPrompt,
  openStaffTask,
  recordAppointmentPrompt,
  recordConsentChange,
  rememberSubjectContact,
  type Sql,
} from '@revos/db';
import type { Envelope } from '@revos/envelope';
import type { PatientRecords } from '../definition/patient-records.js';
import type { PrivacyGuard } from '../privacy/privacy-mode.js';

/** How long after a reminder a bare "C" still confirms it. */
export const APPOINTMENT_PROMPT_MAX_AGE_HOURS = 72;

export function createPatientRecords(sql: Sql, envelope: Envelope, privacy: PrivacyGuard | undefined): PatientRecords {
  const meta = envelope.meta;
  const phi = meta.privacy_mode === 'phi_minimized';
  const subject: Record<string, string> = {};
  for (const [k, v] of Object.entries(envelope.subject)) if (typeof v === 'string') subject[k] = v;
  const run = { workflowRunId: meta.workflow_run_id, rootRunId: meta.root_run_id };
  // Contact and reminder lookups key on the number's PHI token: they never need the number back.
  // Without the token key (a standard-only worker with none configured) they are skipped.
  const ref = (address: string): string | null => (privacy ? privacy.redactor.token('phone', address) : null);
  return {
    async addressConsent(address, channel) {
      const found = await checkOutboundConsent(sql, { tenantId: meta.tenant_id, channel, subjectId: null, address });
      return found.address;
    },
    setAddressConsent(change) {
      return recordConsentChange(sql, {
        tenantId: meta.tenant_id,
        target: { kind: 'address', address: change.address },
        channel: change.channel,
        status: change.status,
        source: change.source,
        evidenceRef: change.evidenceRef ?? null,
        actor: 'patient',
        run,
        subject,
        ...(privacy ? { addressRef: ref(change.address)! } : {}),
        omitEventPayload: phi,
      });
    },
    async rememberContact(address) {
      const subjectKind = envelope.subject.patient_id ? 'patient_id' : envelope.subject.lead_id ? 'lead_id' : null;
      const subjectId = envelope.subject.patient_id ?? envelope.subject.lead_id;
      const addressRef = ref(address);
      if (!subjectKind || !subjectId || !addressRef) return;
      await rememberSubjectContact(sql, { tenantId: meta.tenant_id, addressRef, subjectKind, subjectId });
    },
    async recordAppointmentPrompt(appointmentId, address) {
      const addressRef = ref(address);
      if (!addressRef) return;
      await recordAppointmentPrompt(sql, {
        tenantId: meta.tenant_id,
        appointmentId,
        addressRef,
        patientId: envelope.subject.patient_id ?? null,
        workflowRunId: meta.workflow_run_id,
      });
    },
    async findAppointmentPrompt(address, messageSid) {
      const addressRef = ref(address);
      if (!addressRef) return null;
      return findOpenAppointmentPrompt(sql, { tenantId: meta.tenant_id, addressRef, maxAgeHours: APPOINTMENT_PROMPT_MAX_AGE_HOURS, messageSid });
    },
    answerAppointmentPrompt(appointmentId, answer, messageSid) {
      return answerAppointmentPrompt(sql, { tenantId: meta.tenant_id, appointmentId, answer, messageSid });
    },
    openTask(kind, reason) {
      return openStaffTask(sql, {
        tenantId: meta.tenant_id,
        ...run,
        idempotencyKey: meta.idempotency_key,
        kind,
        reason,
        subject,
        omitEventPayload: phi,
      });
    },
  };
}
