import { defineWorkflow, isEntitled } from '@revos/runtime';
import { WF06Manifest } from '../manifests/WF06_Load_Tenant_Entitlements.js';

/** Reports what a tenant may run (the pipeline's Load_Tenant_Entitlements, as a callable workflow). */
export const WF06_Load_Tenant_Entitlements = defineWorkflow({
  ...WF06Manifest,
  async run(ctx) {
    const workflows = ctx.tenant.entitlements.workflows ?? [];
    // The pipeline's own gate decides: the answer is what a run of that workflow would meet.
    const entitled = ctx.payload.workflow === undefined ? null : isEntitled(ctx.tenant.entitlements, ctx.payload.workflow);
    return {
      summary: 'tenant entitlements loaded',
      phi_touched: false,
      primary_outputs: {
        workflows,
        channels: ctx.tenant.entitlements.channels ?? [],
        policy_version: ctx.tenant.policyVersion,
        feature_flags_version: ctx.tenant.featureFlagsVersion,
        ...(entitled === null ? {} : { entitled }),
      },
    };
  },
});
