/**
 * The producer accepts runs by the manifests; the worker runs the handlers bound to them. The two
 * must agree on every setting, and a manifest must load without any handler or vendor adapter.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Db } from '@revos/db';
import { describe, expect, it } from 'vitest';
import { createHttpPmsAdapter, createPostmarkEmailProvider, createStripePaymentProvider, createTwilioSmsProvider, createTwilioVoiceProvider } from '../adapters/index.js';
import { referenceWorkflows } from '../index.js';
import { referenceManifests } from './index.js';

// Built only to bind handlers; nothing here calls a vendor or the record.
const unused = { baseUrl: 'https://vendor.invalid', accountSid: 'AC_test', authToken: 'unused', timeoutMs: 1_000 };
const bound = referenceWorkflows({
  sms: createTwilioSmsProvider(unused),
  voice: createTwilioVoiceProvider(unused),
  pms: createHttpPmsAdapter({ baseUrl: 'https://vendor.invalid/pms', apiKey: 'unused', timeoutMs: 1_000 }),
  payments: createStripePaymentProvider({ baseUrl: 'https://vendor.invalid', secretKey: 'unused', timeoutMs: 1_000 }),
  email: createPostmarkEmailProvider({ baseUrl: 'https://vendor.invalid', serverToken: 'unused', timeoutMs: 1_000 }),
  privacy: { tokenKey: randomBytes(32).toString('base64') },
  records: {} as Db,
});

describe('reference manifests', () => {
  it('list every workflow the worker can run, once', () => {
    const named = (list: readonly { name: string; version: string }[]) => list.map((w) => `${w.name}@${w.version}`).sort();
    expect(named(referenceManifests)).toEqual(named(bound));
    expect(new Set(named(referenceManifests)).size).toBe(referenceManifests.length);
  });

  it('hold exactly the settings of the handler bound to them, the payload schema included', () => {
    for (const workflow of bound) {
      const manifest = referenceManifests.find((m) => m.name === workflow.name && m.version === workflow.version);
      const { run, ...settings } = workflow;
      expect(typeof run).toBe('function');
      expect(settings).toEqual(manifest);
      expect(settings.payload).toBe(manifest?.payload);
    }
  });

  it('import no handler, adapter or database module', () => {
    const dir = new URL('./', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const imports = [...readFileSync(new URL(file, dir), 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) expect(`${file}: ${spec}`).toMatch(/: (zod|@revos\/envelope|@revos\/runtime|\.\/WF\d+_\w+\.js)$/);
    }
  });
});
