/** Hono context variables: the tenant an API key authenticated (http/api/api-key-auth.ts). */
export type AppEnv = { Variables: { tenantId: string } };
