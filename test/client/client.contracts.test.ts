/**
 * The client has no dependencies, so its types are plain TypeScript generated from the producer's zod
 * contracts and the reference workflows' payload schemas; these checks fail when a generated file is
 * stale (regenerated in memory and compared) or no longer equals the contracts.
 */
import { readFileSync } from 'node:fs';
import type * as Client from '@revos/client';
import type { RunAccepted, RunDetailSchema, RunRefused, RunTreeSchema, WorkflowInfo } from '@revos/producer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { CONTRACT_TYPES_FILE, REFERENCE_TYPES_FILE, renderContractTypes, renderReferencePayloadTypes, tsType, zodType } from '../../scripts/generate-client-types.js';

describe('@revos/client types', () => {
  it("equal the producer's answer contracts", () => {
    expectTypeOf<Client.RunAccepted>().toEqualTypeOf<z.infer<typeof RunAccepted>>();
    expectTypeOf<Client.FieldIssue[]>().toEqualTypeOf<z.infer<typeof RunRefused>['issues']>();
    expectTypeOf<Client.WorkflowInfo>().toEqualTypeOf<z.infer<typeof WorkflowInfo>>();
    expectTypeOf<Client.RunDetail>().toEqualTypeOf<z.infer<typeof RunDetailSchema>>();
    expectTypeOf<Client.RunTree>().toEqualTypeOf<z.infer<typeof RunTreeSchema>>();
  });

  it("packages/client/src/contracts.generated.ts is what the producer's contracts generate (else: npm run generate:client)", () => {
    expect(readFileSync(CONTRACT_TYPES_FILE, 'utf8')).toBe(renderContractTypes());
  });

  it("packages/client/src/reference-workflows.ts is what the reference workflows' schemas generate (else: npm run generate:client)", () => {
    expect(readFileSync(REFERENCE_TYPES_FILE, 'utf8')).toBe(renderReferencePayloadTypes());
  });

  it('renders the JSON Schema shapes zod emits as TypeScript', () => {
    expect(tsType({ type: 'string' })).toBe('string');
    expect(tsType({ type: ['string', 'null'] })).toBe('string | null');
    expect(tsType({ enum: ['a', 'b'] })).toBe('"a" | "b"');
    expect(tsType({ const: 3 })).toBe('3');
    expect(tsType({ type: 'array', items: { type: 'integer' } })).toBe('Array<number>');
    expect(tsType({ anyOf: [{ type: 'boolean' }, { type: 'null' }] })).toBe('boolean | null');
    expect(tsType({ type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'number' } })).toBe('Record<string, number>');
    expect(tsType({ type: 'object', properties: { a: { type: 'string' }, 'b-c': { type: 'number' } }, required: ['a'], additionalProperties: false })).toBe(
      '{\n  a: string;\n  "b-c"?: number;\n}',
    );
    expect(tsType({ type: 'object', properties: {} })).toBe('{\n  [key: string]: unknown;\n}');
    expect(tsType({ not: {} })).toBe('unknown');
  });

  it('renders the zod kinds of the answer contracts as their output types, and refuses any other', () => {
    const Named = z.object({ a: z.string() });
    const names = new Map<unknown, string>([[Named._zod.def, 'Named']]);
    expect(zodType(z.number().int().nullable())).toBe('number | null');
    expect(zodType(z.enum(['x', 'y']))).toBe('"x" | "y"');
    expect(zodType(z.array(z.unknown()))).toBe('unknown[]');
    expect(zodType(z.array(z.string().nullable()))).toBe('Array<string | null>');
    expect(zodType(z.record(z.string(), z.boolean()))).toBe('Record<string, boolean>');
    expect(zodType(z.object({ n: Named.describe('a copy is the same contract'), o: z.string().optional().describe('maybe') }), names)).toBe(
      '{\n  /** a copy is the same contract */\n  n: Named;\n  /** maybe */\n  o?: string;\n}',
    );
    expect(() => zodType(z.string().transform((s) => s.length))).toThrow(/cannot render zod type "pipe"/);
  });
});
