/**
 * Consent changes and lookups, shared by `PUT/GET /v1/consents` and `revos consents set|show` so the
 * API and the CLI cannot disagree. Every change is one statement with its `consent.*_changed` event
 * (who, what, when, source); setting what is already recorded changes nothing (idempotent).
 */
import { listConsents, recordConsentChange, rememberSubjectContact, withTenant, type ConsentChangeResult, type ConsentRow, type Db } from '@revos/db';
import { ConsentRequest, EmailAddress, PhoneAddress, toFieldIssues, type FieldIssue } from '@revos/envelope';
import type { PrivacyGuard } from '@revos/runtime';
import { CONSENT_TIMES, withRfc3339 } from './timestamps.js';

export type ConsentOutcome =
  | { ok: true; body: ConsentSetBody | { consents: ConsentRow[] } }
  | { ok: false; status: 400; body: { error: 'invalid_consent' | 'invalid_query'; issues: FieldIssue[] } };

export interface ConsentSetBody {
  /** True when anything was written (false: everything already was so). */
  changed: boolean;
  subject?: ConsentChangeSummary;
  address?: ConsentChangeSummary;
}

interface ConsentChangeSummary {
  id: string;
  channel: string;
  status: 'allow' | 'deny';
  previous: 'allow' | 'deny' | null;
  changed: boolean;
  event_id: string | null;
}

/** Applies a consent request for `tenantId` on behalf of `actor` (`api`, `cli:<operator>`). */
export async function setConsents(deps: { db: Db; privacy: PrivacyGuard }, tenantId: string, input: unknown, actor: string): Promise<ConsentOutcome> {
  const parsed = ConsentRequest.safeParse(input);
  if (!parsed.success) return { ok: false, status: 400, body: { error: 'invalid_consent', issues: toFieldIssues(parsed.error, input) } };
  const r = parsed.data;
  const subjectKind = r.subject?.patient_id ? 'patient_id' : r.subject?.lead_id ? 'lead_id' : null;
  const subjectId = r.subject?.patient_id ?? r.subject?.lead_id ?? null;
  const addressRef = r.address ? deps.privacy.redactor.token(r.channel === 'email' ? 'email' : 'phone', r.address) : undefined;
  const eventSubject: Record<string, string> = subjectKind && subjectId ? { [subjectKind]: subjectId } : {};
  // One tenant-scoped transaction: the subject's and the address's change land together or not at all.
  return withTenant(deps.db.sql, tenantId, async (tx) => {
    const common = { tenantId, channel: r.channel, status: r.status, source: r.source, evidenceRef: r.evidence_ref ?? null, actor, subject: eventSubject };
    const body: ConsentSetBody = { changed: false };
    if (subjectId) {
      const result = await recordConsentChange(tx, { ...common, target: { kind: 'subject', subjectId } });
      body.subject = summary(subjectId, r.channel, r.status, result);
    }
    if (r.address) {
      const result = await recordConsentChange(tx, { ...common, target: { kind: 'address', address: r.address }, ...(addressRef ? { addressRef } : {}) });
      body.address = summary(r.address, r.channel, r.status, result);
      // Both named: inbound texts from this number are about this subject from now on.
      if (subjectKind && subjectId && addressRef) await rememberSubjectContact(tx, { tenantId, addressRef, subjectKind, subjectId });
    }
    body.changed = Boolean(body.subject?.changed || body.address?.changed);
    return { ok: true, body };
  });
}

/** The consents of one subject (`p_…` / `l_…`) or one address (E.164) of `tenantId`. */
export async function showConsents(db: Db, tenantId: string, q: { subject?: string; address?: string }): Promise<ConsentOutcome> {
  const issues: FieldIssue[] = [];
  // A `+` in a query string arrives as a space unless the caller encoded it as %2B: accept both.
  // An email address is looked up as stored (lowercased); a number's leading `+` may arrive as a space.
  const address = q.address?.includes('@') ? q.address.trim().toLowerCase() : q.address?.replace(/^ (?=\d)/, '+');
  if ((q.subject === undefined) === (address === undefined)) {
    issues.push({ path: 'subject', rule: 'exactly_one', message: 'give exactly one of subject=<p_…|l_…> or address=<+E.164>' });
  } else if (q.subject !== undefined && !/^(?:p|l)_[A-Za-z0-9_-]{1,80}$/.test(q.subject)) {
    issues.push({ path: 'subject', rule: 'format', message: 'must be a patient id (p_…) or a lead id (l_…)' });
  } else if (address !== undefined && !PhoneAddress.safeParse(address).success && !EmailAddress.safeParse(address).success) {
    issues.push({ path: 'address', rule: 'format', message: 'must be an E.164 phone number such as +15551234567 (encode + as %2B), or an email address' });
  }
  if (issues.length > 0) return { ok: false, status: 400, body: { error: 'invalid_query', issues } };
  const consents = await withTenant(db.sql, tenantId, (tx) =>
    listConsents(tx, { tenantId, ...(address !== undefined ? { address } : { subjectId: q.subject! }) }),
  );
  return { ok: true, body: { consents: consents.map((c) => withRfc3339(c, CONSENT_TIMES)) } };
}

function summary(id: string, channel: string, status: 'allow' | 'deny', result: ConsentChangeResult): ConsentChangeSummary {
  return { id, channel, status, previous: result.previous, changed: result.changed, event_id: result.eventId };
}
