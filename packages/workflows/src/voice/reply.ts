import { E164_PHONE_RE } from '@revos/envelope';
import { z } from 'zod';
import { greeting } from './practice-name.js';

/**
 * What a voice turn tells the caller, in WF17's `primary_outputs.reply`; the voice webhook turns it
 * into TwiML: `gather` says it inside the next `<Gather input="speech">`, `dial` says it and
 * `<Dial>`s the front desk, `hangup` says it and ends the call.
 */
export const VoiceReply = z.object({
  say: z.string().min(1).max(600),
  then: z.enum(['gather', 'dial', 'hangup']),
});
export type VoiceReply = z.infer<typeof VoiceReply>;

/** The greeting of a new call without a practice name; `greeting(config)` names the practice (no workflow runs for it: the caller has said nothing yet). */
export const GREETING = greeting({});
/** Said when the turn did not answer by the deadline or failed (WF71's fallback on the call). */
export const FALLBACK_APOLOGY = 'Sorry, this is taking longer than it should. Let me connect you to the front desk.';
/** Said after a `<Gather>` that heard nothing. */
export const NO_INPUT = 'I did not hear anything. Let me connect you to the front desk.';

/** The number a caller is transferred to: tenant config `front_desk_number` (`front_desk_phone`, its older name, still read). */
export function frontDeskNumber(config: Record<string, unknown>): string | null {
  for (const key of ['front_desk_number', 'front_desk_phone']) {
    const value = config[key];
    if (typeof value === 'string' && E164_PHONE_RE.test(value)) return value;
  }
  return null;
}
