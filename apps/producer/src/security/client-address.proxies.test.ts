import { describe, expect, it } from 'vitest';
import { clientAddress, throttleNetwork, TrustedProxies } from './client-address.js';
import { addressKey, CredentialThrottle } from './credential-throttle.js';

describe('clientAddress', () => {
  const none = new TrustedProxies([]);
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

  it('without trusted proxies: the socket peer, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', '1.2.3.4', none)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', undefined, none)).toBe('203.0.113.7');
    expect(clientAddress(undefined, undefined, none)).toBe('unknown');
  });

  it('an untrusted peer is the client even when it sends X-Forwarded-For', () => {
    expect(clientAddress('203.0.113.7', '10.0.0.3, 1.2.3.4', proxies)).toBe('203.0.113.7');
  });

  it('behind trusted proxies: the right-most hop a trusted proxy did not add (forged hops to its left are ignored)', () => {
    expect(clientAddress('10.0.0.2', '198.51.100.9', proxies)).toBe('198.51.100.9');
    expect(clientAddress('10.0.0.2', 'forged-1.1.1.1, 198.51.100.9, 192.168.1.5', proxies)).toBe('198.51.100.9');
    expect(clientAddress('::ffff:10.0.0.2', '6.6.6.6, 198.51.100.9, 10.1.2.3', proxies)).toBe('198.51.100.9');
    expect(clientAddress('fd00::1', '2001:db8::7', proxies)).toBe('2001:db8::7');
  });

  it('every hop trusted: the left-most; garbage where an address should be is its own key, never skipped', () => {
    expect(clientAddress('10.0.0.2', '10.0.0.9, 10.0.0.3', proxies)).toBe('10.0.0.9');
    expect(clientAddress('10.0.0.2', '198.51.100.9, not-an-ip', proxies)).toBe('invalid:not-an-ip');
    expect(clientAddress('10.0.0.2', '', proxies)).toBe('10.0.0.2');
  });
});

describe('throttleNetwork', () => {
  it('counts an IPv6 client by its /64, whatever the spelling, and an IPv4 client by itself', () => {
    expect(throttleNetwork('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(throttleNetwork('2001:db8:0:1:ffff:ffff:ffff:fffe')).toBe('2001:db8:0:1::/64');
    expect(throttleNetwork('2001:0db8:0000:0001:0:0:0:9')).toBe('2001:db8:0:1::/64');
    expect(throttleNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(throttleNetwork('::1')).toBe('0:0:0:0::/64');
    expect(throttleNetwork('2001:db8:0:2::1')).not.toBe(throttleNetwork('2001:db8:0:1::1'));
    expect(throttleNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleNetwork('unknown')).toBe('unknown');
  });

  it('locks a whole /64 once one address of it is locked', () => {
    const throttle = new CredentialThrottle({ freeAttempts: 2, baseLockMs: 60_000, maxLockMs: 60_000, maxEntries: 100 });
    for (let i = 1; i <= 3; i += 1) throttle.recordFailure([addressKey(`2001:db8:0:1::${i}`)]);
    expect(throttle.retryAfterMs([addressKey('2001:db8:0:1::beef')])).toBeGreaterThan(0);
    expect(throttle.retryAfterMs([addressKey('2001:db8:0:2::1')])).toBe(0);
  });
});
