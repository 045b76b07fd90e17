import { signGeneric, twilioSignature, verifyGenericSignature, verifyTwilioSignature } from '@revos/producer';
import { describe, expect, it } from 'vitest';

describe('webhook signatures', () => {
  // Twilio's documented example (auth token 12345, "Validating Signatures from Twilio").
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };

  it('computes the Twilio signature of the documented example', () => {
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    // Parameter order as sent does not matter; names are sorted.
    expect(twilioSignature('12345', url, new URLSearchParams(Object.entries(params).reverse()))).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('verifies only the exact token, URL and parameters', () => {
    expect(verifyTwilioSignature('12345', url, params, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')).toBe(true);
    expect(verifyTwilioSignature('12346', url, params, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')).toBe(false);
    expect(verifyTwilioSignature('12345', `${url}&baz=3`, params, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')).toBe(false);
    expect(verifyTwilioSignature('12345', url, { ...params, Digits: '1235' }, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=')).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, '0/KCTR6DLpKmkAf8muzZqo1nDgQ')).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, undefined)).toBe(false);
  });

  it('signs generic webhooks as v1=<hex HMAC-SHA256(secret, ts.path.body)> and checks the window both ways', () => {
    const body = '{"trigger_id":"x","payload":{}}';
    const path = '/webhooks/generic/t_acme/WF11_Log_Event';
    const signature = signGeneric('s3cret', 1_700_000_000, path, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    const check = (over: Partial<Parameters<typeof verifyGenericSignature>[0]>) =>
      verifyGenericSignature({ secret: 's3cret', timestamp: '1700000000', signature, path, rawBody: body, toleranceS: 300, nowS: 1_700_000_100, ...over });
    expect(check({})).toEqual({ ok: true });
    // The same signed request aimed at another tenant's URL is refused.
    expect(check({ path: '/webhooks/generic/t_other/WF11_Log_Event' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ signature: `v1=${'0'.repeat(64)}, ${signature}` })).toEqual({ ok: true }); // rotation: any offered value
    expect(check({ nowS: 1_700_000_301 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(check({ nowS: 1_699_999_699 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(check({ rawBody: `${body} ` })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ secret: 'other' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ timestamp: '1700000000.5' })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing' });
  });
});
