import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF10Manifest = defineManifest({
  name: 'WF10_Consent_Check',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  payload: z.object({ channel: z.enum(['sms', 'voice', 'email']) }).strict(),
});
