import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * An email address as consent and contacts key it: trimmed and lowercased (`Ann@Example.COM` and
 * `ann@example.com` are one mailbox for every practical purpose), at most 254 characters (RFC 5321).
 */
export const EmailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "at most 254 characters")
  .pipe(z.email("must be an email address such as ann@example.com"));
export type EmailAddress = z.infer<typeof EmailAddress>;

/** The bare address of `Ann Lee <Ann@Example.com>` or `ann@example.com`, lowercased; null when there is none. */
export function bareEmailAddress(value: string): string | null {
  const inAngles = /<([^<>\s]+)>\s*$/.exec(value)?.[1];
  const parsed = EmailAddress.safeParse(inAngles ?? value);
  return parsed.success ? parsed.data : null;
}

const LINK_KEY_LABEL = "revos:email-unsubscribe:v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const linkKey = (secret: string): Buffer => createHmac("sha256", secret).update(LINK_KEY_LABEL).digest();

/**
 * The opaque token of an unsubscribe link (List-Unsubscribe, RFC 8058): the address sealed with
 * AES-256-GCM under a key derived from `secret`, bound to the tenant. The link names no address in
 * the clear (URLs end up in access logs), and a token is useless for any other tenant.
 */
export function sealUnsubscribeToken(secret: string, tenantId: string, address: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", linkKey(secret), iv);
  cipher.setAAD(Buffer.from(tenantId, "utf8"));
  const sealed = Buffer.concat([cipher.update(address, "utf8"), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
}

/** The address an unsubscribe token names for `tenantId`, or null for a forged, altered or other tenant's token. */
export function openUnsubscribeToken(secret: string, tenantId: string, token: string): string | null {
  if (!/^[A-Za-z0-9_-]{40,700}$/.test(token)) return null;
  const raw = Buffer.from(token, "base64url");
  if (raw.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", linkKey(secret), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(tenantId, "utf8"));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const address = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    return bareEmailAddress(address);
  } catch {
    return null;
  }
}

/** The one-click unsubscribe route of a tenant's emails (producer, `POST` per RFC 8058). */
export function unsubscribeUrl(baseUrl: string, tenantId: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/unsubscribe/email/${encodeURIComponent(tenantId)}/${token}`;
}
