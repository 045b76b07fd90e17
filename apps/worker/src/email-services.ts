/**
 * The worker's email: Postmark when POSTMARK_SERVER_TOKEN is set, a plain SMTP relay when SMTP_URL is
 * set, none otherwise (WF36/WF37 are then not served). One-click unsubscribe links point at the
 * producer (PUBLIC_BASE_URL) and are sealed with PHI_TOKEN_KEY, which the producer opens them with.
 */
import type { Db } from '@revos/db';
import { createPostmarkEmailProvider, createSmtpEmailProvider, type WorkflowServices } from '@revos/workflows';
import type { WorkerEnv } from './env.js';

type EmailEnv = Pick<WorkerEnv, 'POSTMARK_BASE_URL' | 'POSTMARK_SERVER_TOKEN' | 'POSTMARK_MESSAGE_STREAM' | 'SMTP_URL' | 'PUBLIC_BASE_URL' | 'PHI_TOKEN_KEY' | 'VENDOR_TIMEOUT_MS'>;

export function emailServices(env: EmailEnv, db: Db): Pick<WorkflowServices, 'email' | 'emailLinks' | 'emailContacts'> {
  const email = env.POSTMARK_SERVER_TOKEN
    ? createPostmarkEmailProvider({ baseUrl: env.POSTMARK_BASE_URL, serverToken: env.POSTMARK_SERVER_TOKEN, timeoutMs: env.VENDOR_TIMEOUT_MS, messageStream: env.POSTMARK_MESSAGE_STREAM })
    : env.SMTP_URL
      ? createSmtpEmailProvider({ url: env.SMTP_URL, timeoutMs: env.VENDOR_TIMEOUT_MS })
      : undefined;
  if (!email) return {};
  return {
    email,
    ...(env.PUBLIC_BASE_URL ? { emailLinks: { publicBaseUrl: env.PUBLIC_BASE_URL, secret: env.PHI_TOKEN_KEY } } : {}),
    emailContacts: { records: db, tokenKey: env.PHI_TOKEN_KEY },
  };
}
