/**
 * The convention's pipeline, one attempt of one run:
 *   Validate_Envelope → Compute_Payload_Hash → Idempotency_Check →
 *   Load_Tenant_Entitlements → Consent_Check (outbound) → core logic →
 *   Log_Event → Build_Standard_Output.
 *
 * It returns what BullMQ should do with the job (done, retry after a delay, fail
 * for good, wait for another worker, defer until a time, or stop because the lease was lost) and has
 * already written every durable fact of the attempt when it returns. The rooms it
 * calls live beside it in run/: the attempt's state and endings (attempt.ts), an invalid
 * envelope's refusal (invalid-envelope.ts), ctx.effect
 * (effect-journal.ts), the gates (entitlement-gate.ts, consent-gate.ts), the core
 * logic's context (core-logic.ts), stored copies (stored-rows.ts), breaches (breach.ts).
 *
 * Round trips for a fresh run (tenant cached): claim 1, consent 1 (outbound
 * only), 2 per effect (intent, then result + event), outcome 1. The claim also checks that intake
 * accepted this very job (claimIdempotencyKeys); an attempt ending before the claim asks once
 * (RunAttempt.finishTerminal). A job intake never accepted runs nothing (unaccepted-job.ts).
 */
import { canonicalJson, envelopeHash, sha256Hex, tryParseIdempotencyKey, validateEnvelope, type ConsentResult } from '@revos/envelope';
import { loadEffectJournal, type Db } from '@revos/db';
import type { Logger } from 'pino';
import { computeBackoffMs } from './backoff.js';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import { groupCommitFor } from '../commit/group-commit.js';
import { LANE_SETTINGS } from '../definition/lanes.js';
import { lazyChild } from '../logging/logger.js';
import { payloadSchemaIssues } from '../definition/payload-schema.js';
import { isPhiMinimized, type PrivacyGuard } from '../privacy/privacy-mode.js';
import type { TenantCache } from './tenant-cache.js';
import { NO_ATTEMPT_TRACE } from '../tracing/attempt-trace.js';
import { RunAttempt, type AttemptInfo, type AttemptOutcome } from './attempt.js';
import type { BreachAlertRule } from './breach.js';
import { checkConsentGate, consentResultOf } from './consent-gate.js';
import { runCoreLogic } from './core-logic.js';
import { entitlementGate } from './entitlement-gate.js';
import { isRunDeferral } from './deferral.js';
import { stageFailure } from './failure.js';
import { rejectInvalidEnvelope } from './invalid-envelope.js';
import { budgetFor } from './latency.js';
import { waitForNewerRelease } from './newer-version.js';

export { ESCALATION_WORKFLOW, type AttemptInfo, type AttemptOutcome } from './attempt.js';
export { DEFAULT_LISTING_DELAY_MS } from './effect-journal.js';
export { isInfrastructureError } from './failure.js';
export { FALLBACK_WORKFLOW } from './latency.js';

export interface PipelineDeps {
  db: Db;
  catalog: WorkflowCatalog;
  tenants: TenantCache;
  /** Names this worker process in the ledger's `locked_by`. */
  workerId: string;
  log: Logger;
  /** A repeated breach: `count` breaches of one workflow for one tenant within `windowMs` write an alert. */
  breachAlert: BreachAlertRule;
  /** Aborted when the process shuts down: runs stop at their next await on the signal. */
  shutdownSignal?: AbortSignal;
  /** Redaction and sealing for phi_minimized runs; without it such runs fail closed (config_missing). */
  privacy?: PrivacyGuard;
  /** An absence a vendor lookup reports sooner than this after the call is not proof (default {@link DEFAULT_LISTING_DELAY_MS}). */
  listingDelayMs?: number;
}

export async function runAttempt(deps: PipelineDeps, data: unknown, attempt: AttemptInfo): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const trace = attempt.trace ?? NO_ATTEMPT_TRACE;

  // A. Validate_Envelope
  trace.node('validate_envelope');
  const validated = validateEnvelope(data);
  if (!validated.ok) return rejectInvalidEnvelope(deps, data, validated.issues, attempt, startedAt);
  const envelope = validated.value;
  const meta = envelope.meta;
  trace.identify(envelope);
  // Made lazily: at warn a fresh run writes no line, so its bindings need not be serialised and redacted.
  const log = lazyChild(deps.log, {
    workflow: meta.workflow_name,
    workflow_run_id: meta.workflow_run_id,
    root_run_id: meta.root_run_id,
    correlation_id: meta.correlation_id,
    tenant_id: meta.tenant_id,
    attempt: attempt.attemptsMade + 1,
  });
  const run = new RunAttempt(deps, envelope, attempt, startedAt, log);

  const workflow = deps.catalog.get(meta.workflow_name, meta.workflow_version);
  if (!workflow) {
    // Mid-rollout, a run of a newer release reached an older worker: a newer worker runs it (no attempt spent).
    const newer = await waitForNewerRelease(deps, envelope, attempt);
    if (newer) return newer;
    return run.finishTerminal(stageFailure('unknown_workflow', 'validate_envelope', `${meta.workflow_name}@${meta.workflow_version} is not registered`));
  }
  run.workflow = workflow;
  if (isPhiMinimized(envelope) && !deps.privacy) {
    return run.finishTerminal(stageFailure('config_missing', 'validate_envelope', 'phi_minimized runs need PHI_TOKEN_KEY and PHI_SEAL_KEY configured'));
  }
  const payload = workflow.payload.safeParse(envelope.payload);
  if (!payload.success) {
    // The same {path, rule, message} issues the API answers with, rooted at `payload`.
    const issues = payloadSchemaIssues(workflow.payload, envelope.payload);
    const reason = issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
    return run.finishTerminal(stageFailure('invalid_input', 'validate_envelope', reason, { issues }));
  }

  // B. Compute_Payload_Hash: the key must describe this very payload.
  trace.node('compute_payload_hash');
  const payloadJson = canonicalJson(envelope.payload);
  run.knowPayloadJson(payloadJson);
  const hash = sha256Hex(payloadJson);
  const keyParts = tryParseIdempotencyKey(meta.idempotency_key);
  if (!keyParts || keyParts.payload_hash !== hash) {
    return run.finishTerminal(stageFailure('idempotency_conflict', 'compute_payload_hash', 'the idempotency key was made for another payload'));
  }

  // C. Idempotency_Check
  trace.node('idempotency_check');
  const claim = await groupCommitFor(deps.db.sql).claim({
    idempotencyKey: meta.idempotency_key,
    tenantId: meta.tenant_id,
    workflowName: meta.workflow_name,
    payloadHash: hash,
    workflowRunId: meta.workflow_run_id,
    // Only a job carrying the envelope intake accepted may claim (checked in the claim's own statement).
    envelopeHash: envelopeHash(envelope, payloadJson),
    workerId: deps.workerId,
    lockMs: workflow.timeoutMs + LANE_SETTINGS[workflow.lane].lockDurationMs,
  });
  if (claim.kind === 'not_accepted') return run.refuseUnaccepted();
  run.admit();
  switch (claim.kind) {
    case 'finished':
      return run.finishNoop(claim.priorRunId, claim.resultStatus, claim.outputsHash);
    case 'conflict':
      return run.finishTerminal(stageFailure('idempotency_conflict', 'idempotency_check', `key already used by ${claim.priorRunId} for another payload`));
    case 'busy': {
      // Poll with a growing delay: the holder usually finishes long before its lock would lapse
      // (then this delivery is a noop), and if it died we must not come back before the lapse is due.
      const untilLapse = Math.max(0, claim.lockExpiresAt.getTime() - Date.now() + 50);
      const delayMs = Math.min(untilLapse, computeBackoffMs({ failures: (attempt.waits ?? 0) + 1, baseMs: 200, maxMs: 5_000 })) || 50;
      log.info({ prior_run_id: claim.priorRunId, delay_ms: delayMs }, 'key in progress elsewhere; waiting');
      return { kind: 'wait', delayMs, reason: `key in progress under ${claim.priorRunId}` };
    }
    case 'claimed': {
      const lease = { idempotencyKey: meta.idempotency_key, fence: claim.fence, token: claim.token };
      run.claimed(lease, claim.fresh ? undefined : await loadEffectJournal(deps.db.sql, meta.idempotency_key));
    }
  }

  try {
    // D. Load_Tenant_Entitlements
    trace.node('load_tenant_entitlements');
    const tenant = entitlementGate(meta.tenant_id, await deps.tenants.get(meta.tenant_id), workflow);
    run.budgetMs = budgetFor(workflow.channel, workflow.latencyBudgetMs, tenant.config);

    // E. Consent_Check (outbound workflows only): the subject's consent and the destination's opt-out.
    trace.node('consent_check');
    let consent: ConsentResult | null = null;
    if (workflow.outbound) {
      const verdict = await checkConsentGate(deps.db.sql, workflow.outbound, envelope, payload.data);
      if (verdict.result === 'invalid') throw stageFailure('invalid_input', 'consent_check', verdict.reason);
      consent = consentResultOf(verdict);
      run.audit.consent_checked = true;
      run.audit.consent_result = consent;
      if (verdict.result === 'deny') throw stageFailure('consent_denied', 'consent_check', verdict.reason);
    }

    // F. Execute_Workflow_Core_Logic (G. Log_Event happens inside ctx.effect, atomically with each effect)
    trace.node('core_logic');
    const result = await runCoreLogic({
      sql: deps.db.sql,
      workflow,
      envelope,
      payload: payload.data,
      tenant,
      consent,
      retryCount: attempt.attemptsMade,
      journal: run.journal,
      audit: run.audit,
      log,
      privacy: deps.privacy,
      shutdownSignal: deps.shutdownSignal,
    });

    // H. Build_Standard_Output
    trace.node('build_standard_output');
    return await run.finishOk(result);
  } catch (error) {
    if (isRunDeferral(error)) return run.finishDeferred(error);
    return run.finishFailure(error);
  }
}
