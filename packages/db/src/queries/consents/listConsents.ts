import type { Queryable } from '../../client.js';
import type { ConsentRow } from './consent-rows.js';

/** Every channel's consent of one subject or one address of a tenant (GET /v1/consents, `revos consents show`). */
export async function listConsents(
  sql: Queryable,
  q: { tenantId: string; subjectId?: string; address?: string },
): Promise<ConsentRow[]> {
  if (q.address !== undefined) {
    return sql<ConsentRow[]>`
      select 'address' as target, address as id, channel, status, source, evidence_ref, updated_by, updated_at::text
        from address_consents where tenant_id = ${q.tenantId} and address = ${q.address} order by channel`;
  }
  return sql<ConsentRow[]>`
    select 'subject' as target, subject_id as id, channel, status, source, evidence_ref, updated_by, updated_at::text
      from consents where tenant_id = ${q.tenantId} and subject_id = ${q.subjectId ?? ''} order by channel`;
}
