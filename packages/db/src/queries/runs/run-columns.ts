import { RUN_ENVELOPE } from '../../stored-envelope.js';
import { RUN_OUTPUT } from '../../stored-output.js';

/** The columns of a RunView, as findRun and findRunTree select them (envelope and output rebuilt whole: stored-envelope.ts, stored-output.ts). */
export const RUN_COLUMNS = `workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
  idempotency_key, job_id, lane, trigger_source, privacy_mode, status, failure_code, failure_stage, retry_count, latency_ms,
  latency_breach, accepted_at::text, started_at::text, ended_at::text, ${RUN_ENVELOPE}, ${RUN_OUTPUT}`;
