ALTER TABLE "effects" ADD COLUMN "intent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "effects" ADD COLUMN "target" text;--> statement-breakpoint
ALTER TABLE "effects" ADD COLUMN "reconciliations" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "effects" ADD COLUMN "settlement" jsonb;