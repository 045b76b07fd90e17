/** The submit script's settings, parsed once: where the producer is and the tenant's API key. */
import { z } from 'zod';

export const SubmitEnv = z.object({
  /** The producer's base URL. */
  REVOS_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  /** The tenant's API key (`npm run revos -- tenants create t_demo`). */
  REVOS_API_KEY: z.string().min(1, 'set it to the key `revos tenants create` printed'),
});

export function loadSubmitEnv(source: Record<string, string | undefined> = process.env): z.infer<typeof SubmitEnv> {
  const parsed = SubmitEnv.safeParse(source);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid configuration\n  ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('\n  ')}`);
}
