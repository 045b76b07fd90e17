import { describe, expect, it } from 'vitest';
import { signedUrl, signedUrlVariants, twilioSignature, twilioSignatureAlgorithm, verifyTwilioSignature } from './signatures.js';
import { twilioFormIssues } from './twilio-form.js';

const TOKEN = 'twilio-auth-token';
const PARAMS = { MessageSid: 'SM1', Body: 'hi' };

describe('Twilio signature URL variants', () => {
  it('accepts a signature made over the URL with the default port when we rebuilt it without, and the reverse', () => {
    const withPort = 'https://api.example.com:443/webhooks/twilio/t_a/sms';
    const without = 'https://api.example.com/webhooks/twilio/t_a/sms';
    expect(verifyTwilioSignature(TOKEN, without, PARAMS, twilioSignature(TOKEN, withPort, PARAMS))).toBe(true);
    expect(verifyTwilioSignature(TOKEN, withPort, PARAMS, twilioSignature(TOKEN, without, PARAMS))).toBe(true);
    expect(verifyTwilioSignature(TOKEN, 'http://h/x', PARAMS, twilioSignature(TOKEN, 'http://h:80/x', PARAMS))).toBe(true);
  });

  it('does not treat another port, host or path as the same URL', () => {
    const signed = twilioSignature(TOKEN, 'https://api.example.com:8443/x', PARAMS);
    expect(verifyTwilioSignature(TOKEN, 'https://api.example.com/x', PARAMS, signed)).toBe(false);
    expect(signedUrlVariants('https://api.example.com:8443/x?a=1')).toEqual(['https://api.example.com:8443/x?a=1']);
    expect(signedUrlVariants('https://h/x?a=1')).toEqual(['https://h/x?a=1', 'https://h:443/x?a=1']);
  });

  it('signs repeated form keys by name and value, in order', () => {
    const form = new URLSearchParams([['MediaUrl', 'b'], ['MediaUrl', 'a'], ['MessageSid', 'SM1']]);
    const sorted = new URLSearchParams([['MediaUrl', 'a'], ['MediaUrl', 'b'], ['MessageSid', 'SM1']]);
    expect(twilioSignature(TOKEN, 'https://h/x', form)).toBe(twilioSignature(TOKEN, 'https://h/x', sorted));
    expect(verifyTwilioSignature(TOKEN, 'https://h/x', new URLSearchParams([['MediaUrl', 'a']]), twilioSignature(TOKEN, 'https://h/x', form))).toBe(false);
  });
});

describe('the URL Twilio signed', () => {
  it('keeps the request target as received, behind PUBLIC_BASE_URL or our own origin', () => {
    const normalised = "http://127.0.0.1:3000/webhooks/twilio/t_a/sms?name=O%27Brien";
    expect(signedUrl(normalised, "/webhooks/twilio/t_a/sms?name=O'Brien", 'https://hooks.example.com/')).toBe("https://hooks.example.com/webhooks/twilio/t_a/sms?name=O'Brien");
    expect(signedUrl(normalised, "/webhooks/twilio/t_a/sms?name=O'Brien", undefined)).toBe("http://127.0.0.1:3000/webhooks/twilio/t_a/sms?name=O'Brien");
    // No Node request (or an absolute-form target): the request URL's own path and query.
    expect(signedUrl(normalised, undefined, 'https://hooks.example.com')).toBe('https://hooks.example.com/webhooks/twilio/t_a/sms?name=O%27Brien');
    expect(signedUrl(normalised, 'http://evil.example/x', undefined)).toBe(normalised);
  });

  it('reads the algorithm of X-Twilio-Webhooks-Signature-Settings, HMAC_SHA1 when it names none', () => {
    expect(twilioSignatureAlgorithm('key=webhooks_sharedkey_1, algorithm=hmac_sha256')).toBe('HMAC_SHA256');
    expect(twilioSignatureAlgorithm('key=webhooks_sharedkey_1')).toBe('HMAC_SHA1');
    expect(twilioSignatureAlgorithm(undefined)).toBe('HMAC_SHA1');
    expect(twilioSignatureAlgorithm('algorithm=HMAC_SHA512')).toBe('HMAC_SHA512');
  });

  it('signs an identical repeated value once, and a distinct one by itself', () => {
    const once = twilioSignature(TOKEN, 'https://h/x', [['Tag', 'a'], ['MessageSid', 'SM1']]);
    expect(twilioSignature(TOKEN, 'https://h/x', [['Tag', 'a'], ['Tag', 'a'], ['MessageSid', 'SM1']])).toBe(once);
    expect(twilioSignature(TOKEN, 'https://h/x', [['Tag', 'a'], ['Tag', 'b'], ['MessageSid', 'SM1']])).not.toBe(once);
  });
});

describe('Twilio form checks', () => {
  it('refuses a field we read that appears twice, naming it', () => {
    expect(twilioFormIssues(new URLSearchParams([['MessageSid', 'SM1'], ['MessageSid', 'SM2'], ['Body', 'x']]))).toEqual([
      { path: 'MessageSid', rule: 'repeated_key', message: 'MessageSid appears 2 times; it must appear once' },
    ]);
    expect(twilioFormIssues(new URLSearchParams([['MediaUrl0', 'a'], ['MessageSid', 'SM1']]))).toEqual([]);
  });

  it('refuses a form with far more fields than Twilio sends', () => {
    const huge = new URLSearchParams(Array.from({ length: 201 }, (_, i): [string, string] => [`F${i}`, 'x']));
    expect(twilioFormIssues(huge)).toEqual([{ path: '', rule: 'max_keys', message: 'more than 200 form fields' }]);
  });
});
