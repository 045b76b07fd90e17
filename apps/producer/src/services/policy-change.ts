/**
 * A tenant's policy (ruleset or feature flags) is changed only through a WF07_Change_Policy run, for
 * the API (`PUT /v1/policy`) and the CLI (`revos policy set`) alike: this builds that run from a
 * request, checks the new value and the expected version up front (so a caller gets a 400/409 at
 * once), and submits it through the one intake.
 */
import { loadTenantPolicy, type Db } from '@revos/db';
import { canonicalJson, FeatureFlags, sha256Hex, TenantRuleset, toFieldIssues, type FieldIssue } from '@revos/envelope';
import type { IntakeDeps, IntakeSource } from '@revos/runtime';
import { z } from 'zod';
import { refused, submitPartial, type SubmitOutcome } from './submit.js';

export const CHANGE_POLICY_WORKFLOW = 'WF07_Change_Policy';

/** The body of `PUT /v1/policy` (and what `revos policy set` builds). Exactly one of ruleset or feature_flags. */
export const PolicyChangeRequest = z
  .object({
    ruleset: z.unknown().optional(),
    feature_flags: z.unknown().optional(),
    /** The version the caller read; omitted: whatever is current now. A stale one is refused (409). */
    expected_version: z.string().nullable().optional(),
    reason: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((r) => (r.ruleset === undefined) !== (r.feature_flags === undefined), {
    message: 'give exactly one of ruleset or feature_flags',
    params: { rule: 'exactly_one:ruleset,feature_flags' },
  });

/** What `GET /v1/policy` and `revos policy show` answer. */
export async function currentPolicy(db: Db, tenantId: string) {
  const policy = await loadTenantPolicy(db.sql, tenantId, true);
  if (!policy) return null;
  return {
    tenant_id: tenantId,
    policy_version: policy.policyVersion,
    feature_flags_version: policy.featureFlagsVersion,
    ruleset: policy.ruleset ?? {},
    feature_flags: policy.featureFlags ?? {},
  };
}

/** Field issues of a value against its schema, rooted at `root`. */
function issuesAt(root: string, error: z.ZodError, input: unknown): FieldIssue[] {
  return toFieldIssues(error, input).map((i) => ({ ...i, path: i.path ? `${root}.${i.path}` : root }));
}

/**
 * Submits the WF07 run for a change request. `changedBy` names who asked, from the credential
 * (`api:<key id>`, `cli:<operator>`); `changedByLabel`, the caller's own name for its user, is kept beside it.
 * The trigger is the change itself (target, version it was made against, new value): the same
 * request sent twice is one run.
 */
export async function submitPolicyChange(
  deps: IntakeDeps & { environment: 'prod' | 'staging' },
  tenantId: string,
  body: unknown,
  changedBy: string,
  source: IntakeSource,
  changedByLabel?: string,
): Promise<SubmitOutcome> {
  const request = PolicyChangeRequest.safeParse(body);
  if (!request.success) return refused(400, 'invalid_policy', toFieldIssues(request.error, body));
  const r = request.data;
  const target = r.ruleset !== undefined ? 'ruleset' : 'feature_flags';
  const checked = target === 'ruleset' ? TenantRuleset.safeParse(r.ruleset) : FeatureFlags.safeParse(r.feature_flags);
  if (!checked.success) return refused(400, 'invalid_policy', issuesAt(target, checked.error, target === 'ruleset' ? r.ruleset : r.feature_flags));

  const current = await currentPolicy(deps.db, tenantId);
  if (!current) return refused(404, 'unknown_tenant', [{ path: '', rule: 'unknown_tenant', message: `tenant ${tenantId} is not configured` }]);
  const currentVersion = target === 'ruleset' ? current.policy_version : current.feature_flags_version;
  if (r.expected_version !== undefined && r.expected_version !== currentVersion) {
    return refused(409, 'version_conflict', [
      { path: 'expected_version', rule: 'version_conflict', message: `the ${target} is at ${currentVersion ?? 'no version'}; re-read it and retry` },
    ]);
  }
  const value = checked.data;
  const payload = {
    target,
    [target]: value,
    from_version: currentVersion,
    changed_by: changedBy,
    ...(changedByLabel === undefined ? {} : { changed_by_label: changedByLabel }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  };
  const triggerId = `policy:${sha256Hex(canonicalJson({ target, from_version: currentVersion, value })).slice(0, 40)}`;
  return submitPartial(
    deps,
    {
      meta: { workflow_name: CHANGE_POLICY_WORKFLOW, trigger_source: 'ui', trigger_id: triggerId, environment: deps.environment, privacy_mode: 'standard' },
      subject: {},
      payload,
    },
    tenantId,
    { source },
  );
}
