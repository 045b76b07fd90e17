import { defineManifest } from '@revos/runtime';
import { EmailAddress } from '@revos/envelope';
import { z } from 'zod';

/** Largest attachment a run hears of; larger ones are listed with `too_large` and never fetched. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * An inbound email (Postmark's inbound webhook), once per Postmark MessageID. Attachments arrive as
 * their names, types and sizes only: their contents are dropped at the webhook and never stored.
 */
export const WF37Payload = z
  .object({
    /** Postmark's MessageID of the inbound email (the trigger id). */
    message_id: z.string().min(1).max(200),
    /** The sender's own Message-ID header, for threading the reply (In-Reply-To). */
    message_id_header: z.string().max(998).optional(),
    from: EmailAddress,
    /** The practice's address it was sent to. */
    to: z.string().max(998),
    subject_line: z.string().max(998),
    /** The new text of the email (Postmark's StrippedTextReply, else TextBody). */
    text: z.string().max(100_000),
    attachments: z
      .array(z.object({ attachment_name: z.string().max(255), content_type: z.string().max(255), size: z.number().int().min(0), too_large: z.boolean() }).strict())
      .max(50)
      .default([]),
    /** The email says it was sent by a machine (`Auto-Submitted`, a vacation reply): never answered, so two robots cannot loop. */
    auto_submitted: z.boolean().default(false),
  })
  .strict();

export const WF37Manifest = defineManifest({
  name: 'WF37_Inbound_Email',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'email',
  payload: WF37Payload,
});
export type WF37Payload = z.infer<typeof WF37Payload>;
