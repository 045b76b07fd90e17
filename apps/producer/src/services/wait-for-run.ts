/**
 * `POST /v1/runs?wait_ms=N`: the answer waits up to N ms for the run to end and carries its output.
 * Runs of the lanes whose workers publish replies (REPLY_LANES; see @revos/runtime queue/request-reply.ts) wake the wait at
 * once. The producer cannot know which lanes those are, so beside the reply the run's row is read again on
 * a slow, growing interval (100 ms doubling to 1 s: at most about 35 reads in a 30 s wait), which is what
 * answers runs of the other lanes. The output answered is always read from PostgreSQL as stored, so a
 * phi_minimized run answers redacted, as GET /v1/runs/:id does. The run goes on when the wait runs out;
 * the answer then says where it is.
 */
import { findRun, withTenant } from '@revos/db';
import type { FieldIssue } from '@revos/envelope';
import type { ProducerDeps } from '../platform/deps.js';

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
  let last = await read();
  if (!last || last.output !== undefined) return last ?? { run_status: 'unknown' };
  const stop = new AbortController();
  let replied = false;
  const reply = deps.replies.awaitRunOutput(runId, { deadline, signal: stop.signal }).then(() => {
    replied = true;
  });
  try {
    for (let interval = READ_FIRST_MS; Date.now() < deadline; interval = Math.min(interval * 2, READ_MAX_MS)) {
      const pause = sleep(Math.min(interval, deadline - Date.now()));
      await (replied ? pause : Promise.race([reply, pause]));
      last = (await read()) ?? last;
      if (last.output !== undefined) return last;
    }
    return last;
  } finally {
    stop.abort();
  }
}

const READ_FIRST_MS = 100;
const READ_MAX_MS = 1_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
