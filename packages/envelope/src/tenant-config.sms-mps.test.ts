import { describe, expect, it } from 'vitest';
import { checkTenantConfig } from './tenant-config.js';

describe('tenant config sms_mps', () => {
  it('takes a rate per E.164 number, short code or messaging service', () => {
    expect(checkTenantConfig({ sms_mps: { '+15550001111': 1, '12345': 100, MG0123456789abcdef0123456789abcdef: 0.5 } }).ok).toBe(true);
  });

  it('refuses a bad sender or rate, naming the key and the rule', () => {
    const bad = (sms_mps: unknown) => {
      const r = checkTenantConfig({ sms_mps });
      return r.ok ? [] : r.issues.map((i) => [i.path, i.message]);
    };
    expect(bad({ '555-1111': 1 })[0]).toEqual(['config.sms_mps.555-1111', expect.stringContaining('E.164')]);
    expect(bad({ '+15550001111': 0 })).toEqual([['config.sms_mps.+15550001111', 'each rate must be above 0']]);
    expect(bad({ '+15550001111': 50_000 })).toEqual([['config.sms_mps.+15550001111', 'each rate must be at most 10000']]);
    expect(bad(3)).toEqual([['config.sms_mps', expect.stringContaining('sender to messages a second')]]);
  });
});
