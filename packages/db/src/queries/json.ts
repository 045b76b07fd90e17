/**
 * JSON parameters for the raw queries: serialised here and cast with `::jsonb`
 * in the SQL (`::text::jsonb`: the parameter is sent as text, never re-encoded), so the statement's meaning does not depend on the client's codecs.
 * null and undefined become SQL NULL.
 */
export function jsonb(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
