import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF31Payload = z
  .object({
    message_sid: z.string().min(1),
    from: z.string().min(1),
    to: z.string().min(1),
    body: z.string(),
  })
  .strict();

export const WF31Manifest = defineManifest({
  name: 'WF31_Inbound_SMS',
  version: '1.1.0',
  lane: 'interactive',
  // Decides by tenant policy: intake attaches it, the output records the version used (policy_used).
  usesPolicy: true,
  channel: 'sms',
  payload: WF31Payload,
});
