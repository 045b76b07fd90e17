/**
 * Load_Tenant_Entitlements (node D): whether the tenant may run a workflow and has the config it
 * needs. The pipeline holds every run to it; WF06 reports the same decision on request.
 */
import type { TenantRecord } from '@revos/db';
import type { AnyWorkflow } from '../definition/define-workflow.js';
import { stageFailure, type StagedFailure } from './failure.js';

/** `'*'` entitles every workflow; no list entitles none. */
export function isEntitled(entitlements: TenantRecord['entitlements'], workflowName: string): boolean {
  const allowed = entitlements.workflows;
  return allowed === '*' || (allowed ?? []).includes(workflowName);
}

/**
 * The gate: the tenant the run goes on with.
 * @throws StagedFailure at `load_tenant_entitlements` when the tenant is unknown, not entitled, or lacks config.
 */
export function entitlementGate(tenantId: string, tenant: TenantRecord | null, workflow: AnyWorkflow): TenantRecord {
  if (!tenant) throw refusal('config_missing', `tenant ${tenantId} is not configured`);
  if (!isEntitled(tenant.entitlements, workflow.name)) throw refusal('policy_violation', `tenant is not entitled to ${workflow.name}`);
  const missing = workflow.requiresConfig.filter((k) => tenant.config[k] === undefined || tenant.config[k] === null);
  if (missing.length > 0) throw refusal('config_missing', `tenant config lacks ${missing.join(', ')}`);
  return tenant;
}

function refusal(code: 'config_missing' | 'policy_violation', message: string): StagedFailure {
  return stageFailure(code, 'load_tenant_entitlements', message);
}
