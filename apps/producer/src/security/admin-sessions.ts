/**
 * Operator sessions, recorded server-side so they can be taken back. A login writes
 * `<QUEUE_PREFIX>:admin-session:<sha256 of the id>` to Redis with the session's TTL; the cookie carries
 * only the id. Logout deletes the key, so a captured cookie stops working at once on every replica.
 * Each session also records a fingerprint of the password it was made with (an HMAC, never the
 * password): a changed ADMIN_PASSWORD ends every session even when ADMIN_SESSION_SECRET is set.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RedisConnection } from '@revos/runtime';
import { sameSecret } from './credentials.js';

export interface AdminSession {
  id: string;
  user: string;
}

interface StoredSession {
  user: string;
  password: string;
}

/**
 * The fingerprint of a password, keyed by the session secret. Without ADMIN_SESSION_SECRET the key is
 * itself derived from the password (as the cookie's signature already is), so it tells no more than
 * the cookie does.
 */
export function passwordFingerprint(password: string, secret: string): string {
  return createHmac('sha256', secret).update(`admin-password\0${password}`, 'utf8').digest('base64url');
}

export class AdminSessions {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly ttlS: number,
    /** passwordFingerprint() of the password this process runs with. */
    private readonly currentPassword: string,
  ) {}

  /** Starts a session for `user`; the id (32 random bytes) goes in the cookie. */
  async start(user: string): Promise<AdminSession> {
    const id = randomBytes(32).toString('base64url');
    const stored: StoredSession = { user, password: this.currentPassword };
    await this.redis.set(this.key(id), JSON.stringify(stored), 'EX', this.ttlS);
    return { id, user };
  }

  /** The session behind a cookie's id: null when ended, expired, or made with another password. */
  async find(id: string): Promise<AdminSession | null> {
    const raw = await this.redis.get(this.key(id));
    if (raw === null) return null;
    let stored: Partial<StoredSession>;
    try {
      stored = JSON.parse(raw) as Partial<StoredSession>;
    } catch {
      return null;
    }
    if (typeof stored.user !== 'string' || typeof stored.password !== 'string') return null;
    if (!sameSecret(stored.password, this.currentPassword)) return null;
    return { id, user: stored.user };
  }

  /** Ends a session everywhere (logout). */
  async end(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  // Hashed: whoever can read Redis sees no id a cookie could carry.
  private key(id: string): string {
    return `${this.prefix}:admin-session:${createHash('sha256').update(id).digest('hex')}`;
  }
}
