import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF84Manifest = defineManifest({
  name: 'WF84_Compliance_Sentinel',
  version: '1.0.0',
  lane: 'batch',
  channel: 'batch',
  payload: z
    .object({
      /** How far back to look, from the run's timestamp. */
      since_minutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
      /** Most runs scanned (newest first); the rest wait for the next firing. */
      limit: z.number().int().min(1).max(10_000).default(1_000),
    })
    .strict(),
});
