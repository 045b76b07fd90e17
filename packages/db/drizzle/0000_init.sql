CREATE TABLE "alerts" (
	"alert_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text,
	"kind" text NOT NULL,
	"workflow_name" text,
	"workflow_run_id" text,
	"dedupe_key" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"key_hash" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"tenant_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"source" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consents_tenant_id_subject_id_channel_pk" PRIMARY KEY("tenant_id","subject_id","channel")
);
--> statement-breakpoint
CREATE TABLE "effects" (
	"idempotency_key" text NOT NULL,
	"effect_name" text NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_run_id" text NOT NULL,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"result" jsonb,
	"service" text NOT NULL,
	"endpoint" text NOT NULL,
	"latency_ms" integer,
	"success" boolean,
	"failure_code" text,
	"event_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "effects_idempotency_key_effect_name_pk" PRIMARY KEY("idempotency_key","effect_name")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"workflow_run_id" text NOT NULL,
	"root_run_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"subject" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"event_type" text NOT NULL,
	"direction" text NOT NULL,
	"payload_ref" text NOT NULL,
	"payload" jsonb,
	"idempotency_key" text,
	"effect_name" text,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_name" text NOT NULL,
	"payload_hash" text NOT NULL,
	"workflow_run_id" text NOT NULL,
	"state" text NOT NULL,
	"fence" bigint DEFAULT 1 NOT NULL,
	"locked_by" text,
	"lock_expires_at" timestamp with time zone,
	"result_status" text,
	"outputs_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"outbox_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"parent_run_id" text NOT NULL,
	"root_run_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"parent_idempotency_key" text NOT NULL,
	"action_index" integer NOT NULL,
	"workflow" text NOT NULL,
	"payload" jsonb NOT NULL,
	"priority" text NOT NULL,
	"run_after" timestamp with time zone,
	"state" text DEFAULT 'pending' NOT NULL,
	"child_run_id" text,
	"last_error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"task_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_run_id" text NOT NULL,
	"root_run_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"kind" text NOT NULL,
	"failure_code" text,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"entitlements" jsonb DEFAULT '{"workflows":"*"}'::jsonb NOT NULL,
	"ruleset" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"feature_flags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"feature_flags_version" text,
	"policy_version" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_runs" (
	"workflow_run_id" text PRIMARY KEY NOT NULL,
	"parent_run_id" text,
	"root_run_id" text NOT NULL,
	"correlation_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_name" text NOT NULL,
	"workflow_version" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"job_id" text NOT NULL,
	"lane" text NOT NULL,
	"trigger_source" text NOT NULL,
	"trigger_id" text NOT NULL,
	"privacy_mode" text NOT NULL,
	"status" text NOT NULL,
	"failure_code" text,
	"failure_stage" text,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer,
	"latency_breach" boolean DEFAULT false NOT NULL,
	"inputs_hash" text,
	"outputs_hash" text,
	"envelope" jsonb NOT NULL,
	"output" jsonb,
	"accepted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_dedupe_uidx" ON "alerts" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "alerts_time_idx" ON "alerts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "events_run_idx" ON "events" USING btree ("workflow_run_id");--> statement-breakpoint
CREATE INDEX "events_root_idx" ON "events" USING btree ("root_run_id");--> statement-breakpoint
CREATE INDEX "events_tenant_time_idx" ON "events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "events_effect_uidx" ON "events" USING btree ("idempotency_key","effect_name") WHERE "events"."effect_name" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_keys_tenant_time_idx" ON "idempotency_keys" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_parent_action_uidx" ON "outbox" USING btree ("parent_idempotency_key","action_index");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("created_at") WHERE "outbox"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_parent_run_idx" ON "outbox" USING btree ("parent_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_key_kind_uidx" ON "tasks" USING btree ("idempotency_key","kind");--> statement-breakpoint
CREATE INDEX "tasks_tenant_status_idx" ON "tasks" USING btree ("tenant_id","status","created_at");--> statement-breakpoint
CREATE INDEX "tasks_run_idx" ON "tasks" USING btree ("workflow_run_id");--> statement-breakpoint
CREATE INDEX "workflow_runs_root_idx" ON "workflow_runs" USING btree ("root_run_id");--> statement-breakpoint
CREATE INDEX "workflow_runs_parent_idx" ON "workflow_runs" USING btree ("parent_run_id");--> statement-breakpoint
CREATE INDEX "workflow_runs_tenant_time_idx" ON "workflow_runs" USING btree ("tenant_id","accepted_at");--> statement-breakpoint
CREATE INDEX "workflow_runs_key_idx" ON "workflow_runs" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "workflow_runs_status_time_idx" ON "workflow_runs" USING btree ("status","accepted_at");--> statement-breakpoint
CREATE INDEX "workflow_runs_breach_idx" ON "workflow_runs" USING btree ("tenant_id","workflow_name","ended_at") WHERE "workflow_runs"."latency_breach";