/**
 * Consent_Check (node E) for outbound workflows. Consent has two keys: the subject's consent
 * (recorded per patient or lead and channel; none recorded means no contact) and the destination
 * address's opt-out (recorded per number and channel, as carriers require: a STOP from a number
 * denies it for every subject of the tenant). A send goes out only when both allow.
 */
import { checkOutboundConsent, type ConsentStatus, type Sql } from '@revos/db';
import type { ConsentResult, Envelope } from '@revos/envelope';
import type { OutboundSpec } from '../definition/define-workflow.js';

export type ConsentVerdict =
  | { result: 'allow' }
  | { result: 'deny'; reason: string }
  /** The workflow's declared subject or address is missing from the run: bad input, not a denial. */
  | { result: 'invalid'; reason: string };

/** The destination the workflow declared (`outbound.address` names a payload field), or undefined when it declares none. */
export function outboundAddress(spec: OutboundSpec, payload: unknown): string | null | undefined {
  if (spec.address === undefined) return undefined;
  const value = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[spec.address] : undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

export async function checkConsentGate(sql: Sql, spec: OutboundSpec, envelope: Envelope, payload: unknown): Promise<ConsentVerdict> {
  const subjectId = envelope.subject[spec.subject];
  if (!subjectId) return { result: 'invalid', reason: `subject.${spec.subject} is required for outbound ${spec.channel}` };
  const address = outboundAddress(spec, payload);
  if (address === null) return { result: 'invalid', reason: `payload.${spec.address} (the destination) is required for outbound ${spec.channel}` };
  const stored = await checkOutboundConsent(sql, {
    tenantId: envelope.meta.tenant_id,
    channel: spec.channel,
    subjectId,
    address: address ?? null,
  });
  // The number's opt-out is checked first: it is what carriers hold us to, whoever the subject is.
  if (stored.address === 'deny') return { result: 'deny', reason: `the destination number opted out of ${spec.channel}` };
  if (subjectConsent(stored.subject) === 'deny') return { result: 'deny', reason: `no ${spec.channel} consent on record for the subject` };
  return { result: 'allow' };
}

/** The subject's side of consent: only a recorded `allow` allows; no record means no contact. WF10 answers by it too. */
export function subjectConsent(stored: ConsentStatus | null): ConsentResult {
  return stored === 'allow' ? 'allow' : 'deny';
}

export function consentResultOf(verdict: ConsentVerdict): ConsentResult {
  return verdict.result === 'allow' ? 'allow' : 'deny';
}
