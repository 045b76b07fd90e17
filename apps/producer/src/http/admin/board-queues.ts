/**
 * How Bull Board reads our lane queues: finds a job by the id its own UI sends, and shows a
 * phi_minimized run's job data as tokens.
 *
 * Job ids: the UI names a job opened from a link by its idempotency key, read here as the job id it
 * encodes (board-job-ids.ts).
 *
 * Job data. A phi_minimized run's job carries the raw envelope (the worker runs it from Redis; see
 * queue/enqueue.ts). The board shows what PostgreSQL stores instead: payload and context redacted
 * to keyed tokens, the same redaction intake applies. Only an envelope marked `standard` is shown
 * as it is: anything else is redacted, as a bad privacy_mode reads as phi_minimized elsewhere.
 */
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Envelope } from '@revos/envelope';
import { redactEnvelope, type PrivacyGuard } from '@revos/runtime';
import type { Job, Queue } from 'bullmq';
import { storedJobId } from './board-job-ids.js';

/** A lane job's data as the board shows it: a `standard` envelope as it is, anything else redacted. */
export function boardJobData(privacy: PrivacyGuard, data: unknown): unknown {
  if (isEnvelopeLike(data)) {
    return data.meta.privacy_mode === 'standard' ? data : redactEnvelope(privacy, data as unknown as Envelope);
  }
  return privacy.redactor.redact(data).value;
}

function isEnvelopeLike(data: unknown): data is { meta: { privacy_mode?: unknown } } {
  if (typeof data !== 'object' || data === null) return false;
  const meta = (data as { meta?: unknown }).meta;
  return typeof meta === 'object' && meta !== null;
}

/** The board's adapter for a lane queue (runs' envelopes as job data). */
export class LaneBoardAdapter extends BullMQAdapter {
  constructor(queue: Queue, options: { readOnlyMode: boolean; privacy: PrivacyGuard }) {
    super(queue, { readOnlyMode: options.readOnlyMode });
    this.setFormatter('data', (data: unknown) => boardJobData(options.privacy, data));
  }

  // Every board route about one job (its page's API, flow, retry, promote, clean, …) finds it here.
  override getJob(id: string): Promise<Job | undefined> {
    return super.getJob(storedJobId(id));
  }

  override getJobLogs(id: string): Promise<string[]> {
    return super.getJobLogs(storedJobId(id));
  }
}
