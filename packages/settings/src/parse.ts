import { z } from 'zod';

/** Bad settings: the process stops with each variable's name and rule (the fleet's processes exit 78, EX_CONFIG). */
export class InvalidConfigurationError extends Error {
  override name = 'InvalidConfigurationError';
}

/** Parses an environment against a settings schema; throws listing every bad variable with its rule. */
export function parseSettings<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
  throw new InvalidConfigurationError(`invalid configuration\n  ${lines.join('\n  ')}`);
}

/** An optional setting: unset and the empty string both mean "absent" (compose files write `X=`). */
export const optionalSetting = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** `true` or `false`, nothing else (a typo must not silently read as false). */
export const booleanSetting = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A URL setting whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). */
export function urlSetting(protocols: string[]) {
  return z.string().refine((s) => {
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')}// URL`);
}
