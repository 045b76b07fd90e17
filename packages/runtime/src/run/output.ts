/**
 * Build_Standard_Output (node H): the one builder every ending of an attempt (ok, noop, retry,
 * blocked/failed) goes through. The builder makes the contract's invariants by construction
 * (success ⇔ status, failure fields exactly when failing), so only what a workflow handed back is
 * validated, once, not the whole contract on every run.
 */
import {
  canonicalJson,
  contractHash,
  DataWritten,
  JsonObject,
  NextAction,
  sha256Hex,
  toFieldIssues,
  type Audit,
  type Envelope,
  type EnvelopeMeta,
  type FailureCode,
  type FailureStage,
  type FieldIssue,
  type OutputContract,
} from '@revos/envelope';
import { z } from 'zod';

export interface OutputFailure {
  code: FailureCode;
  stage: FailureStage;
  reason: string;
}

/** How an attempt ended: a success carries no failure, every other status must. */
export type OutputEnding = { summary: string; primaryOutputs: Record<string, unknown>; nextActions: NextAction[] } & (
  | { status: 'ok' | 'noop'; failure?: never }
  | { status: 'retry' | 'blocked' | 'failed'; failure: OutputFailure }
);

/** What is fixed for the whole attempt, whatever its ending. */
export interface OutputFrame {
  meta: EnvelopeMeta;
  /** When a worker started this attempt (`started_at_utc`). */
  startedAt: Date;
  /** When the run's latency clock started (the trigger's arrival, see run/latency.ts); `latency_ms` counts from it. */
  clockStart: Date;
  /** Asked for at the first ending: node B may hand over the payload's canonical JSON before then. */
  inputsHash: () => string;
  /** The attempt's audit, filled as it goes; the output carries it as it is at the end. */
  audit: Audit;
}

export interface OutputTiming {
  endedAt: Date;
  retryCount: number;
  latencyBreach: boolean;
}

/** What one attempt gathered along the pipeline, turned into the standard output at the end. */
export type OutputDraft = Omit<OutputFrame, 'inputsHash'> &
  OutputTiming &
  Omit<OutputEnding, 'failure'> & { inputsHash: string; failure: OutputFailure | null | undefined };

/**
 * The hash of a run's inputs: what the workflow computes from, without the ids and times that
 * differ between deliveries of the same trigger, so two deliveries of one trigger have one
 * inputs_hash. `payloadJson` is the payload's canonical JSON when the caller already has it (node
 * B computed it for the payload hash): the payload is then not serialised a second time.
 */
export function inputsHashOf(envelope: Pick<Envelope, 'meta' | 'subject' | 'payload' | 'context'>, payloadJson?: string): string {
  const m = envelope.meta;
  // The canonical JSON of { context, payload, subject, tenant_id, workflow_name, workflow_version }: keys in JCS order.
  const json =
    `{"context":${canonicalJson(envelope.context ?? null)},"payload":${payloadJson ?? canonicalJson(envelope.payload)},` +
    `"subject":${canonicalJson(envelope.subject)},"tenant_id":${canonicalJson(m.tenant_id)},` +
    `"workflow_name":${canonicalJson(m.workflow_name)},"workflow_version":${canonicalJson(m.workflow_version)}}`;
  return `sha256_${sha256Hex(json)}`;
}

/** Assembles meta_out/result/audit. `outputs_hash` covers what the run decided. */
export function buildOutput(d: OutputDraft): OutputContract {
  const failure = d.status === 'ok' || d.status === 'noop' ? null : (d.failure ?? { code: 'internal_error', stage: 'core_logic', reason: 'unknown failure' });
  return {
    meta_out: {
      workflow_name: d.meta.workflow_name,
      workflow_version: d.meta.workflow_version,
      workflow_run_id: d.meta.workflow_run_id,
      root_run_id: d.meta.root_run_id,
      idempotency_key: d.meta.idempotency_key,
      started_at_utc: d.startedAt.toISOString(),
      ended_at_utc: d.endedAt.toISOString(),
      latency_ms: Math.max(0, d.endedAt.getTime() - d.clockStart.getTime()),
      success: failure === null,
      failure_stage: failure?.stage ?? null,
      failure_reason: failure?.reason ?? null,
      failure_code: failure?.code ?? null,
      outputs_hash: contractHash({ status: d.status, primary_outputs: d.primaryOutputs, next_actions: d.nextActions }),
      inputs_hash: d.inputsHash,
      retry_count: d.retryCount,
      latency_breach: d.latencyBreach,
    },
    result: {
      status: d.status,
      summary: d.summary.slice(0, 500) || d.status,
      primary_outputs: d.primaryOutputs,
      next_actions: d.nextActions,
    },
    audit: d.audit,
  };
}

/** The builder of one attempt: the frame is set once, each ending adds its own part. */
export class OutputBuilder {
  constructor(private readonly frame: OutputFrame) {}

  build(ending: OutputEnding, timing: OutputTiming): OutputContract {
    // Named fields, not three spreads: every ending of every run comes through here.
    const f = this.frame;
    return buildOutput({
      meta: f.meta,
      startedAt: f.startedAt,
      clockStart: f.clockStart,
      audit: f.audit,
      inputsHash: f.inputsHash(),
      endedAt: timing.endedAt,
      retryCount: timing.retryCount,
      latencyBreach: timing.latencyBreach,
      status: ending.status,
      summary: ending.summary,
      primaryOutputs: ending.primaryOutputs,
      nextActions: ending.nextActions,
      failure: ending.failure,
    });
  }
}

/** What a workflow contributes to its output, under the paths the output contract gives them. */
const WorkflowParts = z.object({
  result: z.object({ primary_outputs: JsonObject, next_actions: z.array(NextAction) }),
  audit: z.object({ data_written: z.array(DataWritten), phi_touched: z.boolean(), disclaimer_used: z.boolean() }),
});
export type WorkflowParts = z.infer<typeof WorkflowParts>;

/** Checks what the workflow returned (its outputs, next actions and the rows it says it wrote); defaults applied to `value`. */
export function validateWorkflowParts(parts: unknown): { ok: true; value: WorkflowParts } | { ok: false; issues: FieldIssue[] } {
  const parsed = WorkflowParts.safeParse(parts);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: toFieldIssues(parsed.error, parts) };
}

export function emptyAudit(): Audit {
  return {
    phi_touched: false,
    consent_checked: false,
    consent_result: null,
    disclaimer_used: false,
    data_written: [],
    external_calls: [],
  };
}
