import { z } from 'zod';

/**
 * `PHI_SEAL_KEYS_PREVIOUS`: the seal keys used before the current `PHI_SEAL_KEY`, comma-separated, each
 * at least 32 bytes. Rows sealed under them still open; nothing new is sealed with them. Drop a key once
 * every copy it sealed has settled (sealed copies are transient: hours, not months).
 */
export const previousSealKeysSetting = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((k) => k.trim()).filter((k) => k !== ''))
  .refine((keys) => keys.every((k) => Buffer.byteLength(k, 'utf8') >= 32), 'each key at least 32 bytes (comma-separated)');
