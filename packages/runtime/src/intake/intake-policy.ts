/**
 * What intake adds to every envelope before it is stored: the tenant's current `policy_version` and
 * `feature_flags_version` (whoever built the envelope: API, webhook, cron, dispatcher, replay), and,
 * for workflows that decide by policy, the ruleset and flags those versions name. For payment
 * workflows it also refuses card numbers anywhere in the payload, before anything is written (PCI scope).
 * The stricter privacy mode wins: a tenant configured `phi_minimized` (or with a mode that does not parse)
 * gets phi_minimized runs whatever the caller's `meta.privacy_mode` said, so no API caller or webhook body
 * can opt a tenant's PHI into plain storage.
 */
import { loadTenantPolicy, type Sql } from '@revos/db';
import { findCardNumbers, tenantConfigPrivacyMode, type Envelope, type FieldIssue } from '@revos/envelope';
import type { AnyManifest } from '../definition/manifest.js';

/** Each payload path that holds something shaped like a card number (intake refuses them for payment workflows). */
export function cardNumberIssues(envelope: Envelope): FieldIssue[] {
  return findCardNumbers(envelope.payload, 'payload').map((path) => ({
    path,
    rule: 'card_number_forbidden',
    message: 'looks like a card number: send a saved payment method reference (pm_...), never card data',
  }));
}

/** The envelope with the tenant's current policy stamped on it (unchanged when the tenant is unknown). */
export async function stampTenantPolicy(sql: Sql, envelope: Envelope, workflow: Pick<AnyManifest, 'usesPolicy'>): Promise<Envelope> {
  const policy = await loadTenantPolicy(sql, envelope.meta.tenant_id, workflow.usesPolicy);
  if (!policy) return envelope;
  // A tenant that never had a version stamps none (the keys stay absent rather than null), so
  // envelopes of tenants without policies are stored exactly as they were submitted.
  const { policy_version: _p, feature_flags_version: _f, ...meta } = envelope.meta;
  const tenantMode = tenantConfigPrivacyMode({ privacy_mode: policy.privacyMode ?? undefined }).mode;
  const stamped: Envelope = {
    ...envelope,
    meta: {
      ...meta,
      ...(tenantMode === 'phi_minimized' ? { privacy_mode: 'phi_minimized' as const } : {}),
      ...(policy.policyVersion === null ? {} : { policy_version: policy.policyVersion }),
      ...(policy.featureFlagsVersion === null ? {} : { feature_flags_version: policy.featureFlagsVersion }),
    },
  };
  if (workflow.usesPolicy) {
    stamped.context = { ...envelope.context, tenant_ruleset_json: policy.ruleset ?? {}, feature_flags: policy.featureFlags ?? {} };
  }
  return stamped;
}
