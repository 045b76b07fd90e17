import type { Queryable } from '../client.js';
import type { EventView, RunView, TaskView } from '../rows.js';

const RUN_COLUMNS = `workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
  idempotency_key, job_id, lane, trigger_source, privacy_mode, status, failure_code, failure_stage, retry_count, latency_ms,
  latency_breach, accepted_at::text, started_at::text, ended_at::text, envelope, output`;

/** One run of one tenant (another tenant's run is simply not found). */
export async function findRun(sql: Queryable, tenantId: string, runId: string): Promise<RunView | null> {
  const [row] = await sql<RunView[]>`
    select ${sql.unsafe(RUN_COLUMNS)} from workflow_runs where tenant_id = ${tenantId} and workflow_run_id = ${runId}`;
  return row ?? null;
}

/** Every run of the lineage the given run belongs to, from its root, in acceptance order. */
export async function findRunTree(sql: Queryable, tenantId: string, runId: string): Promise<RunView[]> {
  return sql<RunView[]>`
    select ${sql.unsafe(RUN_COLUMNS)} from workflow_runs
     where tenant_id = ${tenantId}
       and root_run_id = (select root_run_id from workflow_runs where tenant_id = ${tenantId} and workflow_run_id = ${runId})
     order by accepted_at, workflow_run_id`;
}

export async function findRunEvents(sql: Queryable, tenantId: string, runId: string): Promise<EventView[]> {
  return sql<EventView[]>`
    select event_id, event_type, direction, payload_ref, payload, effect_name, occurred_at::text
      from events where tenant_id = ${tenantId} and workflow_run_id = ${runId} order by occurred_at, event_id`;
}

export async function findRunTasks(sql: Queryable, tenantId: string, runId: string): Promise<TaskView[]> {
  return sql<TaskView[]>`
    select task_id, workflow_run_id, kind, failure_code, reason, status, created_at::text
      from tasks where tenant_id = ${tenantId} and workflow_run_id = ${runId} order by created_at`;
}
