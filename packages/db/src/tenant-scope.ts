/**
 * The tenant scope: row-level security keyed on a per-transaction tenant setting.
 *
 * Tenant-facing reads (the tenant API, the run explorer's per-tenant views, the CLI when given
 * `--tenant`) run inside {@link withTenant}: as the role `revos_tenant`, which owns no table, so the
 * `tenant_isolation` policies of migration 0003_tenant_rls apply and a query that forgets its
 * tenant filter returns the scope's tenant's rows only (another tenant's rows are invisible, and
 * writing one is refused). Keep the explicit `tenant_id = ...` filters anyway: they are the first
 * line, the policy is the net under it.
 *
 * The runtime's internal statements (workers, intake, dispatcher, reconciler, migrations, operator
 * lookups across tenants) run as the fleet's own role, the tables' owner: row-level security is
 * enabled, not forced, so it does not apply to them, and batched statements spanning tenants keep
 * working unchanged.
 */
import { TENANT_ID_RE } from '@revos/envelope';
import type { Sql, TransactionSql } from './client.js';

/** The role tenant-scoped transactions switch to (created by migration 0003_tenant_rls). */
export const TENANT_ROLE = 'revos_tenant';
/** The transaction-local setting the policies compare `tenant_id` with. */
export const TENANT_SETTING = 'revos.tenant_id';

/** A tenant id that does not match the envelope's TenantId pattern; thrown before any SQL is sent. */
export class InvalidTenantIdError extends Error {
  constructor(tenantId: unknown) {
    super(`invalid tenant id ${JSON.stringify(String(tenantId)).slice(0, 80)}: expected ${TENANT_ID_RE}`);
    this.name = 'InvalidTenantIdError';
  }
}

/**
 * Runs `fn` in one transaction scoped to `tenantId`: the transaction-local setting `revos.tenant_id`
 * is the tenant and the role is `revos_tenant` (both set in one statement, both undone at commit or
 * rollback, so the pooled connection goes back unscoped). Every statement `fn` sends on `tx` sees
 * and writes that tenant's rows only. Use `tx`, not the pool: a statement on `sql` runs outside
 * the scope, as the owner.
 *
 * The connecting role must be able to SET ROLE revos_tenant (a superuser can; the migration grants
 * membership to the role that ran it).
 *
 * @throws InvalidTenantIdError when `tenantId` does not match TENANT_ID_RE (nothing is sent).
 */
export async function withTenant<T>(sql: Sql, tenantId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  if (typeof tenantId !== 'string' || !TENANT_ID_RE.test(tenantId)) throw new InvalidTenantIdError(tenantId);
  // Wrapped in an object: postgres.js types begin()'s result as UnwrapPromiseArray<T>, which a
  // generic T is not assignable to; an object passes through unchanged.
  const scoped = await sql.begin(async (tx) => {
    // set_config('role', ..., true) is SET LOCAL ROLE, in the same round trip as the tenant setting.
    await tx`select set_config(${TENANT_SETTING}, ${tenantId}, true), set_config('role', ${TENANT_ROLE}, true)`;
    return { value: await fn(tx) };
  });
  return scoped.value;
}
