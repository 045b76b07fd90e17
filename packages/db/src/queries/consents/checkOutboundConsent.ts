import type { Sql } from '../../client.js';
import type { ConsentStatus } from './consent-status.js';

export interface OutboundConsent {
  /** The subject's recorded consent for the channel; null when none is recorded (no contact). */
  subject: ConsentStatus | null;
  /** The destination address's recorded status; null when the number never opted out or in. */
  address: ConsentStatus | null;
}

/**
 * Consent_Check's lookup for an outbound send: the subject's consent and the destination number's
 * opt-out in one round trip. `subjectId` or `address` may be null when the workflow names none.
 */
export async function checkOutboundConsent(
  sql: Sql,
  q: { tenantId: string; channel: string; subjectId: string | null; address: string | null },
): Promise<OutboundConsent> {
  const [row] = await sql<{ subject: ConsentStatus | null; address: ConsentStatus | null }[]>`
    select
      (select status from consents
        where tenant_id = ${q.tenantId} and subject_id = ${q.subjectId} and channel = ${q.channel}) as subject,
      (select status from address_consents
        where tenant_id = ${q.tenantId} and address = ${q.address} and channel = ${q.channel}) as address`;
  return { subject: row?.subject ?? null, address: row?.address ?? null };
}
