/**
 * Hono context variables: the tenant and the key id an API key authenticated (http/api/api-key-auth.ts;
 * task and policy changes are recorded as `api:<key id>`), and the
 * operator an admin credential authenticated (http/admin/admin-auth.ts), set once per request.
 */
export type AppEnv = { Variables: { tenantId: string; apiKeyId: string; admin: AdminIdentity } };

/** Who an admin request is, and by which credential (a session can be ended; basic auth cannot). */
export interface AdminIdentity {
  user: string;
  via: 'session' | 'basic';
  /** The server-side session id (via === 'session'). */
  sessionId?: string;
}
