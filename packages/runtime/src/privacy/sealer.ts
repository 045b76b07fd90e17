import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Transient encrypted copies of phi_minimized inputs (AES-256-GCM). The fleet
 * must be able to re-run what it accepted (Redis may lose a job; a follow-up
 * needs its payload), but must not keep PHI readable at rest: the sealed copy
 * lives only until the run settles or the follow-up is accepted, then it is
 * cleared; the readable rows hold the redacted copy only.
 *
 * Format: `v2:<key id>:` + base64(iv[12] | tag[16] | ciphertext).
 * - The tag must be the full 16 bytes (`authTagLength`): Node 20 otherwise accepts a
 *   tag as short as 4 bytes, which a forger can guess.
 * - Each ciphertext is bound to its row by additional authenticated data (`context`,
 *   e.g. `accepted_runs:<idempotency key>`): a sealed copy moved to another row does not open.
 * - The key id (8 hex of a hash of the key, never the key) says which key sealed it, so
 *   PHI_SEAL_KEY can rotate while rows sealed under the previous keys still open.
 * `v1:` values (no key id, no context) written before v2 still open with any configured key.
 */
export interface Sealer {
  /** Seals `value` for the row named by `context`. */
  seal(value: unknown, context: string): string;
  /** Opens a value sealed for `context`; throws SealError if it was sealed for another row, tampered or under an unknown key. */
  unseal(sealed: string, context: string): unknown;
}

export class SealError extends Error {
  override name = 'SealError';
}

const TAG_BYTES = 16;
const IV_BYTES = 12;

interface SealKey {
  id: string;
  key: Buffer;
}

function deriveKey(secret: string, what: string): SealKey {
  if (Buffer.byteLength(secret, 'utf8') < 32) throw new SealError(`${what}: must be at least 32 bytes`);
  // Any secret string becomes a 256-bit key; the secret itself is never kept.
  const key = createHash('sha256').update(secret, 'utf8').digest();
  return { id: createHash('sha256').update('revos-seal-key-id:').update(key).digest('hex').slice(0, 8), key };
}

/** A sealer that seals under `secret` and opens values sealed under it or any of `previousSecrets`. */
export function createSealer(secret: string, previousSecrets: readonly string[] = []): Sealer {
  const current = deriveKey(secret, 'PHI_SEAL_KEY');
  const keys = new Map<string, SealKey>([[current.id, current]]);
  for (const old of previousSecrets) {
    const k = deriveKey(old, 'PHI_SEAL_KEYS_PREVIOUS');
    if (!keys.has(k.id)) keys.set(k.id, k);
  }

  function open(key: Buffer, raw: Buffer, aad: string | null): unknown {
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SealError('sealed value is too short to hold its nonce and a full tag');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    if (aad !== null) decipher.setAAD(Buffer.from(aad, 'utf8'));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')) as unknown;
  }

  return {
    seal(value, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return `v2:${current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    unseal(sealed, context) {
      const v2 = /^v2:([0-9a-f]{8}):(.*)$/s.exec(sealed);
      if (v2) {
        const key = keys.get(v2[1]!);
        if (!key) throw new SealError(`sealed under key ${v2[1]}, which is neither PHI_SEAL_KEY nor one of PHI_SEAL_KEYS_PREVIOUS`);
        try {
          return open(key.key, Buffer.from(v2[2]!, 'base64'), context);
        } catch (error) {
          if (error instanceof SealError) throw error;
          throw new SealError('sealed value does not open: tampered, or sealed for another row');
        }
      }
      if (sealed.startsWith('v1:')) {
        const raw = Buffer.from(sealed.slice(3), 'base64');
        for (const key of keys.values()) {
          try {
            return open(key.key, raw, null);
          } catch (error) {
            if (error instanceof SealError) throw error;
          }
        }
        throw new SealError('sealed value does not open with any configured key (tampered, or sealed under another key)');
      }
      throw new SealError('not a sealed value');
    },
  };
}
