import { defineManifest } from '@revos/runtime';
import { FeatureFlags, TenantRuleset } from '@revos/envelope';
import { z } from 'zod';

const PolicyVersion = z.string().regex(/^pol_[A-Za-z0-9_-]{1,80}$/, 'must be a policy version (pol_...)');
const FlagsVersion = z.string().regex(/^ff_[A-Za-z0-9_-]{1,80}$/, 'must be a feature flags version (ff_...)');
/** Who asked, from the credential: `api:<key id>`, `cli:<operator>`. Never a patient. */
const Actor = z.string().regex(/^[A-Za-z0-9_.:@-]{1,100}$/, 'letters, digits and _ . : @ - only (1-100)');
/** The API caller's own name for its user (`u_...`), kept beside who asked; optional. */
const ActorLabel = z.string().regex(/^[A-Za-z0-9_.@-]{1,80}$/, 'letters, digits and _ . @ - only (1-80)').optional();
const Reason = z.string().min(1).max(200).optional();

export const ChangePolicyPayload = z.discriminatedUnion('target', [
  z.object({ target: z.literal('ruleset'), ruleset: TenantRuleset, from_version: PolicyVersion.nullable(), changed_by: Actor, changed_by_label: ActorLabel, reason: Reason }).strict(),
  z.object({ target: z.literal('feature_flags'), feature_flags: FeatureFlags, from_version: FlagsVersion.nullable(), changed_by: Actor, changed_by_label: ActorLabel, reason: Reason }).strict(),
]);

export const WF07Manifest = defineManifest({
  name: 'WF07_Change_Policy',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  payload: ChangePolicyPayload,
});
export type ChangePolicyPayload = z.infer<typeof ChangePolicyPayload>;
