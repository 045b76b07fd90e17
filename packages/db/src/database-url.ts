/**
 * The database part of a `postgres://` URL, read and replaced without WHATWG's URL parser, which refuses
 * the host list of a failover pair (`postgres://h1:5432,h2:5432/revos?target_session_attrs=read-write`).
 */
const URL_PARTS = /^([a-z]+:\/\/[^/?#]*)(\/[^?#]*)?(.*)$/i;

/** The database name a URL names ('' when it names none). */
export function databaseNameOf(url: string): string {
  const parts = URL_PARTS.exec(url);
  return decodeURIComponent((parts?.[2] ?? '').replace(/^\//, ''));
}

/** The same URL (hosts, credentials, parameters) naming another database. */
export function withDatabaseName(url: string, name: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) throw new Error('not a postgres:// URL');
  return `${parts[1]}/${encodeURIComponent(name)}${parts[3] ?? ''}`;
}
