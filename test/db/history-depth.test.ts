/**
 * Lookups whose cost must not grow with the history (issue 27): the failure-rate alert (every ALERT_INTERVAL_MS on
 * every producer), an export's keyset pages, the operator's any-id search and the metrics' open tasks (every scrape). On a run table holding a long
 * history and a few recent runs, with the planner's statistics as autovacuum keeps them, each reads a few pages,
 * not the table; and each still answers what it answered when it read everything.
 */
import { countOpenTasks, countRunsForExport, findRunByAnyId, listRunsForExport, workflowFailureRates } from '@revos/db';
import { toJobId } from '@revos/envelope';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

const HISTORY = 60_000;
const TENANTS = ['t_depth_a', 't_depth_b', 't_depth_c'];
let t: TestDatabase;
let tablePages = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  // The history: runs of three tenants that ended over the 90 days before the last hour.
  await t.db.sql`
    insert into workflow_runs (workflow_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
                               idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode, status, envelope,
                               accepted_at, started_at, ended_at)
    select 'wr_old_' || i, 'wr_old_' || i, 'corr_old_' || i, (${TENANTS}::text[])[1 + i % 3], 'WF30_Send_SMS', '1.1.0',
           'idem:t:WF30_Send_SMS:old-' || i || ':' || md5(i::text) || md5(i::text), 'job_old_' || i, 'interactive', 'api', 'old-' || i,
           'standard', case when i % 10 = 0 then 'failed' else 'ok' end, '{}'::jsonb,
           now() - interval '91 days' + i * interval '2 minutes', now() - interval '91 days' + i * interval '2 minutes',
           now() - interval '91 days' + i * interval '2 minutes' + interval '1 second'
      from generate_series(1, ${HISTORY}) i
     where now() - interval '91 days' + i * interval '2 minutes' < now() - interval '1 hour'`;
  // The last minutes: 30 runs of tenant b, one in three failed, and 5 still queued.
  await t.db.sql`
    insert into workflow_runs (workflow_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
                               idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode, status, envelope,
                               accepted_at, started_at, ended_at)
    select 'wr_new_' || i, 'wr_new_' || i, 'corr_new_' || i, 't_depth_b', 'WF30_Send_SMS', '1.1.0',
           'idem:t_depth_b:WF30_Send_SMS:new-' || i || ':' || md5(i::text) || md5(i::text), 'job_new_' || i, 'interactive', 'api',
           'new-' || i, 'standard', case when i > 30 then 'queued' when i % 3 = 0 then 'failed' else 'ok' end, '{}'::jsonb,
           now() - i * interval '10 seconds', now() - i * interval '10 seconds',
           case when i > 30 then null else now() - i * interval '10 seconds' + interval '1 second' end
      from generate_series(1, 35) i`;
  // Staff tasks: every one closed long ago but three.
  await t.db.sql`
    insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason, status, created_at, closed_at)
    select 'task_old_' || i, (${TENANTS}::text[])[1 + i % 3], 'wr_old_' || i, 'wr_old_' || i, 'idem:t:task:' || i, 'terminal_failure',
           'vendor_rejected', 'the vendor refused the message', 'done', now() - interval '60 days', now() - interval '59 days'
      from generate_series(1, 30000) i`;
  await t.db.sql`
    insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason, status)
    values ('task_open_1', 't_depth_a', 'wr_new_1', 'wr_new_1', 'idem:t:task:open1', 'terminal_failure', 'vendor_rejected', 'refused', 'open'),
           ('task_open_2', 't_depth_b', 'wr_new_2', 'wr_new_2', 'idem:t:task:open2', 'terminal_failure', 'vendor_rejected', 'refused', 'open'),
           ('task_open_3', 't_depth_b', 'wr_new_3', 'wr_new_3', 'idem:t:task:open3', 'effect_outcome_unknown', 'effect_outcome_unknown', 'no answer', 'open')`;
  await t.db.sql`analyze workflow_runs`;
  await t.db.sql`analyze tasks`;
  const [size] = await t.db.sql<{ pages: number }[]>`select (pg_relation_size('workflow_runs') / 8192)::int as pages`;
  tablePages = size!.pages;
}, 60_000);
afterAll(async () => {
  await t.drop();
});

/** Runs `call` on a client that records what it sends, and returns the call's answer and the statement it sent. */
async function captured<T>(call: (sql: postgres.Sql) => Promise<T>): Promise<{ answer: T; query: string; params: unknown[] }> {
  const sent: { query: string; params: unknown[] }[] = [];
  const spy = postgres(t.url, { max: 1, onnotice: () => {}, debug: (_c, query, params) => void sent.push({ query, params: params as unknown[] }) });
  try {
    const answer = await call(spy);
    const last = sent.at(-1)!;
    return { answer, ...last };
  } finally {
    await spy.end();
  }
}

/** Pages of shared buffers the statement touched when run for real, from EXPLAIN (ANALYZE, BUFFERS). */
async function pagesRead(query: string, params: unknown[]): Promise<number> {
  const [row] = await t.db.sql.unsafe<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }[]>(`explain (analyze, buffers, format json) ${query}`, params as never[]);
  const plan = row!['QUERY PLAN'][0].Plan;
  return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
}

describe('lookups on a long history', () => {
  it('the failure-rate alert counts the window’s runs and reads a few pages, not the table', async () => {
    expect(tablePages).toBeGreaterThan(1_000);
    const { answer, query, params } = await captured((sql) => workflowFailureRates(sql, 10 * 60_000));
    // The window's 30 finished runs (the last 5 minutes), 10 of them failed; the history and the queued runs are not counted.
    expect(answer).toEqual([{ workflow_name: 'WF30_Send_SMS', total: 30, failed: 10 }]);
    expect(await pagesRead(query, params)).toBeLessThan(tablePages / 20);
  });

  it('an export page is one index range, at the start of the history and deep into it', async () => {
    const until = new Date();
    const filter = { tenantId: 't_depth_a', until };
    const total = await countRunsForExport(t.db.sql, filter);
    expect(total).toBeGreaterThan(10_000);

    const first = await captured((sql) => listRunsForExport(sql, filter, null, 100));
    expect(first.answer).toHaveLength(100);
    expect(await pagesRead(first.query, first.params)).toBeLessThan(tablePages / 20);

    // A page from deep in the history, after the cursor of a run 80 days back.
    const [deep] = await t.db.sql<{ ended_at_key: string; workflow_run_id: string }[]>`
      select ended_at::text as ended_at_key, workflow_run_id from workflow_runs
       where tenant_id = 't_depth_a' and ended_at < now() - interval '80 days' order by ended_at desc, workflow_run_id desc limit 1`;
    const cursor = { endedAt: deep!.ended_at_key, runId: deep!.workflow_run_id };
    const page = await captured((sql) => listRunsForExport(sql, filter, cursor, 100));
    expect(page.answer).toHaveLength(100);
    // The page starts after the cursor's run, whose end time has microseconds (a run written by SQL's now()).
    expect(page.answer[0]!.workflow_run_id).not.toBe(deep!.workflow_run_id);
    expect(page.answer[0]!.ended_at_key > deep!.ended_at_key).toBe(true);
    expect(await pagesRead(page.query, page.params)).toBeLessThan(tablePages / 20);
  });

  it('the any-id search finds a run by correlation id, trigger id or job id and reads a few pages', async () => {
    const [run] = await t.db.sql<{ idempotency_key: string }[]>`select idempotency_key from workflow_runs where workflow_run_id = 'wr_new_7'`;
    const key = run!.idempotency_key;
    for (const [id, matched] of [
      ['corr_new_7', 'correlation_id'],
      ['new-7', 'trigger_id'],
      [toJobId(key), 'job_id'],
    ] as const) {
      if (matched === 'job_id') await t.db.sql`update workflow_runs set job_id = ${id} where workflow_run_id = 'wr_new_7'`;
      const { answer, query, params } = await captured((sql) => findRunByAnyId(sql, id));
      expect(answer).toEqual({ tenant_id: 't_depth_b', workflow_run_id: 'wr_new_7', matched });
      expect(await pagesRead(query, params)).toBeLessThan(50);
    }
  });

  it('the metrics count the open tasks without reading the closed ones', async () => {
    const { answer, query, params } = await captured((sql) => countOpenTasks(sql));
    expect(answer).toEqual([
      { kind: 'effect_outcome_unknown', failure_code: 'effect_outcome_unknown', n: 1 },
      { kind: 'terminal_failure', failure_code: 'vendor_rejected', n: 2 },
    ]);
    const [size] = await t.db.sql<{ pages: number }[]>`select (pg_relation_size('tasks') / 8192)::int as pages`;
    expect(size!.pages).toBeGreaterThan(500);
    expect(await pagesRead(query, params)).toBeLessThan(20);
  });
});
