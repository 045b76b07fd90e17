import type { Sql } from '../../client.js';
import type { ConsentStatus } from './consent-status.js';

/**
 * Seeds a subject's consent without an event (test fixtures, migrations of existing records). Changes
 * made by people or patients go through `recordConsentChange`, which writes the event.
 */
export async function setConsent(
  sql: Sql,
  c: { tenantId: string; subjectId: string; channel: string; status: ConsentStatus; source?: string },
): Promise<void> {
  await sql`
    insert into consents (tenant_id, subject_id, channel, status, source)
    values (${c.tenantId}, ${c.subjectId}, ${c.channel}, ${c.status}, ${c.source ?? null})
    on conflict (tenant_id, subject_id, channel) do update
      set status = excluded.status, source = excluded.source, updated_at = now()`;
}
