/**
 * A schedule's cron pattern, checked the way BullMQ will read it (the same cron-parser, pinned to
 * BullMQ's version), plus one rule of ours: five fields (minute hour day month weekday), six with
 * seconds first, or an @alias. cron-parser takes four fields too, reading them as something no one
 * meant, so a dropped field is refused rather than firing at the wrong time.
 */
import { CronExpressionParser } from 'cron-parser';

const ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why `pattern` cannot be scheduled in `tz`, or null when it can. */
export function cronPatternProblem(pattern: string, tz: string): string | null {
  const trimmed = pattern.trim();
  if (!ALIASES.has(trimmed.toLowerCase())) {
    const fields = trimmed.split(/\s+/).filter(Boolean).length;
    if (fields !== 5 && fields !== 6) return `has ${fields} field(s); write 5 (minute hour day-of-month month day-of-week), 6 with seconds first, or an @alias such as @daily`;
  }
  try {
    CronExpressionParser.parse(trimmed, { tz }).next();
    return null;
  } catch (error) {
    return `is not a cron pattern (${error instanceof Error ? error.message : String(error)})`;
  }
}
