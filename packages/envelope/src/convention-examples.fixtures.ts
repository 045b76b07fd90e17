// Test-only: the convention's own examples (sections 1 and 2) with realistic values in place of `...`.
// Excluded from the build by tsconfig.build.json.
import { keyForEnvelope } from "./idempotency-key.js";

export const TENANT = "t_acme_dental";
export const WORKFLOW = "WF17_RealTime_Voice_Orchestrator";
export const TRIGGER = "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0";

export const examplePayload = {
  call_sid: TRIGGER,
  from: "+15551234567",
  turn: 3,
  transcript_turn: "I'd like to book a cleaning next Tuesday",
};

export const exampleKey = keyForEnvelope({
  tenant_id: TENANT,
  workflow_name: WORKFLOW,
  trigger_id: TRIGGER,
  payload: examplePayload,
});

/** A fresh copy each call so tests may mutate it. */
export function exampleEnvelope() {
  return {
    meta: {
      workflow_name: WORKFLOW,
      workflow_version: "1.0.0",
      workflow_run_id: "wr_01HZX3J7K8M9N0P1Q2R3S4T5V6",
      parent_run_id: "wr_01HZX3J7K8M9N0P1Q2R3S4T5V5",
      root_run_id: "wr_01HZX3J7K8M9N0P1Q2R3S4T5V4",
      idempotency_key: exampleKey,
      trigger_source: "voice",
      trigger_id: TRIGGER,
      timestamp_utc: "2026-02-03T21:17:00Z",
      tenant_id: TENANT,
      location_id: "loc_downtown_01",
      environment: "prod",
      policy_version: "pol_2026_02_01",
      feature_flags_version: "ff_42",
      privacy_mode: "standard",
      correlation_id: "corr_01HZX3J7K8M9N0P1Q2R3S4T5V7",
    } as Record<string, unknown>,
    subject: {
      patient_id: "p_8842",
      lead_id: "l_1203",
      conversation_id: "c_77a1",
      staff_user_id: "u_frontdesk_1",
      owner_user_id: "u_owner_2",
    } as Record<string, unknown>,
    payload: structuredClone(examplePayload) as Record<string, unknown>,
    context: {
      tenant_ruleset_json: {},
      feature_flags: {},
      context_pack: {},
      evidence_pack_ref: "evp_01HZX3J7K8",
      recent_events_ref: "rev_01HZX3J7K8",
    } as Record<string, unknown>,
  };
}

/**
 * Section 2's example, plus the two documented extensions (`failure_code`, `latency_breach`),
 * which the convention's example predates.
 */
export function exampleOutput() {
  return {
    meta_out: {
      workflow_name: WORKFLOW,
      workflow_version: "1.0.0",
      workflow_run_id: "wr_01HZX3J7K8M9N0P1Q2R3S4T5V6",
      root_run_id: "wr_01HZX3J7K8M9N0P1Q2R3S4T5V4",
      idempotency_key: exampleKey,
      started_at_utc: "2026-02-03T21:17:00Z",
      ended_at_utc: "2026-02-03T21:17:02Z",
      latency_ms: 2040,
      success: true,
      failure_stage: null,
      failure_reason: null,
      failure_code: null,
      outputs_hash: `sha256_${"ab".repeat(32)}`,
      inputs_hash: `sha256_${"cd".repeat(32)}`,
      retry_count: 0,
      latency_breach: false,
    } as Record<string, unknown>,
    result: {
      status: "ok",
      summary: "Booked a cleaning for Tuesday 10:00 and confirmed by voice",
      primary_outputs: {},
      next_actions: [
        {
          action: "CALL_WORKFLOW",
          workflow: "WF18_Schedule",
          payload: {},
          priority: "high",
          run_after_utc: null,
        },
      ] as Record<string, unknown>[],
    } as Record<string, unknown>,
    audit: {
      phi_touched: true,
      consent_checked: true,
      consent_result: "allow",
      disclaimer_used: true,
      data_written: [
        { table: "call_logs", record_id: "cl_01HZX3J7K8" },
        { table: "events", record_id: "ev_01HZX3J7K9" },
      ],
      external_calls: [
        { service: "twilio", endpoint: "calls", latency_ms: 420, success: true },
        { service: "pms_adapter", endpoint: "appointment.book", latency_ms: 680, success: true },
      ],
    } as Record<string, unknown>,
  };
}
