-- Tenant isolation by row-level security.
--
-- Two ways into these tables:
--   * Tenant-facing reads (the tenant API, the run explorer's per-tenant views, the CLI when given
--     --tenant) run inside withTenant() (packages/db/src/tenant-scope.ts): one transaction that sets
--     `revos.tenant_id` and switches to the role `revos_tenant` (SET LOCAL ROLE). revos_tenant owns
--     nothing, so the policies below apply to it: a query that forgets its tenant filter sees the
--     scope's tenant's rows only, and an insert or update for another tenant is refused (WITH CHECK).
--     With no tenant set (current_setting(..., true) is null or ''), it sees nothing at all.
--   * The fleet's own role (the tables' owner, or a superuser: workers, intake, dispatcher,
--     reconciler, migrations, operator lookups across tenants) keeps working unchanged: RLS is
--     ENABLEd, not FORCEd, so it does not apply to the owner, which processes every tenant's runs in
--     batched statements.
--
-- Roles are cluster-wide while this migration runs once per database (several test databases share
-- one server), so creating the role and granting membership is guarded and idempotent, and tolerates
-- another database's migration doing the same at the same moment. Privileges and policies are
-- per database. A new tenant-owned table needs its own GRANT, ENABLE ROW LEVEL SECURITY and policy
-- in the migration that creates it. drizzle-kit's schema (schema.ts) does not declare these
-- policies: do not use `drizzle-kit push` against a database it would "correct".
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'revos_tenant') THEN
    BEGIN
      CREATE ROLE revos_tenant NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created by a concurrent migration of another database
    END;
  END IF;
END
$$;
--> statement-breakpoint
-- The migrating role (the fleet's role) must be able to SET ROLE revos_tenant. A superuser always can;
-- PostgreSQL 16+ distinguishes membership with SET from mere admin of a role it created.
DO $$
DECLARE
  needed text := CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END;
BEGIN
  IF NOT pg_has_role(current_user, 'revos_tenant', needed) THEN
    BEGIN
      EXECUTE format('GRANT revos_tenant TO %I', current_user);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO revos_tenant;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE
  tenants, api_keys, consents, workflow_runs, idempotency_keys, effects, events, accepted_runs, outbox, tasks, alerts
  TO revos_tenant;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenants
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON api_keys
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON consents
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE workflow_runs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON workflow_runs
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE effects ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON effects
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE accepted_runs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON accepted_runs
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON outbox
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tasks
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
--> statement-breakpoint
-- alerts.tenant_id is nullable: a null-tenant row is a system alert, never visible to (nor writable by) a tenant.
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON alerts
  USING (tenant_id = current_setting('revos.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('revos.tenant_id', true));
