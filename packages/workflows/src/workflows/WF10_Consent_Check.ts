import { defineWorkflow, subjectConsent } from '@revos/runtime';
import { WF10Manifest } from '../manifests/WF10_Consent_Check.js';

/** Answers whether the subject may be contacted on a channel. No record means no consent. */
export const WF10_Consent_Check = defineWorkflow({
  ...WF10Manifest,
  async run(ctx) {
    const subjectId = ctx.envelope.subject.patient_id ?? ctx.envelope.subject.lead_id;
    if (!subjectId) return { summary: 'no subject to check', primary_outputs: { consent_result: 'deny', reason: 'no_subject' } };
    const stored = await ctx.lookup.consent(subjectId, ctx.payload.channel);
    // The subject's side of the pipeline's Consent_Check, decided by the same rule.
    const result = subjectConsent(stored);
    return {
      summary: `consent ${result} for ${ctx.payload.channel}`,
      primary_outputs: { consent_result: result, recorded: stored !== null, channel: ctx.payload.channel },
    };
  },
});
