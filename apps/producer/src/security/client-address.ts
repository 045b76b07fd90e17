/**
 * The address a request comes from, for the credential throttle. Behind a proxy the socket's peer is
 * the proxy, so X-Forwarded-For is read, but only when the peer is a proxy we trust (TRUSTED_PROXIES):
 * anyone can send the header, so a value not written by our own proxy must never become the key an
 * attacker rotates to escape a lockout.
 */
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `entries`: IPs or CIDR ranges, already validated by env.ts (TRUSTED_PROXIES). */
  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(bits), family);
    }
  }

  has(address: string): boolean {
    const family = isIP(address);
    if (family === 0 || this.empty) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed.toLowerCase();
}

/**
 * The network a throttle counts an address against: an IPv4 address itself, an IPv6 address's /64
 * (one subscriber is handed a whole /64, so counting single IPv6 addresses would let one attacker rotate
 * through billions of them). Anything that is not an IP address is its own network.
 */
export function throttleNetwork(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`::1.2.3.4`) stands for two groups; it only ever falls in the host half.
  const rightGroups = right.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - rightGroups).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The client: the socket's peer when it is not a trusted proxy; otherwise the right-most
 * X-Forwarded-For hop that is not a trusted proxy (each proxy appends the peer it saw, so hops to the
 * left of the first untrusted one may be forged). All hops trusted: the left-most one.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  const socketPeer = normalizeAddress(peer ?? '') || 'unknown';
  if (!trusted.has(socketPeer) || !forwardedFor) return socketPeer;
  const hops = forwardedFor.split(',').map(normalizeAddress).filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Not an address (a broken proxy, or garbage): stop here rather than believe anything to its left.
    if (isIP(hop) === 0) return `invalid:${hop.slice(0, 64)}`;
    if (!trusted.has(hop)) return hop;
  }
  return hops[0] ?? socketPeer;
}
