/**
 * What a caller's words mean for a voice turn: an intent from a closed set, and the day and time
 * they asked for. The words are PHI: nothing here logs, stores or returns them.
 *
 * Dates and times said in words ("tomorrow at 3 pm", "next Tuesday at ten") are chrono-node's job;
 * we only give it the practice's time zone, as an offset at the moment of the call.
 */
// English only: the whole package loads every locale (about three times the start-up cost) and our calls are in English.
import * as chrono from 'chrono-node/en';

export const VOICE_INTENTS = ['book', 'reschedule', 'cancel', 'confirm', 'talk_to_staff', 'yes', 'second', 'no', 'goodbye', 'time_only', 'unknown'] as const;
export type VoiceIntent = (typeof VOICE_INTENTS)[number];

/** Checked in order: the first rule whose pattern the words match decides. */
const RULES: { intent: Exclude<VoiceIntent, 'time_only' | 'unknown'>; pattern: RegExp }[] = [
  { intent: 'talk_to_staff', pattern: /\b(talk|speak)\s+(to|with)\s+(a\s+|an\s+|the\s+)?(someone|somebody|person|human|staff|receptionist|front desk|operator|representative|agent)\b|\b(front desk|receptionist|operator|real person|human)\b/ },
  { intent: 'cancel', pattern: /\bcancel/ },
  { intent: 'reschedule', pattern: /\b(reschedul\w*|move|change)\b.*\bappointment\b|\breschedul/ },
  { intent: 'confirm', pattern: /\bconfirm/ },
  { intent: 'book', pattern: /\b(book|schedule|make|set up|need|want|like)\b.*\bappointment\b|\bappointment\b|\bbook\b/ },
  { intent: 'second', pattern: /\b(second|other one|later one|latter)\b/ },
  { intent: 'yes', pattern: /^(yes|yeah|yep|yup|sure|correct|ok|okay|perfect|great|that works|sounds good|please do|the first|first one)\b/ },
  { intent: 'no', pattern: /^(no|nope|neither|not really|none)\b/ },
  { intent: 'goodbye', pattern: /\b(bye|goodbye|that'?s all|nothing else)\b/ },
];

/** The intent of an utterance; `time_only` when it names only a day or time ("Thursday at noon"). */
export function classifyUtterance(words: string, now: Date = new Date(), timeZone = 'UTC'): VoiceIntent {
  const text = words.toLowerCase().replace(/[^\p{L}\p{N}'\s:]/gu, ' ').replace(/\s+/g, ' ').trim();
  for (const rule of RULES) if (rule.pattern.test(text)) return rule.intent;
  return parseAskedTime(words, now, timeZone) ? 'time_only' : 'unknown';
}

export interface AskedTime {
  /** The instant asked for. */
  at: Date;
  /** False when only a day was said ("next Tuesday"): there is no time to look near yet. */
  hourKnown: boolean;
}

/**
 * The first day/time in the words, read in `timeZone` (an IANA name) and never in the past, or
 * null when there is none.
 */
export function parseAskedTime(words: string, now: Date, timeZone: string): AskedTime | null {
  const parse = (offsetMinutes: number) => chrono.parse(words, { instant: now, timezone: offsetMinutes }, { forwardDate: true })[0];
  let result = parse(zoneOffsetMinutes(timeZone, now));
  if (!result) return null;
  // Across a daylight-saving change the asked day has another offset than today: read it again with that one.
  const offsetThen = zoneOffsetMinutes(timeZone, result.start.date());
  if (offsetThen !== zoneOffsetMinutes(timeZone, now)) result = parse(offsetThen) ?? result;
  return { at: result.start.date(), hourKnown: result.start.isCertain('hour') };
}

/** The UTC offset of an IANA time zone at an instant, in minutes (New York in winter: -300). */
export function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name ?? '');
  if (!match) return 0; // "GMT" alone: UTC
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

/** A slot as a person says it, in the practice's zone: "Wednesday, December 2 at 3:00 PM". */
export function speakTime(iso: string, timeZone: string): string {
  const at = new Date(iso);
  const day = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long', month: 'long', day: 'numeric' }).format(at);
  const time = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit' }).format(at);
  return `${day} at ${time}`;
}

/** Whether a string is an IANA zone this runtime knows. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
