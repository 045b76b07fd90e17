import type { Sql } from '../../client.js';
import type { ConsentStatus } from './consent-status.js';

/** Consent_Check's lookup: the stored consent of a subject for a channel, or null when none is recorded. */
export async function findConsent(
  sql: Sql,
  tenantId: string,
  subjectId: string,
  channel: string,
): Promise<ConsentStatus | null> {
  const [row] = await sql<{ status: ConsentStatus }[]>`
    select status from consents where tenant_id = ${tenantId} and subject_id = ${subjectId} and channel = ${channel}`;
  return row?.status ?? null;
}
