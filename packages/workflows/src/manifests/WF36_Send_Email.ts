import { defineManifest } from '@revos/runtime';
import { EmailAddress } from '@revos/envelope';
import { z } from 'zod';

/**
 * Fixed emails, signed with the practice's name (tenant config `practice_name`). `transactional`
 * ones answer something the patient did (a booking) and carry no unsubscribe link; every other email
 * carries List-Unsubscribe with one-click unsubscribe (RFC 8058). Never logged or stored in events.
 */
export const EMAIL_TEMPLATES = {
  appointment_confirmation: {
    subject: 'Your appointment is booked',
    text: 'Your appointment is booked. Reply to this email or call us if you need to change it.',
    transactional: true,
  },
  appointment_reminder: {
    subject: 'Appointment reminder',
    text: 'This is a reminder that you have an appointment with us soon. Reply to this email or call us if you need to change it.',
    transactional: false,
  },
} as const;
export type EmailTemplateName = keyof typeof EMAIL_TEMPLATES;

export const WF36Payload = z
  .object({
    to: EmailAddress,
    template: z.enum(Object.keys(EMAIL_TEMPLATES) as [EmailTemplateName]).optional(),
    /** A free email: its subject line and text, sent as written (`{practice}` filled in). */
    subject_line: z.string().min(1).max(200).regex(/^[^\r\n]*$/, 'one line').optional(),
    body: z.string().min(1).max(20_000).optional(),
    /** A free email that answers something the patient did: no unsubscribe link. Templates say it themselves. */
    transactional: z.boolean().optional(),
    /** The appointment a reminder or confirmation is about. */
    appointment_id: z.string().min(1).max(200).optional(),
    /** When it starts: an email about an appointment that has passed is never sent (as WF30). */
    appointment_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((p) => (p.template === undefined) !== (p.body === undefined), 'exactly one of template or body')
  .refine((p) => (p.body === undefined) === (p.subject_line === undefined), { message: 'a body needs a subject_line, and only a body has one', path: ['subject_line'] })
  .refine((p) => p.template === undefined || p.transactional === undefined, { message: 'a template says whether it is transactional', path: ['transactional'] });

export const WF36Manifest = defineManifest({
  name: 'WF36_Send_Email',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'email',
  outbound: { channel: 'email', subject: 'patient_id', address: 'to' },
  requiresConfig: ['email_from'],
  payload: WF36Payload,
  futureTimes: ['appointment_at'],
});
export type WF36Payload = z.infer<typeof WF36Payload>;
