-- Tenant isolation for voice_call_turns, as 0003_tenant_rls does for the tables before it: tenant-scoped
-- reads (withTenant, role revos_tenant) see their own tenant's call state only; the fleet's own role is
-- the owner and is not subject to it.
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE voice_call_turns TO revos_tenant;
--> statement-breakpoint
ALTER TABLE voice_call_turns ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON voice_call_turns
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
