import type { Queryable } from '../../client.js';

export type SubjectKind = 'patient_id' | 'lead_id';

/**
 * Remembers that the number behind `addressRef` (its PHI token) reaches this subject (a consent recorded with both, a text sent to the
 * patient). Seeing the pair again only refreshes it, so the latest contact wins a shared number.
 */
export async function rememberSubjectContact(
  sql: Queryable,
  c: { tenantId: string; addressRef: string; subjectKind: SubjectKind; subjectId: string },
): Promise<void> {
  await sql`
    insert into subject_contacts (tenant_id, address_ref, subject_kind, subject_id)
    values (${c.tenantId}, ${c.addressRef}, ${c.subjectKind}, ${c.subjectId})
    on conflict (tenant_id, address_ref, subject_kind, subject_id) do update set updated_at = now()`;
}
