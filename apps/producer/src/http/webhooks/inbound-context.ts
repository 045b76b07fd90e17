/**
 * What an inbound webhook knows before the run starts: the tenant's default privacy mode (tenant
 * config `privacy_mode`) and, for a text, the known subject of the sending number. Twilio sends
 * neither; without them a phi_minimized tenant's inbound text would be stored raw and unattributed.
 */
import { findSubjectByAddress, type Sql, type TenantRecord } from '@revos/db';
import { tenantConfigPrivacyMode, type PrivacyMode, type Subject } from '@revos/envelope';
import type { PrivacyGuard } from '@revos/runtime';
import type { Logger } from 'pino';

/**
 * The tenant's default privacy mode for every inbound webhook (generic, SMS, voice). A value that is
 * neither mode is read as phi_minimized (the shared reader, @revos/envelope's tenant-config.ts):
 * never store raw by mistake.
 */
export function tenantPrivacyMode(tenant: TenantRecord, log: Logger): PrivacyMode {
  const { mode, invalid } = tenantConfigPrivacyMode(tenant.config);
  if (invalid) log.warn({ tenant_id: tenant.tenantId, field: 'config.privacy_mode', rule: 'standard|phi_minimized' }, 'tenant privacy_mode is invalid; treating inbound traffic as phi_minimized');
  return mode;
}

/**
 * The subject an inbound message from `from` is about, or `{}` for a number we do not know. Contacts
 * are keyed by the number's PHI token, the same one the workers write.
 */
export async function inboundSubject(sql: Sql, privacy: PrivacyGuard, tenantId: string, from: string | undefined): Promise<Subject> {
  if (!from) return {};
  const found = await findSubjectByAddress(sql, tenantId, privacy.redactor.token('phone', from));
  return found ? { [found.kind]: found.id } : {};
}
