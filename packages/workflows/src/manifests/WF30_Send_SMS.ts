import { defineManifest } from '@revos/runtime';
import { MessageClass, PhoneAddress } from '@revos/envelope';
import { z } from 'zod';

/**
 * Fixed texts, sent signed with the practice's name (tenant config `practice_name`); free text comes in
 * `body` and is sent as written. Neither is ever logged or stored in events.
 */
export const TEMPLATES = {
  appointment_confirmation: 'Your appointment is booked. Reply C to confirm or call us to change it.',
  appointment_reminder: 'Reminder: you have an appointment with us soon. Reply C to confirm.',
} as const;

/** How long after acceptance a template's text is still of use when the payload names no `valid_until`. */
export const TEMPLATE_VALIDITY_HOURS: Record<keyof typeof TEMPLATES, number> = {
  appointment_confirmation: 24,
  appointment_reminder: 48,
};

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
    /** The last moment the text is of use: not sent after it (`blocked` / `expired`), however long it waited. */
    valid_until: z.iso.datetime({ offset: true }).optional(),
    /** For quiet hours (the tenant policy's `quiet_hours.classes`). Absent: `reminder` for the reminder template, else `transactional`. */
    message_class: MessageClass.optional(),
    /** When the patient's own text this answers arrived: a reply within the policy's reply window is exempt from quiet hours. */
    in_reply_to_received_at: z.iso.datetime({ offset: true }).optional(),
    /** When the patient asked to be contacted (a call-back request): exempt from quiet hours. */
    callback_requested_at: z.iso.datetime({ offset: true }).optional(),
    /** The patient record's IANA time zone, when known; absent: the practice's `timezone`. */
    recipient_timezone: z
      .string()
      .max(64)
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: zone });
          return zone !== '';
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as America/New_York')
      .optional(),
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
  futureTimes: ['appointment_at', 'valid_until'],
  // Quiet hours are the tenant policy's: the run decides by the ruleset current when it was accepted.
  usesPolicy: true,
});
export type WF30Payload = z.infer<typeof WF30Payload>;
