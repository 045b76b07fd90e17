import {
  keyForEnvelope,
  newCorrelationId,
  newRunId,
  payloadHash,
  tryParseIdempotencyKey,
  type Envelope,
  type FieldIssue,
} from '@revos/envelope';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { AnyManifest } from '../definition/manifest.js';
import { IntakeRefused, refusal, type RefusalCode } from './intake-refusal.js';

/** A completed envelope (not yet parsed) and the manifest it names, when registered. */
export interface CompletedEnvelope {
  envelope: Envelope;
  workflow: AnyManifest | undefined;
}

function refuse(code: RefusalCode, issue: FieldIssue, extraIssues: FieldIssue[] = []): never {
  throw new IntakeRefused(refusal(code, [...extraIssues, issue]));
}

/**
 * Fills what a caller may omit from a submitted envelope, for the API and the
 * CLI alike: run id, root = self for a new root, timestamp, correlation id,
 * the newest registered version, and the idempotency key from the convention's
 * formula. The tenant always comes from the caller's credentials; a body naming
 * another tenant is refused. A caller's own key must be in the convention's
 * format (checked by the schema afterwards) and match the payload.
 * The result still goes through the full schema on intake. Refusals are thrown as IntakeRefused,
 * after the front door's own `extraIssues`.
 */
export function completeEnvelope(input: unknown, tenantId: string, catalog: WorkflowCatalog<AnyManifest>, extraIssues: FieldIssue[] = []): CompletedEnvelope {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    refuse('invalid_envelope', { path: '', rule: 'type:object', message: 'the body must be a JSON object' }, extraIssues);
  }
  const body = input as Record<string, unknown>;
  const meta = (typeof body.meta === 'object' && body.meta !== null ? { ...(body.meta as Record<string, unknown>) } : null);
  if (!meta) return refuse('invalid_envelope', { path: 'meta', rule: 'required', message: 'meta is required' }, extraIssues);

  if (meta.tenant_id !== undefined && meta.tenant_id !== tenantId) {
    refuse('tenant_mismatch', { path: 'meta.tenant_id', rule: 'tenant_mismatch', message: 'meta.tenant_id must be the tenant of the API key (or be omitted)' }, extraIssues);
  }
  meta.tenant_id = tenantId;

  // One lookup: the version named, else the newest one.
  let workflow: AnyManifest | undefined;
  if (typeof meta.workflow_name === 'string') {
    const name = meta.workflow_name;
    if (typeof meta.workflow_version === 'string') {
      workflow = catalog.get(name, meta.workflow_version);
      if (!workflow) refuse('unknown_workflow', { path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${name}@${meta.workflow_version} is not registered` }, extraIssues);
    } else {
      if (meta.workflow_version === undefined) workflow = catalog.latest(name);
      // Without a version an unknown name would otherwise surface as "workflow_version required", which misleads.
      if (!catalog.has(name)) refuse('unknown_workflow', { path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${name.slice(0, 80)} is not registered` });
      if (workflow) meta.workflow_version = workflow.version;
    }
  }

  // Only an absent field is filled: an explicit null is the caller's mistake and the schema names it.
  if (meta.workflow_run_id === undefined) meta.workflow_run_id = newRunId();
  if (meta.root_run_id === undefined && !meta.parent_run_id) meta.root_run_id = meta.workflow_run_id;
  if (meta.timestamp_utc === undefined) meta.timestamp_utc = new Date().toISOString();
  if (meta.correlation_id === undefined) meta.correlation_id = newCorrelationId();

  const payload = body.payload;
  if (meta.idempotency_key === undefined) {
    if (typeof meta.workflow_name === 'string' && typeof meta.trigger_id === 'string' && isPlainObject(payload)) {
      try {
        meta.idempotency_key = keyForEnvelope({ tenant_id: tenantId, workflow_name: meta.workflow_name, trigger_id: meta.trigger_id, payload });
      } catch {
        // Leave it unset: the schema names the part (trigger_id, payload) that prevents a key.
      }
    }
  } else if (isPlainObject(payload)) {
    const parts = tryParseIdempotencyKey(meta.idempotency_key);
    if (parts && parts.payload_hash !== safePayloadHash(payload)) {
      refuse('idempotency_conflict', { path: 'meta.idempotency_key', rule: 'payload_hash_mismatch', message: 'the idempotency key was computed for another payload' }, extraIssues);
    }
  }
  return { envelope: { ...body, meta } as unknown as Envelope, workflow };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safePayloadHash(payload: Record<string, unknown>): string | null {
  try {
    return payloadHash(payload);
  } catch {
    return null;
  }
}
