-- Row-level security for the tables of 0004_patients_and_staff, as 0003_tenant_rls does for the
-- earlier ones: tenant-facing reads and writes (the consent and task API, the CLI with --tenant) run
-- as revos_tenant inside withTenant() and see and write their own tenant's rows only.
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE address_consents, subject_contacts, appointment_prompts TO revos_tenant;
--> statement-breakpoint
ALTER TABLE address_consents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON address_consents
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE subject_contacts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON subject_contacts
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE appointment_prompts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON appointment_prompts
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
