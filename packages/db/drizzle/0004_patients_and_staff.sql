CREATE TABLE "address_consents" (
	"tenant_id" text NOT NULL,
	"address" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"source" text,
	"evidence_ref" text,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "address_consents_tenant_id_address_channel_pk" PRIMARY KEY("tenant_id","address","channel")
);
--> statement-breakpoint
CREATE TABLE "appointment_prompts" (
	"tenant_id" text NOT NULL,
	"appointment_id" text NOT NULL,
	"address_ref" text NOT NULL,
	"patient_id" text,
	"workflow_run_id" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp with time zone,
	"answer" text,
	CONSTRAINT "appointment_prompts_tenant_id_appointment_id_pk" PRIMARY KEY("tenant_id","appointment_id")
);
--> statement-breakpoint
CREATE TABLE "subject_contacts" (
	"tenant_id" text NOT NULL,
	"address_ref" text NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subject_contacts_tenant_id_address_ref_subject_kind_subject_id_pk" PRIMARY KEY("tenant_id","address_ref","subject_kind","subject_id")
);
--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "workflow_run_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "root_run_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "consents" ADD COLUMN "evidence_ref" text;--> statement-breakpoint
ALTER TABLE "consents" ADD COLUMN "updated_by" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "resolution" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "resolution_note" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "resolved_by" text;--> statement-breakpoint
ALTER TABLE "address_consents" ADD CONSTRAINT "address_consents_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "appointment_prompts_address_idx" ON "appointment_prompts" USING btree ("tenant_id","address_ref","sent_at");--> statement-breakpoint
CREATE INDEX "subject_contacts_address_idx" ON "subject_contacts" USING btree ("tenant_id","address_ref","updated_at");