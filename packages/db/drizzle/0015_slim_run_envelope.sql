-- A run's envelope is stored without the meta fields that repeat its own row (issue 27, item 5: about 400 B of every
-- run). Intake stores { "meta_rest": <meta without them>, "subject": …, "payload": …, … } only when every one of those
-- fields equals its column; otherwise the envelope is stored whole (with "meta") and returned as it is. The rebuilt
-- envelope is the accepted one value for value, so its envelopeHash is the one intake recorded (a re-enqueued job
-- carrying it is accepted by the worker's claim).
CREATE FUNCTION run_envelope(r workflow_runs) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN r.envelope ? 'meta_rest' AND NOT r.envelope ? 'meta' THEN
      (r.envelope - 'meta_rest') || jsonb_build_object('meta', (r.envelope->'meta_rest') || jsonb_build_object(
        'workflow_name', r.workflow_name,
        'workflow_version', r.workflow_version,
        'workflow_run_id', r.workflow_run_id,
        'root_run_id', r.root_run_id,
        'idempotency_key', r.idempotency_key,
        'trigger_source', r.trigger_source,
        'trigger_id', r.trigger_id,
        'tenant_id', r.tenant_id,
        'privacy_mode', r.privacy_mode,
        'correlation_id', r.correlation_id))
    ELSE r.envelope
  END
$$;
