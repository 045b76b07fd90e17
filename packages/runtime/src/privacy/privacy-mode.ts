import type { Envelope, OutputContract } from '@revos/envelope';
import { createRedactor, type Redactor } from './redactor.js';
import { createSealer, type Sealer } from './sealer.js';

/**
 * What `privacy_mode=phi_minimized` means at rest, applied by the runtime for
 * every workflow (no workflow has to remember it):
 * - stored envelopes (run rows) and outputs keep redacted copies: catalogued
 *   PHI fields and PHI patterns become keyed tokens, free text is dropped;
 * - events keep their `payload_ref`, never a payload;
 * - journaled effect results and next-action payloads are redacted; what a
 *   re-run or a follow-up needs is kept only as a sealed copy, cleared once used.
 * `standard` runs are stored as they are.
 */
export interface PrivacyGuard {
  redactor: Redactor;
  sealer: Sealer;
}

/** Where a sealed copy lives: its ciphertext is bound to that row (see sealer.ts). */
export const sealContext = {
  acceptedRun: (idempotencyKey: string) => `accepted_runs:${idempotencyKey}`,
  outbox: (outboxId: string) => `outbox:${outboxId}`,
};

export function createPrivacyGuard(keys: { tokenKey: string; sealKey: string; previousSealKeys?: readonly string[] }): PrivacyGuard {
  return { redactor: createRedactor({ key: keys.tokenKey }), sealer: createSealer(keys.sealKey, keys.previousSealKeys ?? []) };
}

export function isPhiMinimized(envelope: Pick<Envelope, 'meta'>): boolean {
  return envelope.meta.privacy_mode === 'phi_minimized';
}

/** The envelope as stored: meta (ids, hashes, no PHI by construction) as is; subject ids as is; payload and context redacted. */
export function redactEnvelope(guard: PrivacyGuard, envelope: Envelope): Envelope {
  return {
    ...envelope,
    payload: guard.redactor.redact(envelope.payload).value as Envelope['payload'],
    ...(envelope.context ? { context: guard.redactor.redact(envelope.context).value as Envelope['context'] } : {}),
  };
}

/** The output as stored: primary outputs and next-action payloads redacted; hashes keep naming the real outputs. */
export function redactOutput(guard: PrivacyGuard, output: OutputContract): OutputContract {
  return {
    ...output,
    result: {
      ...output.result,
      primary_outputs: guard.redactor.redact(output.result.primary_outputs).value as Record<string, unknown>,
      next_actions: output.result.next_actions.map((a) => ({ ...a, payload: guard.redactor.redact(a.payload).value as Record<string, unknown> })),
    },
  };
}
