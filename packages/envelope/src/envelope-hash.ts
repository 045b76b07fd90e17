import { canonicalJson, sha256Hex } from "./canonical-json.js";
import type { Envelope } from "./schemas.js";

/**
 * sha256 (lowercase hex) of the envelope's canonical JSON, exactly `sha256Hex(canonicalJson(envelope))`.
 * Intake stores it on the run's accepted_runs row; a worker claims the run only for a job carrying
 * the same envelope, so a job intake never accepted (or a forged one reusing an accepted key) runs
 * nothing. `payloadJson`: the payload's canonical JSON when the caller has it already (the worker's
 * node B), so the payload, the largest part, is serialised once per attempt.
 */
export function envelopeHash(envelope: Envelope, payloadJson?: string): string {
  // JCS orders the top-level keys: context, meta, payload, subject (an absent context is omitted).
  const context = envelope.context === undefined ? "" : `"context":${canonicalJson(envelope.context)},`;
  return sha256Hex(
    `{${context}"meta":${canonicalJson(envelope.meta)},"payload":${payloadJson ?? canonicalJson(envelope.payload)},"subject":${canonicalJson(envelope.subject)}}`,
  );
}
