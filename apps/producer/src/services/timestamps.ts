/**
 * Every timestamp the API answers is RFC 3339 (`2026-12-06T02:06:48.256588Z`). The queries read
 * timestamptz columns as PostgreSQL text (`2026-12-06 02:06:48.256588+00`), which keeps the
 * microseconds but is not RFC 3339; the services rewrite each row's time fields here, once, so no
 * route (and no CLI line) shows the database's spelling. The text is rewritten, not parsed into a
 * Date: a Date would drop the microseconds runs are ordered by.
 */

const PG_TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;

/** PostgreSQL's timestamptz text as RFC 3339; anything else (already RFC 3339) as it is. */
export function rfc3339(text: string): string {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) return text;
  const [, date, time, hours, minutes = '00'] = m;
  const offset = (hours === '+00' || hours === '-00') && minutes === '00' ? 'Z' : `${hours}:${minutes}`;
  return `${date}T${time}${offset}`;
}

/** `row` with its named time fields (string or null) in RFC 3339. */
export function withRfc3339<Row extends object>(row: Row, fields: readonly string[]): Row {
  const out = { ...row } as Record<string, unknown>;
  for (const field of fields) {
    const value = out[field];
    if (typeof value === 'string') out[field] = rfc3339(value);
  }
  return out as Row;
}

/** The time fields of each row kind the API answers. */
export const RUN_TIMES = ['accepted_at', 'started_at', 'ended_at'] as const;
export const EVENT_TIMES = ['occurred_at'] as const;
export const TASK_TIMES = ['created_at', 'claimed_at', 'closed_at'] as const;
export const CONSENT_TIMES = ['updated_at'] as const;
export const API_KEY_TIMES = ['created_at', 'revoked_at'] as const;
