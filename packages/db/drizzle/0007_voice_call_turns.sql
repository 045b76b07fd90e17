CREATE TABLE "voice_call_turns" (
	"tenant_id" text NOT NULL,
	"call_sid" text NOT NULL,
	"turn" integer NOT NULL,
	"workflow_run_id" text NOT NULL,
	"intent" text NOT NULL,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "voice_call_turns_tenant_id_call_sid_turn_pk" PRIMARY KEY("tenant_id","call_sid","turn")
);
