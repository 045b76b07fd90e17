import type { Sql } from '../../client.js';
import type { SubjectKind } from './rememberSubjectContact.js';

/** The subject an inbound message from the number tokenized as `addressRef` is about: the one most recently seen there, or null. */
export async function findSubjectByAddress(
  sql: Sql,
  tenantId: string,
  addressRef: string,
): Promise<{ kind: SubjectKind; id: string } | null> {
  const [row] = await sql<{ subject_kind: SubjectKind; subject_id: string }[]>`
    select subject_kind, subject_id from subject_contacts
     where tenant_id = ${tenantId} and address_ref = ${addressRef}
     order by (subject_kind = 'patient_id') desc, updated_at desc
     limit 1`;
  return row ? { kind: row.subject_kind, id: row.subject_id } : null;
}
