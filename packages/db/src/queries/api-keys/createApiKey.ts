import type { Sql } from '../../client.js';
import { issueApiKey } from './issueApiKey.js';

/** Creates a key for a tenant and returns it in plain text (see issueApiKey for its id too). */
export async function createApiKey(sql: Sql, tenantId: string, label: string | null = null): Promise<string> {
  return (await issueApiKey(sql, tenantId, label)).api_key;
}
