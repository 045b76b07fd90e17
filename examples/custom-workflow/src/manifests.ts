/**
 * This deployment's workflows as the producer and the CLI know them: manifests (name, version,
 * lane, payload schema, consent), with no handler and no vendor adapter behind them. The worker
 * binds each to its handler (./workflows.ts).
 */
import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

/** What a caller sends: checked by the producer before it answers, and again by the worker. */
export const WF99Payload = z
  .object({
    to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number'),
    recall: z.enum(['hygiene', 'annual_exam']),
    due_by: z.iso.date(),
  })
  .strict();

export const WF99Manifest = defineManifest({
  name: 'WF99_Recall_Reminder',
  version: '1.0.0',
  payload: WF99Payload,
  // Where it runs and how its latency is budgeted (the sms channel's default budget).
  lane: 'interactive',
  channel: 'sms',
  // Consent_Check: the patient's consent and the destination number's opt-out (payload.to).
  outbound: { channel: 'sms', subject: 'patient_id', address: 'to' },
  // A tenant without an SMS number configured fails config_missing instead of sending.
  requiresConfig: ['sms_from'],
});
export type WF99Payload = z.input<typeof WF99Payload>;

export const manifests = [WF99Manifest];
