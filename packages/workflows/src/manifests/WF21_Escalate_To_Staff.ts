import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const ESCALATION_PAYLOAD = z
  .object({
    task_id: z.string().regex(/^task_/),
    source_run_id: z.string().regex(/^wr_/),
    source_workflow: z.string(),
    failure_code: z.string(),
    follow_up_number: z.number().int().min(0).default(0),
  })
  .strict();

export const WF21Manifest = defineManifest({
  name: 'WF21_Escalate_To_Staff',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'sms',
  isEscalation: true,
  requiresConfig: ['sms_from', 'staff_alert_phone'],
  payload: ESCALATION_PAYLOAD,
});
