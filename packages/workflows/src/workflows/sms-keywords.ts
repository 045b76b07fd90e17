/**
 * What a patient's text asks for. Carriers' opt-out keywords (CTIA) are matched as a whole message
 * in any case, with surrounding spaces and punctuation ignored; the FCC lets a patient revoke consent
 * "in any reasonable manner", so plain-language requests ("please stop texting me", "opt me out")
 * count too. The text is classified in memory and never stored in events or logs.
 */

export type ReplyIntent = 'stop' | 'start' | 'help' | 'confirm' | 'reschedule' | 'other';

export const STOP_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
/** YES both re-allows an opted-out number and confirms an appointment; see {@link isYes}. */
export const START_WORDS = ['START', 'UNSTOP', 'YES'] as const;
export const HELP_WORDS = ['HELP', 'INFO'] as const;
export const CONFIRM_WORDS = ['C', 'Y', 'YES', 'CONFIRM', 'CONFIRMED'] as const;

const PLAIN_STOP = [
  /\bopt(?:[\s-]*(?:me|us))?[\s-]*out\b/,
  /\bunsubscribe\b/,
  /^(?:please\s+)?stop(?:\s+(?:please|now|it|all))*$/,
  /\bstop\s+(?:texting|messaging|sending|contacting|txting|texts|messages)\b/,
  /\b(?:do\s+not|don'?t|dont)\s+(?:text|message|contact|send)\b/,
  /\bno\s+more\s+(?:texts|messages|txts)\b/,
  /\bremove\s+(?:me|my\s+number)\b/,
  /\btake\s+me\s+off\b/,
];

const PLAIN_RESCHEDULE = [
  /\breschedul/,
  /\b(?:change|move|switch)\s+(?:my\s+|the\s+)?(?:appointment|appt|time|day|date)\b/,
  /\b(?:another|different|new|later|earlier)\s+(?:time|day|date|appointment)\b/,
  /\bcan'?t\s+make\s+it\b/,
];

/** The message as one keyword: upper case, surrounding spaces and punctuation gone ("  stop. " → "STOP"). */
export function keywordOf(body: string): string {
  return body
    .normalize('NFKC')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();
}

/** True for a bare YES, which re-allows an opted-out number before it confirms anything. */
export function isYes(body: string): boolean {
  return keywordOf(body) === 'YES';
}

export function classifyReply(body: string): ReplyIntent {
  const word = keywordOf(body);
  if ((STOP_WORDS as readonly string[]).includes(word)) return 'stop';
  if ((HELP_WORDS as readonly string[]).includes(word)) return 'help';
  if ((CONFIRM_WORDS as readonly string[]).includes(word)) return 'confirm';
  if ((START_WORDS as readonly string[]).includes(word)) return 'start';
  const text = word.toLowerCase();
  if (PLAIN_STOP.some((re) => re.test(text))) return 'stop';
  if (PLAIN_RESCHEDULE.some((re) => re.test(text))) return 'reschedule';
  return 'other';
}
