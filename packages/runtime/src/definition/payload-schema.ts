/**
 * The one door to a workflow's payload schema. Intake (400 before answering), the API
 * description (OpenAPI, GET /v1/workflows) and the pipeline (after dequeue) all go through here,
 * reading the schema from the workflow's manifest.
 */
import { toFieldIssues, type FieldIssue } from '@revos/envelope';
import type { z } from 'zod';
import type { WorkflowCatalog } from './define-workflow.js';
import type { AnyManifest } from './manifest.js';

/** Checks one payload; issues are rooted at `payload` (`payload.slot_start`), as the API answers them. */
type PayloadValidator = (payload: unknown) => FieldIssue[];

// One validator a schema, built on first use and kept for the process (manifests live as long).
const validators = new WeakMap<z.ZodType, PayloadValidator>();

function validatorFor(schema: z.ZodType): PayloadValidator {
  let validate = validators.get(schema);
  if (!validate) {
    validate = (payload) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return [];
      return toFieldIssues(parsed.error, payload).map((i) => ({ ...i, path: i.path ? `payload.${i.path}` : 'payload' }));
    };
    validators.set(schema, validate);
  }
  return validate;
}

/** The payload schema of `name@version`, or undefined when that version is not registered. */
export function payloadSchemaOf(catalog: WorkflowCatalog<AnyManifest>, name: string, version: string): z.ZodType | undefined {
  return catalog.get(name, version)?.payload;
}

/** Checks a payload against a schema; issues are rooted at `payload` (`payload.slot_start`), as the API answers them. */
export function payloadSchemaIssues(schema: z.ZodType, payload: unknown): FieldIssue[] {
  return validatorFor(schema)(payload);
}

/**
 * The workflow-specific problems of a submitted payload. Empty when the payload is not an object:
 * the envelope's own schema reports that, and repeating it here would list one mistake twice.
 */
export function payloadIssuesFor(workflow: Pick<AnyManifest, 'payload'>, payload: unknown): FieldIssue[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
  return payloadSchemaIssues(workflow.payload, payload);
}
