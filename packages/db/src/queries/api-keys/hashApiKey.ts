import { createHash } from 'node:crypto';

/** Keys are shown once and stored as sha256: a database leak does not leak working keys. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
