import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

/**
 * One Twilio status callback: the status of one text (`MessageSid`) or call (`CallSid`). The status
 * route submits it with trigger id `<sid>:<status>`, so a callback Twilio delivers again is a
 * duplicate of the first; the payload holds nothing else, so every delivery has the same key.
 */
export const WF33Payload = z
  .object({
    channel: z.enum(['sms', 'voice']),
    sid: z.string().regex(/^[A-Z]{2}[A-Za-z0-9]{8,64}$/, 'a Twilio sid: two capital letters and 8-64 letters or digits'),
    status: z.string().regex(/^[a-z][a-z_-]{0,39}$/, 'a Twilio status: lower-case letters, _ and - (1-40)'),
    error_code: z.string().regex(/^\d{1,6}$/, 'a Twilio error code: 1-6 digits').nullable(),
  })
  .strict();
export type WF33Payload = z.infer<typeof WF33Payload>;

export const WF33Manifest = defineManifest({
  name: 'WF33_Delivery_Status',
  version: '1.0.0',
  lane: 'interactive',
  // What follows an undelivered text is the tenant's policy (ruleset `delivery`).
  usesPolicy: true,
  // Records a vendor's report; the person it is about is not contacted here.
  channel: 'sms',
  payload: WF33Payload,
});
