-- A run's output is stored without the meta_out fields that repeat its own row (issue 27, item 5: about 640 B of
-- every run, which also kept most rows above the 2 KB TOAST threshold). What is stored:
--   { "result": …, "audit": …, "attempt": { "started_at_utc": …, "failure_reason": … } }
-- (`attempt` holds the two meta_out fields no column carries: this attempt's own start, where started_at keeps the
-- first attempt's, and the failure's reason). run_output() gives the whole output contract back from the row; every
-- reader goes through it. Rows written before this migration keep their whole output and are returned as they are.
CREATE FUNCTION run_output(r workflow_runs) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN r.output IS NULL OR r.output ? 'meta_out' THEN r.output
    ELSE jsonb_build_object(
      'meta_out', jsonb_build_object(
        'workflow_name', r.workflow_name,
        'workflow_version', r.workflow_version,
        'workflow_run_id', r.workflow_run_id,
        'root_run_id', r.root_run_id,
        'idempotency_key', r.idempotency_key,
        'started_at_utc', r.output->'attempt'->'started_at_utc',
        'ended_at_utc', to_char(r.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'latency_ms', r.latency_ms,
        'success', r.status IN ('ok', 'noop'),
        'failure_stage', r.failure_stage,
        'failure_reason', coalesce(r.output->'attempt'->'failure_reason', 'null'::jsonb),
        'failure_code', r.failure_code,
        'outputs_hash', r.outputs_hash,
        'inputs_hash', r.inputs_hash,
        'retry_count', r.retry_count,
        'latency_breach', r.latency_breach),
      'result', r.output->'result',
      'audit', r.output->'audit')
  END
$$;
