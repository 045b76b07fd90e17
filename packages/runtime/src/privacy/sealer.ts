import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Transient encrypted copies of phi_minimized inputs (AES-256-GCM). The fleet
 * must be able to re-run what it accepted (Redis may lose a job; a follow-up
 * needs its payload), but must not keep PHI readable at rest: the sealed copy
 * lives only until the run settles or the follow-up is accepted, then it is
 * cleared; the readable rows hold the redacted copy only.
 *
 * Format: `v1:` + base64(iv[12] | tag[16] | ciphertext). The key comes from
 * configuration (PHI_SEAL_KEY); losing it makes in-flight sealed copies
 * unreadable, nothing else.
 */
export interface Sealer {
  seal(value: unknown): string;
  unseal(sealed: string): unknown;
}

export class SealError extends Error {
  override name = 'SealError';
}

export function createSealer(secret: string): Sealer {
  if (Buffer.byteLength(secret, 'utf8') < 32) throw new SealError('PHI_SEAL_KEY: must be at least 32 bytes');
  // Any secret string becomes a 256-bit key; the secret itself is never kept.
  const key = createHash('sha256').update(secret, 'utf8').digest();
  return {
    seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    unseal(sealed) {
      if (!sealed.startsWith('v1:')) throw new SealError('not a sealed value');
      const raw = Buffer.from(sealed.slice(3), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as unknown;
      } catch {
        throw new SealError('sealed value does not open with this key (tampered, or sealed under another key)');
      }
    },
  };
}
