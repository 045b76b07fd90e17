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
 * The workflow-specific problems of a submitted payload: its schema's, then each of the manifest's
 * `futureTimes` that has passed by `now` (the moment of the check). Empty when the payload is not an
 * object: the envelope's own schema reports that, and repeating it here would list one mistake twice.
 * Front doors only: the pipeline checks the schema alone, since a queued run may start after its time.
 */
export function payloadIssuesFor(workflow: Pick<AnyManifest, 'payload' | 'futureTimes'>, payload: unknown, now: Date = new Date()): FieldIssue[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
  const issues = payloadSchemaIssues(workflow.payload, payload);
  return [...issues, ...pastTimeIssues(workflow.futureTimes, payload as Record<string, unknown>, now, issues)];
}

/** `in_the_past` for each named field whose date-time is not after `now`; a field the schema already faulted is not named twice. */
function pastTimeIssues(fields: readonly string[], payload: Record<string, unknown>, now: Date, known: FieldIssue[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of fields) {
    const path = `payload.${field}`;
    const value = payload[field];
    if (typeof value !== 'string' || known.some((i) => i.path === path)) continue;
    const at = Date.parse(value);
    // The value itself is not echoed: an appointment time is the caller's to know, not our answers' or logs'.
    if (at <= now.getTime()) issues.push({ path, rule: 'in_the_past', message: `${path} has passed: it must be after the time of the request (${now.toISOString()})` });
  }
  return issues;
}
