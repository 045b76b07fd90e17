import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF11Manifest = defineManifest({
  name: 'WF11_Log_Event',
  version: '1.0.0',
  lane: 'batch',
  payload: z
    .object({
      event_type: z.string().regex(/^[a-z][a-z0-9_.]{1,63}$/),
      direction: z.enum(['inbound', 'outbound', 'internal']),
      /** Non-PHI attributes only: refs, statuses, counts. */
      attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    })
    .strict(),
});
