import { defineManifest } from '@revos/runtime';
import { PhoneAddress } from '@revos/envelope';
import { z } from 'zod';

/**
 * Fixed texts, sent signed with the practice's name (tenant config `practice_name`); free text comes in
 * `body` and is sent as written. Neither is ever logged or stored in events.
 */
export const TEMPLATES = {
  appointment_confirmation: 'Your appointment is booked. Reply C to confirm or call us to change it.',
  appointment_reminder: 'Reminder: you have an appointment with us soon. Reply C to confirm.',
} as const;

export const WF30Payload = z
  .object({
    to: PhoneAddress,
    template: z.enum(Object.keys(TEMPLATES) as [keyof typeof TEMPLATES]).optional(),
    body: z.string().min(1).max(1600).optional(),
    /** The appointment a reminder or confirmation is about: a "C" reply then confirms it. */
    appointment_id: z.string().min(1).max(200).optional(),
    /**
     * When that appointment starts. A text about an appointment that has passed is never sent: intake
     * refuses it, and a run that starts after it ends `blocked` / `expired` without a vendor call.
     */
    appointment_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((p) => (p.template === undefined) !== (p.body === undefined), 'exactly one of template or body');

export const WF30Manifest = defineManifest({
  name: 'WF30_Send_SMS',
  version: '1.1.0',
  lane: 'interactive',
  channel: 'sms',
  outbound: { channel: 'sms', subject: 'patient_id', address: 'to' },
  requiresConfig: ['sms_from'],
  payload: WF30Payload,
  futureTimes: ['appointment_at'],
});
export type WF30Payload = z.infer<typeof WF30Payload>;
