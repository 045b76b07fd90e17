/**
 * Quiet hours: whether a moment is inside a tenant's allowed window in a given IANA zone, and the
 * next allowed minute when it is not. Wall-clock times are read with Intl at each instant, so a
 * daylight-saving change (a skipped or repeated hour) is handled by the zone's own rules.
 */
import type { QuietHoursRule } from '@revos/envelope';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1_440;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight at `ms` in `zone`. */
export function localMinuteOfDay(ms: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(ms)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Whether local minute `m` is inside [from, until) (a window with until before from spans midnight). */
function inWindow(m: number, from: number, until: number): boolean {
  return from < until ? m >= from && m < until : m >= from || m < until;
}

export function isAllowedAt(ms: number, rule: Pick<QuietHoursRule, 'allowed_from' | 'allowed_until'>, zone: string): boolean {
  return inWindow(localMinuteOfDay(ms, zone), minutesOf(rule.allowed_from), minutesOf(rule.allowed_until));
}

/**
 * The first whole minute at or after `nowMs` inside the window. Jumps to where the window's start
 * would be by the local clock, then corrects for an offset change on the way (and, when the start
 * fell in a skipped hour, walks back to the first allowed minute after the gap).
 */
export function nextAllowedMs(nowMs: number, rule: Pick<QuietHoursRule, 'allowed_from' | 'allowed_until'>, zone: string): number {
  if (isAllowedAt(nowMs, rule, zone)) return nowMs;
  const from = minutesOf(rule.allowed_from);
  let candidate = Math.ceil(nowMs / MINUTE_MS) * MINUTE_MS;
  for (let i = 0; i < 4 && !isAllowedAt(candidate, rule, zone); i++) {
    const ahead = (from - localMinuteOfDay(candidate, zone) + DAY_MINUTES) % DAY_MINUTES;
    candidate += (ahead === 0 ? DAY_MINUTES : ahead) * MINUTE_MS;
  }
  // Now allowed; step back while the minute before is allowed too and still after now (at most an hour's gap).
  for (let i = 0; i < 180 && candidate - MINUTE_MS >= nowMs && isAllowedAt(candidate - MINUTE_MS, rule, zone); i++) candidate -= MINUTE_MS;
  return candidate;
}
