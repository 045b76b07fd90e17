ALTER TABLE "outbox" ADD COLUMN "trigger_id" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "subject" jsonb;