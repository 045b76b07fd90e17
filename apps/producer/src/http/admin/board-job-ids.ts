/**
 * Our job ids as Bull Board's UI handles them. A job id is the run's idempotency key with `%` and
 * `:` escaped (`idem%3At_demo%3A…`, @revos/envelope job-id.ts); the codec is part of exactly-once
 * and stays as it is. The UI links a job page as `/queue/{queue}/{encodeURIComponent(id)}`, then its
 * router decodes that path (decodeURI) and the job id again (decodeURIComponent): one decode too
 * many. Two consequences, each undone here without forking the board:
 *
 * - Every API call the UI makes about that job (`/api/queues/{queue}/{id}`, its logs, flow, retry,
 *   promote, clean) names the idempotency key itself (`idem:t_demo:…`), so a plain lookup answered
 *   "Job Not found". {@link storedJobId} reads a key as the job id it encodes. No stored job id is
 *   ever a valid idempotency key (BullMQ refuses `:` in custom ids; its own scheduler ids start
 *   `repeat:`), so every other id (the list and its buttons send stored ids as they are) passes
 *   unchanged, and an id naming no job still gets the board's own 404.
 * - The address bar then shows the once-decoded path (`…/idem%3At_demo%3A…`). Reloading or sharing
 *   it decodes once more again: harmless for `%3A`, which decodeURI keeps, but a trigger id with a
 *   `%` in it (`…%2541…`) would come out as another key. {@link jobPageRedirect} sends such an
 *   address back to the board's own link form.
 */
import { isIdempotencyKey, toJobId } from '@revos/envelope';
import type { MiddlewareHandler } from 'hono';

/** The stored job id a board request names: an idempotency key (what the UI sends) as its job id, anything else as it is. */
export function storedJobId(id: string): string {
  return isIdempotencyKey(id) ? toJobId(id) : id;
}

/** What the address bar shows for a job id once the board's router has decoded it: the job id's own escapes kept. */
const ONCE_DECODED_PREFIX = 'idem%3A';
/** The job id codec's two escapes: in a once-decoded path they are the job id's own characters. */
const CODEC_ESCAPE = /(%25|%3A)/i;

/**
 * The job id in a once-decoded job page path segment: every escape but the codec's is the browser's
 * and is undone; the codec's `%25` and `%3A` stay (a job id has no other `%`). Pieces between codec
 * escapes are whole encodings, so multi-byte characters decode together.
 */
export function jobIdFromOnceDecoded(segment: string): string | null {
  try {
    return segment
      .split(CODEC_ESCAPE)
      .map((piece, i) => (i % 2 === 1 ? piece.toUpperCase() : decodeURIComponent(piece)))
      .join('');
  } catch {
    return null; // not a path the board produced; let the board answer it
  }
}

/**
 * On a job page (`{boardPath}/queue/{queue}/{jobId}`) reached through a once-decoded address (a
 * reload, a bookmark, a link pasted from the address bar): 302 to the board's own link for that job.
 */
export function jobPageRedirect(boardPath: string): MiddlewareHandler {
  const prefix = `${boardPath}/queue/`;
  return async (c, next) => {
    const url = new URL(c.req.url);
    // The raw path: the router's params are decoded already.
    const [queue, segment, ...rest] = url.pathname.slice(prefix.length).split('/');
    if (!url.pathname.startsWith(prefix) || rest.length > 0 || !queue || !segment?.startsWith(ONCE_DECODED_PREFIX)) return next();
    const jobId = jobIdFromOnceDecoded(segment);
    if (jobId === null) return next();
    return c.redirect(`${prefix}${queue}/${encodeURIComponent(jobId)}${url.search}`, 302);
  };
}
