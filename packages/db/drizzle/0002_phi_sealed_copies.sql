ALTER TABLE "accepted_runs" ADD COLUMN "sealed_envelope" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sealed_payload" text;