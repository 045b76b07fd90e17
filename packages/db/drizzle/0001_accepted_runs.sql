CREATE TABLE "accepted_runs" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"workflow_run_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_name" text NOT NULL,
	"job_id" text NOT NULL,
	"lane" text NOT NULL,
	"priority" text,
	"run_after" timestamp with time zone,
	"source" text NOT NULL,
	"accepted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "accepted_runs_run_uidx" ON "accepted_runs" USING btree ("workflow_run_id");--> statement-breakpoint
CREATE INDEX "accepted_runs_unsettled_idx" ON "accepted_runs" USING btree ("accepted_at") WHERE "accepted_runs"."settled_at" is null;