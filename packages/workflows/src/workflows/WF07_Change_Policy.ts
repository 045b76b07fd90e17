import { canonicalJson, WorkflowError } from '@revos/envelope';
import { changeTenantPolicy, loadTenantPolicy, type Db, type PolicyTarget } from '@revos/db';
import { defineWorkflow } from '@revos/runtime';
import { WF07Manifest } from '../manifests/WF07_Change_Policy.js';

/** What the event and the output record of a change. */
interface PolicyChanged extends Record<string, unknown> {
  target: PolicyTarget;
  from_version: string | null;
  to_version: string;
  changed_by: string;
  /** The API caller's own name for its user, when it gave one. */
  changed_by_label?: string;
  reason: string | null;
}

/**
 * The new version a run writes: its own run id's ULID under the target's prefix. Stable across the
 * run's retries (so a retry finds its own write) and ordered in time like the runs themselves.
 */
export function versionForRun(target: PolicyTarget, workflowRunId: string): string {
  return `${target === 'ruleset' ? 'pol' : 'ff'}_${workflowRunId.replace(/^wr_/, '')}`;
}

/**
 * Changes a tenant's ruleset or feature flags as a run: the new value is validated by the payload
 * schema, written only if the tenant is still at `from_version` (else `blocked` with
 * `version_conflict`), bumps the version, and leaves one `policy.changed` event naming who changed
 * it from which version to which. The run's envelope holds the value, so history is the runs.
 */
export function WF07_Change_Policy(records: Db) {
  return defineWorkflow({
    ...WF07Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const tenantId = ctx.envelope.meta.tenant_id;
      const value = p.target === 'ruleset' ? p.ruleset : p.feature_flags;
      const current = await loadTenantPolicy(records.sql, tenantId, true);
      const currentVersion = p.target === 'ruleset' ? current?.policyVersion : current?.featureFlagsVersion;
      const currentValue = p.target === 'ruleset' ? current?.ruleset : current?.featureFlags;
      // Setting what is already there (a repeated request) is not a change: no bump, no event.
      if (currentVersion === p.from_version && canonicalJson(currentValue ?? {}) === canonicalJson(value)) {
        return { summary: `${p.target} unchanged at ${currentVersion ?? 'no version'}`, phi_touched: false, primary_outputs: { target: p.target, changed: false, version: currentVersion ?? null } };
      }
      const toVersion = versionForRun(p.target, ctx.envelope.meta.workflow_run_id);
      const changed = await ctx.effect<PolicyChanged>(
        'policy.change',
        // Our own compare-and-set dedupes a retried attempt (the row is already at toVersion).
        { service: 'revos', endpoint: 'tenants.policy', eventType: 'policy.changed', direction: 'internal', vendorDedupes: true },
        async () => {
          const outcome = await changeTenantPolicy(records.sql, { tenantId, target: p.target, value, fromVersion: p.from_version, toVersion });
          switch (outcome.kind) {
            case 'changed':
            case 'already_applied':
              return {
                target: p.target,
                from_version: p.from_version,
                to_version: toVersion,
                changed_by: p.changed_by,
                ...(p.changed_by_label === undefined ? {} : { changed_by_label: p.changed_by_label }),
                reason: p.reason ?? null,
              };
            case 'conflict':
              throw new WorkflowError('version_conflict', `payload.from_version: the ${p.target} is at ${outcome.currentVersion ?? 'no version'}, not ${p.from_version ?? 'no version'}; re-read and retry`, {
                details: { current_version: outcome.currentVersion },
              });
            case 'no_tenant':
              throw new WorkflowError('config_missing', `tenant ${tenantId} is not configured`);
          }
        },
      );
      ctx.recordDataWritten('tenants', tenantId);
      return { summary: `${p.target} ${changed.from_version ?? 'none'} -> ${changed.to_version}`, phi_touched: false, primary_outputs: { ...changed, changed: true } };
    },
  });
}
