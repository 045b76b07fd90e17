import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF71Manifest = defineManifest({
  name: 'WF71_RealTime_Fallback',
  version: '1.1.0',
  lane: 'realtime',
  channel: 'voice',
  payload: z
    .object({
      call_sid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio CallSid (CA + 32 hex)').optional(),
      source_run_id: z.string().optional(),
      source_workflow: z.string().optional(),
      latency_ms: z.number().optional(),
      budget_ms: z.number().nullable().optional(),
      reason: z.string().max(80).optional(),
    })
    .strict(),
});
