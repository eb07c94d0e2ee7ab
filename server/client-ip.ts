/**
 * The client's address as logs, throttling and client keys see it. Only when the socket's peer is
 * one of TRUSTED_PROXIES (CIDRs; none by default) is X-Forwarded-For read, and then its right-most
 * address that is not itself a trusted proxy: the entries left of it are whatever the client wrote.
 * CIDR parsing and matching are ipaddr.js's (the library Express's proxy-addr uses).
 */
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address in one form: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as sockets report) as IPv4. */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const value = address.trim().replace(/^\[(.*)\]$/, '$1');
  return ipaddr.isValid(value) ? ipaddr.process(value) : null;
}

export class TrustedProxies {
  private readonly ranges: Range[];

  /** Throws with the offending entry when one is not a CIDR or an address. */
  constructor(entries: readonly string[]) {
    this.ranges = entries.map((entry) => {
      const text = entry.trim();
      try {
        if (text.includes('/')) {
          const [addr, bits] = ipaddr.parseCIDR(text);
          // `::ffff:10.0.0.0/104` is 10.0.0.0/8: addresses are compared in their IPv4 form.
          if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) return [addr.toIPv4Address(), Math.max(0, bits - 96)] as Range;
          return [addr, bits] as Range;
        }
        const addr = parse(text);
        if (!addr) throw new Error('not an address');
        return [addr, addr.kind() === 'ipv4' ? 32 : 128] as Range;
      } catch {
        throw new Error(`"${text}" is not an IP address or CIDR range`);
      }
    });
  }

  get none(): boolean {
    return this.ranges.length === 0;
  }

  private trusted(addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range as never, bits));
  }

  /** Whether the peer is one of the trusted proxies (whose X-Forwarded-* headers count). */
  trusts(peer: string | null): boolean {
    if (peer === null || this.none) return false;
    const addr = parse(peer);
    return addr !== null && this.trusted(addr);
  }

  /** The client: the peer, or (behind a trusted proxy) the right-most untrusted X-Forwarded-For hop. */
  clientIp(peer: string | null, forwardedFor: string | null): string | null {
    if (peer === null || this.none) return peer;
    let hop = parse(peer);
    if (!hop || !this.trusted(hop) || !forwardedFor) return peer;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const next = parse(hops[i]!);
      // A hop that is no address ends the chain: the last trusted one is who we know sent it.
      if (!next) break;
      hop = next;
      if (!this.trusted(hop)) break;
    }
    return hop.toString();
  }
}
