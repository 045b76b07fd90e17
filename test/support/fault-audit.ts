/**
 * The fault suite's one verdict over a set of accepted runs: did each reach a final status, did
 * the vendor see each effect at most once (once for every `ok` run), and does every (key, effect)
 * have at most one event? Returns figures rather than asserting, so each case prints them and
 * then asserts the zeros it promises.
 */
import type { Db } from '@revos/db';
import type { Queue } from 'bullmq';
import { sha256Hex } from '@revos/envelope';
import type { FaultVendor } from './fault-vendor.js';
import { SEND_DEDUPED, SEND_ONCE } from './fault-workflows.js';
import { sleep } from './harness.js';

const FINAL = ['ok', 'noop', 'failed', 'blocked'];

export interface AcceptedRun {
  workflowRunId: string;
  idempotencyKey: string;
  workflow: string;
}

export interface FaultFigures {
  accepted: number;
  ok: number;
  /** Failed with effect_outcome_unknown and an open escalation task: the runtime refused to risk a second text. */
  outcomeUnknown: number;
  /** Any other non-ok final status (none is expected). */
  unexpected: { run: string; status: string; code: string | null }[];
  /** Accepted but without a final status when the wait ended. */
  lost: string[];
  /** Tokens of `vendorDedupes: false` runs the vendor saw more than once. */
  doubleSends: string[];
  /** `ok` runs of `vendorDedupes: false` whose text the vendor never received. */
  okWithoutSend: string[];
  /** Re-sends of `vendorDedupes: true` runs under the same token (absorbed by the vendor's dedupe). */
  dedupedResends: number;
  /** Tokens under which the vendor saw two different requests. */
  conflictingTokens: string[];
  /** `ok` runs whose output names another message than the vendor issued for their token. */
  wrongSid: string[];
  /** outcome_unknown runs without an open escalation task. */
  missingTask: string[];
  /** (key, effect) pairs with more than one event, anywhere in the database. */
  duplicateEvents: number;
  /** `ok` runs without their `sms.sent` event. */
  missingEvents: string[];
  /** Runs whose effect was uncertain and that the vendor's records settled (ok, nobody asked). */
  settledByLookup: number;
}

export const effectToken = (idempotencyKey: string) => sha256Hex(`${idempotencyKey}|sms.send`).slice(0, 48);

/** Polls until every run has a final status (or the deadline passes); returns how long it took. */
export async function waitForFinal(db: Db, runIds: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from workflow_runs where workflow_run_id in ${db.sql(runIds)} and status in ${db.sql(FINAL)}`;
    if (row?.n === runIds.length) break;
    await sleep(250);
  }
  return Date.now() - started;
}

export async function auditFaultRuns(db: Db, vendor: FaultVendor, runs: AcceptedRun[]): Promise<FaultFigures> {
  const ids = runs.map((r) => r.workflowRunId);
  const rows = ids.length === 0 ? [] : await db.sql<{ workflow_run_id: string; status: string; failure_code: string | null; sid: string | null; task: string | null; events: number }[]>`
    select r.workflow_run_id, r.status, r.failure_code, r.output->'result'->'primary_outputs'->>'sid' as sid,
           (select t.status from tasks t where t.workflow_run_id = r.workflow_run_id and t.failure_code = r.failure_code limit 1) as task,
           (select count(*)::int from events e where e.idempotency_key = r.idempotency_key and e.effect_name = 'sms.send') as events
      from workflow_runs r where r.workflow_run_id in ${db.sql(ids)}`;
  const byId = new Map(rows.map((r) => [r.workflow_run_id, r]));
  const once = vendor.stats('once');
  const dedupe = vendor.stats('dedupe');
  const figures: FaultFigures = {
    accepted: runs.length,
    ok: 0,
    outcomeUnknown: 0,
    unexpected: [],
    lost: [],
    doubleSends: once.resent,
    okWithoutSend: [],
    dedupedResends: [...dedupe.requestsPerToken.values()].reduce((n, rs) => n + rs.length - 1, 0),
    conflictingTokens: [...once.conflicting, ...dedupe.conflicting],
    wrongSid: [],
    missingTask: [],
    duplicateEvents: 0,
    missingEvents: [],
    settledByLookup: 0,
  };
  const [asked] = ids.length === 0 ? [] : await db.sql<{ n: number }[]>`
    select count(*)::int as n from effects f join workflow_runs r on r.idempotency_key = f.idempotency_key
     where r.workflow_run_id in ${db.sql(ids)} and r.status = 'ok' and jsonb_array_length(f.reconciliations) > 0`;
  figures.settledByLookup = asked?.n ?? 0;
  for (const run of runs) {
    const row = byId.get(run.workflowRunId);
    if (!row || !FINAL.includes(row.status)) {
      figures.lost.push(run.workflowRunId);
      continue;
    }
    const token = effectToken(run.idempotencyKey);
    const sent = (run.workflow === SEND_ONCE ? once : dedupe).requestsPerToken.get(token)?.length ?? 0;
    if (row.status === 'ok') {
      figures.ok += 1;
      if (sent === 0) figures.okWithoutSend.push(run.workflowRunId);
      if (row.sid !== vendor.sidFor(token)) figures.wrongSid.push(run.workflowRunId);
      if (row.events !== 1) figures.missingEvents.push(run.workflowRunId);
    } else if (row.status === 'failed' && row.failure_code === 'effect_outcome_unknown' && run.workflow === SEND_ONCE) {
      figures.outcomeUnknown += 1;
      if (row.task !== 'open') figures.missingTask.push(run.workflowRunId);
    } else {
      figures.unexpected.push({ run: run.workflowRunId, status: row.status, code: row.failure_code });
    }
  }
  const [dup] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from (
      select 1 from events where effect_name is not null group by idempotency_key, effect_name having count(*) > 1) d`;
  figures.duplicateEvents = dup?.n ?? 0;
  return figures;
}

/** The zeros every case promises, as one object (so a failure prints every figure at once). */
export function violations(f: FaultFigures): Record<string, unknown> {
  return {
    lost: f.lost,
    unexpected: f.unexpected,
    doubleSends: f.doubleSends,
    okWithoutSend: f.okWithoutSend,
    conflictingTokens: f.conflictingTokens,
    wrongSid: f.wrongSid,
    missingTask: f.missingTask,
    duplicateEvents: f.duplicateEvents,
    missingEvents: f.missingEvents,
  };
}

export const NO_VIOLATIONS = {
  lost: [],
  unexpected: [],
  doubleSends: [],
  okWithoutSend: [],
  conflictingTokens: [],
  wrongSid: [],
  missingTask: [],
  duplicateEvents: 0,
  missingEvents: [],
};

export { SEND_DEDUPED, SEND_ONCE };

/**
 * Where each lost run stands, for a failing case's log: its row, its intake record, its ledger key, the events
 * its attempts wrote and its job in BullMQ (when the case has the queues). Ids, states and codes only: no payload.
 */
export async function describeLostRuns(db: Db, runIds: string[], queues?: Record<string, Queue>): Promise<string[]> {
  const lines: string[] = [];
  for (const runId of runIds.slice(0, 5)) {
    const [row] = await db.sql`
      select r.status, r.retry_count, r.failure_code, r.started_at::text, r.updated_at::text, a.job_id, a.lane, a.accepted_at::text,
             a.settled_at::text, k.state as key_state, k.fence, k.locked_by, k.lock_expires_at::text,
             (select coalesce(jsonb_agg(e.event_type order by e.occurred_at), '[]') from events e where e.workflow_run_id = r.workflow_run_id) as events
        from workflow_runs r left join accepted_runs a on a.workflow_run_id = r.workflow_run_id
        left join idempotency_keys k on k.idempotency_key = r.idempotency_key
       where r.workflow_run_id = ${runId}`;
    let job: unknown = null;
    const queue = row?.lane ? queues?.[row.lane as string] : undefined;
    if (queue && row?.job_id) {
      const found = await queue.getJob(row.job_id as string);
      job = found
        ? { state: await found.getState(), attemptsMade: found.attemptsMade, delay: found.delay, failedReason: found.failedReason ?? null, processedOn: found.processedOn ?? null }
        : 'absent';
    }
    lines.push(JSON.stringify({ lost: runId, row: row ?? null, job }));
  }
  return lines;
}
