import type { Db } from '@revos/db';
import type { EmailProvider, PaymentProvider, PmsAdapter, SmsProvider, VoiceProvider } from '../adapters/index.js';
import type { SenderPacer } from '../pacing/sender-pacer.js';
import type { VoiceCallStore } from '../voice/call-state.js';

/** The vendor adapters workflows call; the worker builds them from its env.ts. */
export interface WorkflowServices {
  sms: SmsProvider;
  voice: VoiceProvider;
  pms: PmsAdapter;
  /** Card payments (Stripe shape); WF60_Collect_Payment and WF61_Refund_Payment are registered only when present. */
  payments?: PaymentProvider;
  /** Outbound email (Postmark, or an SMTP relay); WF36_Send_Email and WF37_Inbound_Email are registered only when present. */
  email?: EmailProvider;
  /**
   * Where one-click unsubscribe links point (the producer's `PUBLIC_BASE_URL`) and the secret their
   * tokens are sealed with (`PHI_TOKEN_KEY`, which the producer opens them with). Absent: an email
   * that must carry List-Unsubscribe fails `config_missing` instead of going out without it.
   */
  emailLinks?: { publicBaseUrl: string; secret: string };
  /**
   * Where WF36 remembers which subject an email address reaches (subject_contacts, keyed by the
   * address's PHI token under `tokenKey`), so the inbound webhook can attribute a reply. Absent: not remembered.
   */
  emailContacts?: { records: Db; tokenKey: string };
  /** A live call's state between turns (WF17); `createDbVoiceCallStore(db)`. Absent: voice turns fail `config_missing`. */
  calls?: VoiceCallStore;
  /** PHI tokenization; WF15_Redactor is registered only when present. `tokenKey` comes from env.ts (`PHI_TOKEN_KEY`). */
  privacy?: { tokenKey: string };
  /**
   * Read access to the durable record (stored runs and events) and alert writes, for the compliance
   * workflows. WF84_Compliance_Sentinel and WF54_Dataset_Curation are registered only when this and
   * `privacy` are both present. Queries always name the run's own tenant.
   */
  records?: Db;
  /**
   * Absolute directory WF54_Dataset_Curation writes its JSONL exports under (one subdirectory per
   * tenant). Absent: an export run fails `config_missing`.
   */
  exportDir?: string;
  /** Paces texts per sending number across the fleet (`createSenderPacer(redis)`); absent: texts are not paced. */
  pacer?: SenderPacer;
  /** The clock quiet hours and expiry read (tests fix it); absent: Date.now. */
  clock?: () => number;
}

/** Reads a string setting from tenant config; the pipeline already checked `requiresConfig` keys exist. */
export function configString(config: Record<string, unknown>, key: string): string {
  const value = config[key];
  return typeof value === 'string' ? value : String(value);
}
