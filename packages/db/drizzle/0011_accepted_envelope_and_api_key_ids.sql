ALTER TABLE "accepted_runs" ADD COLUMN "envelope_hash" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "key_id" text DEFAULT ('key_' || replace(gen_random_uuid()::text, '-', '')) NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "claimed_by_label" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "resolved_by_label" text;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_id_uidx" ON "api_keys" USING btree ("key_id");