/**
 * The client has no dependencies, so its types are written out; these checks hold them to the
 * producer's zod contracts and the reference workflows' payload schemas, so neither can drift.
 */
import { readFileSync } from 'node:fs';
import type * as Client from '@revos/client';
import type { RunAccepted, RunDetailSchema, RunRefused, RunTreeSchema, WorkflowInfo } from '@revos/producer';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { REFERENCE_TYPES_FILE, renderReferencePayloadTypes, tsType } from '../../scripts/generate-client-types.js';

describe('@revos/client types', () => {
  it("equal the producer's answer contracts", () => {
    expectTypeOf<Client.RunAccepted>().toEqualTypeOf<z.infer<typeof RunAccepted>>();
    expectTypeOf<Client.FieldIssue[]>().toEqualTypeOf<z.infer<typeof RunRefused>['issues']>();
    expectTypeOf<Client.WorkflowInfo>().toEqualTypeOf<z.infer<typeof WorkflowInfo>>();
    expectTypeOf<Client.RunDetail>().toEqualTypeOf<z.infer<typeof RunDetailSchema>>();
    expectTypeOf<Client.RunTree>().toEqualTypeOf<z.infer<typeof RunTreeSchema>>();
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
});
