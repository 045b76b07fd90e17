/**
 * Execute_Workflow_Core_Logic (node F): the workflow's `run` with its context, held to the
 * workflow's timeout and to the process's shutdown.
 */
import { WorkflowError, type Audit, type ConsentResult, type Envelope } from '@revos/envelope';
import { findConsent, findTaskStatus, type Sql, type TenantRecord } from '@revos/db';
import type { Logger } from 'pino';
import type { AnyWorkflow, RunContext, WorkflowResult } from '../definition/define-workflow.js';
import type { PrivacyGuard } from '../privacy/privacy-mode.js';
import type { EffectJournal } from './effect-journal.js';
import { createPatientRecords } from './patient-records.js';
import { runPolicy } from './policy.js';

export interface CoreLogicInput {
  sql: Sql;
  workflow: AnyWorkflow;
  envelope: Envelope;
  payload: unknown;
  tenant: TenantRecord;
  consent: ConsentResult | null;
  retryCount: number;
  journal: EffectJournal;
  audit: Audit;
  log: Logger;
  privacy: PrivacyGuard | undefined;
  shutdownSignal: AbortSignal | undefined;
}

export async function runCoreLogic(i: CoreLogicInput): Promise<WorkflowResult> {
  const { workflow, tenant, sql } = i;
  // One plain controller per run (AbortSignal.timeout/any allocate transferable signals: measurably
  // slower per run), aborted by the run's timeout or the process's shutdown.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), workflow.timeoutMs);
  const shutdown = i.shutdownSignal;
  const onShutdown = () => controller.abort();
  if (shutdown?.aborted) controller.abort();
  shutdown?.addEventListener('abort', onShutdown, { once: true });
  const signal = controller.signal;
  const ctx: RunContext<unknown> = {
    envelope: i.envelope,
    payload: i.payload,
    tenant,
    retryCount: i.retryCount,
    consent: i.consent,
    policy: runPolicy(i.envelope, tenant),
    signal,
    log: i.log,
    effect: (name, spec, fn) => i.journal.effect(name, spec, fn, signal),
    lookup: {
      consent: (subjectId, channel) => findConsent(sql, tenant.tenantId, subjectId, channel),
      taskStatus: (taskId) => findTaskStatus(sql, tenant.tenantId, taskId),
    },
    patients: createPatientRecords(sql, i.envelope, i.privacy),
    recordDataWritten: (table, recordId) => {
      i.audit.data_written.push({ table, record_id: recordId });
    },
  };
  // The run must not outlive its lock: past the timeout it is abandoned as a retryable failure.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new WorkflowError('timeout', `run exceeded ${workflow.timeoutMs} ms or the worker is shutting down`));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([workflow.run(ctx), aborted]);
  } finally {
    clearTimeout(timer);
    shutdown?.removeEventListener('abort', onShutdown);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => {});
  }
}
