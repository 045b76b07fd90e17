-- Indexes for lookups that read a whole table, and cheaper ones for the ids (issue 27).
--
-- Ids looked up only by equality are hash-indexed (item 5, storage): a hash index entry holds a 4-byte hash code
-- instead of the whole id, so the 113-B idempotency key costs about 20 B an entry instead of about 150, a run id
-- about 20 instead of 45, and a NULL (a root run's parent) nothing. Every query on these columns is an equality
-- (a run's tree, its children, its events, a key's run).
--
-- Four lookups read a whole table (item 2, a cost that grew with the history):
-- - the operator's any-id search (`revos runs show <id>`, the explorer) on correlation and trigger ids: two hash
--   indexes;
-- - the failure-rate alert, every ALERT_INTERVAL_MS on every producer, and the export's keyset pages: finished
--   runs of a tenant by end time;
-- - the metrics' open tasks, at every scrape: the open ones only.
--
-- New names, IF NOT EXISTS and IF EXISTS so that on a large table each can be built beforehand without blocking
-- writes (CREATE INDEX CONCURRENTLY … / DROP INDEX CONCURRENTLY …, statements in docs/operations.md); this
-- migration then finds its work done.
CREATE INDEX IF NOT EXISTS "workflow_runs_root_hash_idx" ON "workflow_runs" USING hash ("root_run_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "workflow_runs_parent_hash_idx" ON "workflow_runs" USING hash ("parent_run_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "workflow_runs_key_hash_idx" ON "workflow_runs" USING hash ("idempotency_key");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "workflow_runs_correlation_hash_idx" ON "workflow_runs" USING hash ("correlation_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "workflow_runs_trigger_hash_idx" ON "workflow_runs" USING hash ("trigger_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "workflow_runs_tenant_ended_idx" ON "workflow_runs" USING btree ("tenant_id","ended_at") WHERE "workflow_runs"."ended_at" is not null;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "tasks_open_idx" ON "tasks" USING btree ("kind","failure_code") WHERE "tasks"."status" = 'open';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_run_hash_idx" ON "events" USING hash ("workflow_run_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_root_hash_idx" ON "events" USING hash ("root_run_id");--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_runs_root_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_runs_parent_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "workflow_runs_key_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "events_run_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "events_root_idx";
