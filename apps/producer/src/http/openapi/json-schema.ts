/**
 * zod → JSON Schema (2020-12, the dialect of OpenAPI 3.1) for the API description. One place
 * decides how a contract is rendered: as its *input* (what a caller sends: defaults optional),
 * with anything JSON Schema cannot say (a transform, a refinement) left open rather than failing.
 */
import { z } from 'zod';
import { DOCUMENTED_AS, DOCUMENTED_NULLABLE } from '../../contracts/api.js';

export type JsonSchema = Record<string, unknown>;

/** A schema and the named sub-schemas it needs (recursive ones), to be placed beside it. */
export interface RenderedSchema {
  schema: JsonSchema;
  /** Extra named schemas, already referenced from `schema` as `${refBase}<name>`. */
  defs: Record<string, JsonSchema>;
}

/**
 * Renders `schema` for a document whose named schemas live under `refBase` (for OpenAPI,
 * `#/components/schemas/`). zod puts recursive parts under `$defs` and refers to the root as `#`;
 * both are rewritten so they stay valid once the schema is moved into the document.
 */
export function renderSchema(name: string, schema: z.ZodType, refBase = '#/components/schemas/'): RenderedSchema {
  const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = raw;
  const defNames = new Map(Object.keys(($defs ?? {}) as JsonSchema).map((d) => [d, `${name}.${d}`]));
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    if (DOCUMENTED_AS in value) return documented(value as JsonSchema, refBase);
    const out: JsonSchema = {};
    for (const [key, member] of Object.entries(value)) {
      if (key === '$ref' && typeof member === 'string') out[key] = rewriteRef(member);
      else out[key] = rewrite(member);
    }
    return out;
  };
  const rewriteRef = (ref: string): string => {
    if (ref === '#') return `${refBase}${name}`;
    const def = /^#\/\$defs\/(.+)$/.exec(ref);
    const target = def ? defNames.get(def[1]!) : undefined;
    return target ? `${refBase}${target}` : ref;
  };
  const defs: Record<string, JsonSchema> = {};
  for (const [def, body] of Object.entries(($defs ?? {}) as Record<string, unknown>)) defs[defNames.get(def)!] = rewrite(body) as JsonSchema;
  return { schema: rewrite(rest) as JsonSchema, defs };
}

/** A field a contract marks as documented by a named component (contracts/api.ts): its `$ref`, or the ref or null. */
function documented(node: JsonSchema, refBase: string): JsonSchema {
  const { [DOCUMENTED_AS]: component, [DOCUMENTED_NULLABLE]: nullable, ...rest } = node;
  const ref = { $ref: `${refBase}${String(component)}` };
  return nullable === true ? { ...rest, oneOf: [ref, { type: 'null' }] } : { ...rest, ...ref };
}

/** A self-contained JSON Schema (own `$schema`, `$defs` kept) for answers outside a document (GET /v1/workflows). */
export function standaloneSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
}
