import type { PmsAdapter, SmsProvider, VoiceProvider } from '../adapters/index.js';

/** The vendor adapters workflows call; the worker builds them from its env.ts. */
export interface WorkflowServices {
  sms: SmsProvider;
  voice: VoiceProvider;
  pms: PmsAdapter;
  /** PHI tokenization; WF15_Redactor is registered only when present. `tokenKey` comes from env.ts (`PHI_TOKEN_KEY`). */
  privacy?: { tokenKey: string };
}

/** Reads a string setting from tenant config; the pipeline already checked `requiresConfig` keys exist. */
export function configString(config: Record<string, unknown>, key: string): string {
  const value = config[key];
  return typeof value === 'string' ? value : String(value);
}
