/**
 * `POST /v1/runs?wait_ms=N`: the answer waits up to N ms for the run to end and carries its output.
 * The wait is request–reply (workers of REPLY_LANES publish each final output; see run/request-reply.ts),
 * never a poll: the reply only wakes us, and the output answered is read from PostgreSQL as stored, so a
 * phi_minimized run answers redacted, as GET /v1/runs/:id does. A run whose lane does not publish is read
 * once more at the deadline. The run goes on when the wait runs out; the answer then says where it is.
 */
import { findRun, withTenant } from '@revos/db';
import type { FieldIssue } from '@revos/envelope';
import type { ProducerDeps } from './deps.js';

/** The longest wait granted: an HTTP request held longer than this is a job for the webhook or a poll. */
export const MAX_WAIT_MS = 30_000;
const ENDED = new Set(['ok', 'noop', 'failed', 'blocked']);

/** `wait_ms` from the query: absent, or an integer from 1 to MAX_WAIT_MS; anything else names the rule. */
export function parseWaitMs(raw: string | undefined): { ok: true; waitMs: number | null } | { ok: false; issue: FieldIssue } {
  if (raw === undefined || raw === '') return { ok: true, waitMs: null };
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > MAX_WAIT_MS) {
    return { ok: false, issue: { path: 'wait_ms', rule: 'range', message: `wait_ms must be an integer from 1 to ${MAX_WAIT_MS}` } };
  }
  return { ok: true, waitMs: n };
}

export interface WaitedRun {
  run_status: string;
  output?: unknown;
}

export async function waitForRun(deps: Pick<ProducerDeps, 'db' | 'replies'>, tenantId: string, runId: string, waitMs: number): Promise<WaitedRun> {
  const deadline = Date.now() + waitMs;
  const read = async (): Promise<WaitedRun | null> => {
    const run = await withTenant(deps.db.sql, tenantId, (tx) => findRun(tx, tenantId, runId));
    if (!run) return null;
    return ENDED.has(run.status) ? { run_status: run.status, output: run.output } : { run_status: run.status };
  };
  // A duplicate of a finished run (or a very fast one) is answered at once.
  const now = await read();
  if (!now || now.output !== undefined) return now ?? { run_status: 'unknown' };
  await deps.replies.awaitRunOutput(runId, { deadline });
  return (await read()) ?? { run_status: 'unknown' };
}
