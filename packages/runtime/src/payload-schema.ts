/**
 * The one door to a workflow's payload schema. Intake (400 before answering), the API
 * description (OpenAPI, GET /v1/workflows) and the pipeline (after dequeue) all go through here,
 * so when schemas move from the catalog into a manifest only this file changes.
 */
import { toFieldIssues, type FieldIssue } from '@revos/envelope';
import type { z } from 'zod';
import type { WorkflowCatalog } from './define-workflow.js';

/** The payload schema of `name@version`, or undefined when that version is not registered. */
export function payloadSchemaOf(catalog: WorkflowCatalog, name: string, version: string): z.ZodType | undefined {
  return catalog.get(name, version)?.payload;
}

/** Checks a payload against a schema; issues are rooted at `payload` (`payload.slot_start`), as the API answers them. */
export function payloadSchemaIssues(schema: z.ZodType, payload: unknown): FieldIssue[] {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return [];
  return toFieldIssues(parsed.error, payload).map((i) => ({ ...i, path: i.path ? `payload.${i.path}` : 'payload' }));
}

/**
 * The workflow-specific problems of a submitted envelope's payload. Empty when the envelope does
 * not yet name a registered workflow version or its payload is not an object: the envelope's own
 * schema reports those, and repeating them here would list one mistake twice.
 */
export function submittedPayloadIssues(catalog: WorkflowCatalog, envelope: { meta?: unknown; payload?: unknown }): FieldIssue[] {
  const meta = (typeof envelope.meta === 'object' && envelope.meta !== null ? envelope.meta : {}) as { workflow_name?: unknown; workflow_version?: unknown };
  if (typeof meta.workflow_name !== 'string' || typeof meta.workflow_version !== 'string') return [];
  const { payload } = envelope;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
  const schema = payloadSchemaOf(catalog, meta.workflow_name, meta.workflow_version);
  return schema ? payloadSchemaIssues(schema, payload) : [];
}
