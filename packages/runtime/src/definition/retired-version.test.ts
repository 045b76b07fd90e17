import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, WorkflowCatalog } from './define-workflow.js';
import { defineManifest } from './manifest.js';
import { isRetiredVersion, retiredVersion } from './retired-version.js';

const v1 = defineManifest({ name: 'WF96_Retire_Me', version: '1.2.0', lane: 'batch', payload: z.object({ text: z.string() }) });
const v2 = defineWorkflow({ name: 'WF96_Retire_Me', version: '2.0.0', lane: 'batch', payload: z.object({ body: z.string() }), run: async () => ({ summary: 'ok' }) });

describe('retired versions in the catalog', () => {
  it('refuses, at load, an upgrade that is not to a newer semver', () => {
    expect(() => retiredVersion(v1, { upgradeTo: '1.2.0', upgrade: (p) => p })).toThrow('WF96_Retire_Me@1.2.0: upgradeTo 1.2.0 must be newer than 1.2.0');
    expect(() => retiredVersion(v1, { upgradeTo: '1.1.9', upgrade: (p) => p })).toThrow(/must be newer/);
    expect(() => retiredVersion(v1, { upgradeTo: 'next', upgrade: (p) => p })).toThrow('WF96_Retire_Me@1.2.0: upgradeTo next must be semver');
  });

  it('refuses, at load, a catalog whose retired version upgrades to a version it does not register', () => {
    const retired = retiredVersion(v1, { upgradeTo: '2.0.0', upgrade: (p) => ({ body: p.text }) });
    expect(() => new WorkflowCatalog([retired])).toThrow('workflow WF96_Retire_Me@1.2.0 upgrades to 2.0.0, which is not registered');
  });

  it('serves the retired version beside the newer one; new runs get the newer (latest)', () => {
    const catalog = new WorkflowCatalog([retiredVersion(v1, { upgradeTo: '2.0.0', upgrade: (p) => ({ body: p.text }) }), v2]);
    expect(catalog.get('WF96_Retire_Me', '1.2.0')).toSatisfy(isRetiredVersion);
    expect(catalog.latest('WF96_Retire_Me')?.version).toBe('2.0.0');
    expect(catalog.isAhead('WF96_Retire_Me', '2.1.0')).toBe(true);
    expect(catalog.isAhead('WF96_Retire_Me', '1.0.0')).toBe(false);
    expect(catalog.isAhead('WF95_Not_Here', '9.0.0')).toBe(false);
  });
});
