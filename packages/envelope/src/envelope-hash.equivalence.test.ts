import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./canonical-json.js";
import { envelopeHash } from "./envelope-hash.js";
import type { Envelope } from "./schemas.js";

const meta = {
  workflow_name: "WF30_Send_SMS",
  workflow_version: "1.0.0",
  workflow_run_id: "wr_01J",
  parent_run_id: null,
  root_run_id: "wr_01J",
  idempotency_key: "idem:t_1:WF30_Send_SMS:trg_1:" + "a".repeat(64),
  trigger_source: "api",
  trigger_id: "trg_1",
  timestamp_utc: "2026-01-01T00:00:00.000Z",
  tenant_id: "t_1",
  environment: "staging",
  privacy_mode: "standard",
  correlation_id: "corr_1",
} as unknown as Envelope["meta"];

describe("envelopeHash", () => {
  it("is the hash of the whole envelope's canonical JSON, with or without a context", () => {
    const bare: Envelope = { meta, subject: { patient_id: "p_1" }, payload: { to: "+15550100", body: "hi", n: 1.5 } };
    const withContext: Envelope = { ...bare, context: { context_pack: { locale: "en" } } };
    for (const e of [bare, withContext]) {
      expect(envelopeHash(e)).toBe(sha256Hex(canonicalJson(e)));
      expect(envelopeHash(e, canonicalJson(e.payload))).toBe(sha256Hex(canonicalJson(e)));
    }
  });

  it("changes with any part of the envelope, not only the payload", () => {
    const e: Envelope = { meta, subject: { phone: "+15550100" }, payload: { amount_cents: 100 } } as Envelope;
    const base = envelopeHash(e);
    expect(envelopeHash({ ...e, payload: { amount_cents: 499_900 } })).not.toBe(base);
    expect(envelopeHash({ ...e, subject: { phone: "+15550199" } } as Envelope)).not.toBe(base);
    expect(envelopeHash({ ...e, meta: { ...meta, workflow_run_id: "wr_02J" } })).not.toBe(base);
  });
});
