/**
 * Which subject an email address reaches, keyed by the address's PHI token (`tok_email_…`), never the
 * address: what the email webhook reads to attribute an inbound email to its patient. Written only
 * where the worker was given `emailContacts` (the record and the PHI token key).
 */
import { rememberSubjectContact } from '@revos/db';
import { createRedactor, type Redactor, type RunContext } from '@revos/runtime';
import type { WorkflowServices } from './services.js';

const redactors = new Map<string, Redactor>();

function redactorFor(tokenKey: string): Redactor {
  let redactor = redactors.get(tokenKey);
  if (!redactor) {
    redactor = createRedactor({ key: tokenKey });
    redactors.set(tokenKey, redactor);
  }
  return redactor;
}

export async function rememberEmailContact(services: WorkflowServices, ctx: Pick<RunContext<unknown>, 'envelope'>, address: string): Promise<void> {
  const { subject, meta } = ctx.envelope;
  const subjectKind = subject.patient_id ? 'patient_id' : subject.lead_id ? 'lead_id' : null;
  const subjectId = subject.patient_id ?? subject.lead_id;
  const contacts = services.emailContacts;
  if (!contacts || !subjectKind || !subjectId) return;
  await rememberSubjectContact(contacts.records.sql, {
    tenantId: meta.tenant_id,
    addressRef: redactorFor(contacts.tokenKey).token('email', address),
    subjectKind,
    subjectId,
  });
}
