import { newEventId } from '@revos/envelope';
import type { Queryable } from '../../client.js';
import { jsonb } from '../json.js';
import type { ConsentStatus } from './consent-status.js';

/** Whose consent changes: a subject (patient or lead id) or a destination address (E.164 number). */
export type ConsentTarget = { kind: 'subject'; subjectId: string } | { kind: 'address'; address: string };

export interface ConsentChange {
  tenantId: string;
  target: ConsentTarget;
  channel: string;
  status: ConsentStatus;
  /** How it was given or revoked: `api`, `cli`, `sms_keyword`, `twilio_21610`, ... */
  source: string;
  evidenceRef?: string | null;
  /** Who made the change (an API key's tenant, a CLI operator, `patient`). */
  actor: string;
  /** The run that made the change (an inbound STOP); none for the API and the CLI. */
  run?: { workflowRunId: string; rootRunId: string } | null;
  /** The event's subject ids. */
  subject?: Record<string, string>;
  /** What the event calls the address: a PHI token, never the number itself. */
  addressRef?: string;
  /** phi_minimized runs keep the event's payload_ref only. */
  omitEventPayload?: boolean;
}

export interface ConsentChangeResult {
  /** False when the stored status already was `status`: nothing was written (idempotent). */
  changed: boolean;
  previous: ConsentStatus | null;
  /**
   * The evidence the stored status carried before this call (a message sid): when nothing changed and it
   * is this call's own evidence, an earlier attempt of the same run made the change.
   */
  previousEvidenceRef: string | null;
  eventId: string | null;
}

/**
 * Sets one consent and writes its `consent.changed` event in ONE statement, so a change is never
 * stored without its event nor an event without its change. Setting the status a target already has
 * changes nothing and writes no event: a repeated PUT or a second STOP is a no-op, also when two
 * arrive at once (the loser's upsert re-reads the winner's row and finds nothing to change).
 */
export async function recordConsentChange(sql: Queryable, c: ConsentChange): Promise<ConsentChangeResult> {
  const eventId = newEventId();
  const isAddress = c.target.kind === 'address';
  const payload = c.omitEventPayload
    ? null
    : {
        target: c.target.kind,
        ...(c.target.kind === 'subject' ? { subject_id: c.target.subjectId } : { address_ref: c.addressRef ?? null }),
        channel: c.channel,
        status: c.status,
        source: c.source,
        evidence_ref: c.evidenceRef ?? null,
        actor: c.actor,
      };
  const key = c.target.kind === 'subject' ? c.target.subjectId : c.target.address;
  const eventType = isAddress ? 'consent.address_changed' : 'consent.subject_changed';
  const payloadRef = `consents/${c.target.kind}/${c.channel}/${eventId}`;
  const run = c.run ?? null;
  // The two consent tables differ only in the key column: one statement names both by identifier.
  const table = sql(isAddress ? 'address_consents' : 'consents');
  const keyColumn = sql(isAddress ? 'address' : 'subject_id');
  const rows = await sql<{ previous: ConsentStatus | null; previous_evidence_ref: string | null; changed: number; event_id: string | null }[]>`
    with prev as (
      select status, evidence_ref from ${table} where tenant_id = ${c.tenantId} and ${keyColumn} = ${key} and channel = ${c.channel}
    ), up as (
      insert into ${table} (tenant_id, ${keyColumn}, channel, status, source, evidence_ref, updated_by)
      values (${c.tenantId}, ${key}, ${c.channel}, ${c.status}, ${c.source}, ${c.evidenceRef ?? null}, ${c.actor})
      on conflict (tenant_id, ${keyColumn}, channel) do update
        set status = excluded.status, source = excluded.source, evidence_ref = excluded.evidence_ref,
            updated_by = excluded.updated_by, updated_at = now()
        where ${table}.status is distinct from excluded.status
      returning 1
    ), ev as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload)
      select ${eventId}, ${run?.workflowRunId ?? null}, ${run?.rootRunId ?? null}, ${c.tenantId},
             ${jsonb(c.subject ?? {})}::text::jsonb, ${eventType}, 'internal', ${payloadRef},
             ${payload === null ? null : jsonb(payload)}::text::jsonb
       where exists (select 1 from up)
      returning event_id
    )
    select (select status from prev) as previous, (select evidence_ref from prev) as previous_evidence_ref,
           (select count(*)::int from up) as changed, (select event_id from ev) as event_id`;
  const row = rows[0]!;
  return { changed: row.changed > 0, previous: row.previous, previousEvidenceRef: row.previous_evidence_ref, eventId: row.event_id };
}
