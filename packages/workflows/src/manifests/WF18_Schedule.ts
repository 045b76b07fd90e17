import { E164_PHONE_RE } from '@revos/envelope';
import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF18Manifest = defineManifest({
  name: 'WF18_Schedule',
  version: '1.1.0',
  lane: 'interactive',
  channel: 'ui',
  payload: z
    .object({
      practice_id: z.string().min(1),
      /** Must still lie ahead: intake refuses a slot that has passed, and a run that starts after it ends `blocked` / `expired`. */
      slot_start: z.iso.datetime(),
      provider_id: z.string().min(1).optional(),
      reason_code: z.string().max(40).optional(),
      /** E.164 number for the confirmation text; no text without it. */
      confirm_to: z.string().regex(E164_PHONE_RE).optional(),
    })
    .strict(),
  futureTimes: ['slot_start'],
});
