import {
  keyForEnvelope,
  newCorrelationId,
  newRunId,
  payloadHash,
  tryParseIdempotencyKey,
  type Envelope,
  type FieldIssue,
} from '@revos/envelope';
import type { WorkflowCatalog } from './define-workflow.js';

/** Why a submitted envelope cannot be completed, in the API's terms. */
export class EnvelopeRejected extends Error {
  override name = 'EnvelopeRejected';
  constructor(
    /** 400 invalid input, 403 another tenant's envelope, 404 unknown workflow, 409 key does not match the payload. */
    readonly httpStatus: 400 | 403 | 404 | 409,
    readonly error: 'invalid_envelope' | 'tenant_mismatch' | 'unknown_workflow' | 'idempotency_conflict',
    readonly issues: FieldIssue[],
  ) {
    super(`${error}: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`);
  }
}

/**
 * Fills what a caller may omit from a submitted envelope, for the API and the
 * CLI alike: run id, root = self for a new root, timestamp, correlation id,
 * the newest registered version, and the idempotency key from the convention's
 * formula. The tenant always comes from the caller's credentials; a body naming
 * another tenant is refused. A caller's own key must be in the convention's
 * format (checked by the schema afterwards) and match the payload.
 * The result still goes through the full schema on intake.
 */
export function completeEnvelope(input: unknown, tenantId: string, catalog: WorkflowCatalog): Envelope {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EnvelopeRejected(400, 'invalid_envelope', [{ path: '', rule: 'type:object', message: 'the body must be a JSON object' }]);
  }
  const body = input as Record<string, unknown>;
  const meta = (typeof body.meta === 'object' && body.meta !== null ? { ...(body.meta as Record<string, unknown>) } : null);
  if (!meta) throw new EnvelopeRejected(400, 'invalid_envelope', [{ path: 'meta', rule: 'required', message: 'meta is required' }]);

  if (meta.tenant_id !== undefined && meta.tenant_id !== tenantId) {
    throw new EnvelopeRejected(403, 'tenant_mismatch', [{ path: 'meta.tenant_id', rule: 'tenant_mismatch', message: 'meta.tenant_id must be the tenant of the API key (or be omitted)' }]);
  }
  meta.tenant_id = tenantId;

  if (typeof meta.workflow_name === 'string' && meta.workflow_version === undefined) {
    const latest = catalog.latest(meta.workflow_name);
    if (latest) meta.workflow_version = latest.version;
  }
  if (typeof meta.workflow_name === 'string' && typeof meta.workflow_version === 'string' && !catalog.get(meta.workflow_name, meta.workflow_version)) {
    throw new EnvelopeRejected(404, 'unknown_workflow', [{ path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${meta.workflow_name}@${meta.workflow_version} is not registered` }]);
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
      throw new EnvelopeRejected(409, 'idempotency_conflict', [{ path: 'meta.idempotency_key', rule: 'payload_hash_mismatch', message: 'the idempotency key was computed for another payload' }]);
    }
  }
  return { ...body, meta } as unknown as Envelope;
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
