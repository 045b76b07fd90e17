import { E164_PHONE_RE } from '@revos/envelope';
import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const WF17Payload = z
  .object({
    call_sid: z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio CallSid (CA + 32 hex)'),
    /** 1 for the caller's first answer; the webhook's Gather action carries it. */
    turn: z.number().int().min(1),
    /** Twilio's SpeechResult. PHI: never logged, never copied into state, events or outputs. */
    speech_result: z.string().max(2_000),
    /** Twilio's Confidence, 0..1; absent when Twilio did not send one. */
    confidence: z.number().min(0).max(1).optional(),
    /** The caller's number (E.164), for the confirmation text. */
    from: z.string().regex(E164_PHONE_RE, 'must be an E.164 phone number').optional(),
  })
  .strict();

export const WF17Manifest = defineManifest({
  name: 'WF17_RealTime_Voice_Orchestrator',
  version: '2.0.0',
  lane: 'realtime',
  // Decides by tenant policy: intake attaches it, the output records the version used (policy_used).
  usesPolicy: true,
  channel: 'voice',
  attempts: 1,
  timeoutMs: 8_000,
  payload: WF17Payload,
});
export type WF17Payload = z.infer<typeof WF17Payload>;
