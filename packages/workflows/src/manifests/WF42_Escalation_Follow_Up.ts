import { defineManifest } from '@revos/runtime';
import { ESCALATION_PAYLOAD } from './WF21_Escalate_To_Staff.js';

export const WF42Manifest = defineManifest({
  name: 'WF42_Escalation_Follow_Up',
  version: '1.1.0',
  lane: 'batch',
  // Decides by tenant policy: intake attaches it, the output records the version used (policy_used).
  usesPolicy: true,
  isEscalation: true,
  payload: ESCALATION_PAYLOAD,
});
