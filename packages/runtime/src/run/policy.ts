/**
 * The tenant policy a run decides under. Intake stamped the versions (and, for `usesPolicy`
 * workflows, the ruleset and flags) on the envelope when the run was accepted, so a run decides by
 * the policy that was current at its trigger, whatever changed while it waited in the queue.
 */
import type { Envelope } from '@revos/envelope';
import type { TenantRecord } from '@revos/db';
import type { AnyWorkflow, RunPolicy } from '../definition/define-workflow.js';

export function runPolicy(envelope: Envelope, tenant: TenantRecord): RunPolicy {
  const context = envelope.context;
  return {
    policyVersion: envelope.meta.policy_version ?? null,
    featureFlagsVersion: envelope.meta.feature_flags_version ?? null,
    // An envelope without the snapshot (enqueued around intake, e.g. by a test) falls back to the tenant row.
    ruleset: context?.tenant_ruleset_json ?? tenant.ruleset,
    featureFlags: context?.feature_flags ?? tenant.featureFlags,
  };
}

/** `primary_outputs.policy_used` of a deciding workflow's output: the versions it decided under. */
export function policyUsed(workflow: AnyWorkflow, envelope: Envelope): Record<string, unknown> {
  if (!workflow.usesPolicy) return {};
  return {
    policy_used: {
      policy_version: envelope.meta.policy_version ?? null,
      feature_flags_version: envelope.meta.feature_flags_version ?? null,
    },
  };
}
