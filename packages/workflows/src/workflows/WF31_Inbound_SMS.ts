import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';

/** What a patient's reply asks for; decided from the text, which is never stored in events or logs. */
export function classifyReply(body: string): 'confirm' | 'stop' | 'help' | 'other' {
  const word = body.trim().toUpperCase();
  if (['C', 'YES', 'Y', 'CONFIRM'].includes(word)) return 'confirm';
  if (['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'].includes(word)) return 'stop';
  if (['HELP', 'INFO'].includes(word)) return 'help';
  return 'other';
}

/**
 * An inbound text (Twilio webhook). Logs it as an inbound event, once per
 * MessageSid, keeping only the vendor id and the classified intent.
 */
export const WF31_Inbound_SMS = defineWorkflow({
  name: 'WF31_Inbound_SMS',
  version: '1.0.0',
  lane: 'interactive',
  // Decides by tenant policy: intake attaches it, the output records the version used (policy_used).
  usesPolicy: true,
  channel: 'sms',
  payload: z
    .object({
      message_sid: z.string().min(1),
      from: z.string().min(1),
      to: z.string().min(1),
      body: z.string(),
    })
    .strict(),
  async run(ctx) {
    const intent = classifyReply(ctx.payload.body);
    await ctx.effect(
      'event.inbound',
      { service: 'revos', endpoint: 'events.log', eventType: 'sms.received', direction: 'inbound', eventPayload: () => ({ message_sid: ctx.payload.message_sid, intent }) },
      async () => ({ intent }),
    );
    return { summary: `inbound sms: ${intent}`, primary_outputs: { message_sid: ctx.payload.message_sid, intent } };
  },
});
