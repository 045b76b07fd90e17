/**
 * The quiet-hours decision for one text: which class it is, whether the tenant's rule covers it,
 * whether an exemption applies (a reply to the patient's own text within the reply window, or a
 * contact the patient asked for), and if held, until when. Pure: the clock is passed in.
 */
import { QuietHoursRule, type MessageClass } from '@revos/envelope';
import { nextAllowedMs } from './quiet-hours.js';

/** Classes held when the rule names none: transactional texts answer something the patient did. */
export const DEFAULT_QUIET_CLASSES: readonly MessageClass[] = ['reminder', 'campaign'];
export const DEFAULT_REPLY_WINDOW_MINUTES = 15;

export interface TextForQuietHours {
  messageClass: MessageClass;
  /** When the patient's own text arrived, for a reply to it. */
  inReplyToReceivedAt?: string | undefined;
  /** When the patient asked to be contacted (a call-back request). */
  callbackRequestedAt?: string | undefined;
  /** The patient record's zone, when known. */
  recipientZone?: string | undefined;
}

export type QuietHoursVerdict =
  | { held: false; reason: 'no_rule' | 'class_not_covered' | 'reply_exempt' | 'callback_exempt' | 'inside_window' }
  | { held: true; untilMs: number; zoneSource: 'patient' | 'practice' }
  | { held: 'no_zone' };

/** The rule from a ruleset (a stored one that does not parse is treated as absent by WF07's own check). */
export function quietHoursRuleOf(ruleset: Record<string, unknown>): QuietHoursRule | null {
  const parsed = QuietHoursRule.safeParse(ruleset['quiet_hours']);
  return parsed.success ? parsed.data : null;
}

export function quietHoursVerdict(text: TextForQuietHours, rule: QuietHoursRule | null, practiceZone: string | undefined, nowMs: number): QuietHoursVerdict {
  if (!rule) return { held: false, reason: 'no_rule' };
  if (!(rule.classes ?? DEFAULT_QUIET_CLASSES).includes(text.messageClass)) return { held: false, reason: 'class_not_covered' };
  if (text.callbackRequestedAt !== undefined && Date.parse(text.callbackRequestedAt) <= nowMs) return { held: false, reason: 'callback_exempt' };
  if (text.inReplyToReceivedAt !== undefined) {
    const since = nowMs - Date.parse(text.inReplyToReceivedAt);
    if (since >= 0 && since <= (rule.reply_window_minutes ?? DEFAULT_REPLY_WINDOW_MINUTES) * 60_000) return { held: false, reason: 'reply_exempt' };
  }
  const zone = text.recipientZone ?? practiceZone;
  if (!zone) return { held: 'no_zone' };
  const untilMs = nextAllowedMs(nowMs, rule, zone);
  if (untilMs === nowMs) return { held: false, reason: 'inside_window' };
  return { held: true, untilMs, zoneSource: text.recipientZone ? 'patient' : 'practice' };
}
