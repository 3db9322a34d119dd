/**
 * IP addresses and CIDR prefixes: parsing, the canonical text form, and a
 * longest-prefix map. Threat-intel lists, per-network detection settings and
 * evaluation labels all name networks this way.
 *
 * @example
 * const nets = new PrefixMap<string>();
 * nets.set('10.0.0.0/8', 'lan');
 * nets.set('10.1.0.0/16', 'servers');
 * nets.match('10.1.2.3'); // 'servers'
 * @module
 */

/** IPv4 dotted quad (decimal, 1 to 3 digits a part) to an unsigned 32-bit number; undefined when it is not one. */
export function parseIpv4(s: string): number | undefined {
  // A character loop: this runs for both addresses of every flow.
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (++digits > 3) return undefined;
      part = part * 10 + (c - 0x30);
    } else if (c === 0x2e && digits > 0 && dots < 3) {
      if (part > 255) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return n * 256 + part;
}

/** IPv6 text (RFC 4291 section 2.2, with `::` and a trailing dotted quad) to a 128-bit bigint; undefined when it is not one. */
export function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const w of [...head, ...new Array<number>(missing).fill(0), ...tail]) n = (n << 16n) | BigInt(w);
  return n;
}

/** Dotted quad of an unsigned 32-bit number. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Shortest IPv6 form (RFC 5952: lower case, longest run of zero words as `::`). */
export function formatIpv6(n: bigint): string {
  const w = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** `::ffff:0:0/96` shifted right by 32: IPv4-mapped IPv6 addresses. */
const V4_MAPPED = 0xffffn;

/** A parsed prefix: the network (address shifted right past the host bits) and its length. */
export type Prefix = { version: 4; net: number; len: number; text: string } | { version: 6; net: bigint; len: number; text: string };

/**
 * `203.0.113.7`, `198.51.100.0/24`, `2001:db8::/32` to a prefix whose text is
 * canonical (host bits cleared, RFC 5952 IPv6); undefined when it is none.
 * An address without a length is a full-length prefix written as the address.
 */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  const v4 = parseIpv4(addr);
  if (v4 !== undefined) {
    const len = lenText === undefined ? 32 : Number(lenText);
    if (len > 32) return undefined;
    const net = len === 0 ? 0 : v4 >>> (32 - len);
    const text = lenText === undefined ? formatIpv4(v4) : `${formatIpv4(len === 0 ? 0 : (net << (32 - len)) >>> 0)}/${len}`;
    return { version: 4, net, len, text };
  }
  const v6 = parseIpv6(addr);
  if (v6 === undefined) return undefined;
  const len = lenText === undefined ? 128 : Number(lenText);
  if (len > 128) return undefined;
  const net = v6 >> BigInt(128 - len);
  return { version: 6, net, len, text: lenText === undefined ? formatIpv6(v6) : `${formatIpv6(net << BigInt(128 - len))}/${len}` };
}

/**
 * Values keyed by prefix, looked up by address: one Map per prefix length,
 * keyed by the network, so a lookup costs one probe per distinct length,
 * longest first.
 */
export class PrefixMap<T> {
  #v4 = new Map<number, Map<number, T>>();
  #v6 = new Map<number, Map<bigint, T>>();
  #v4Lengths: number[] = [];
  #v6Lengths: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Distinct prefix lengths (IPv4, IPv6): the cost of one address lookup. */
  get prefixLengths(): { v4: number; v6: number } {
    return { v4: this.#v4Lengths.length, v6: this.#v6Lengths.length };
  }

  /**
   * Sets the value of a parsed prefix. When the prefix is already there,
   * `replace(old, value)` decides which stays (default: the new one).
   */
  set(prefix: Prefix, value: T, replace: (old: T, value: T) => boolean = () => true): void {
    if (prefix.version === 4) this.#put(this.#v4, this.#v4Lengths, prefix.len, prefix.net, value, replace);
    else this.#put(this.#v6, this.#v6Lengths, prefix.len, prefix.net, value, replace);
  }

  #put<K>(maps: Map<number, Map<K, T>>, lengths: number[], len: number, net: K, value: T, replace: (old: T, value: T) => boolean): void {
    let m = maps.get(len);
    if (!m) {
      maps.set(len, (m = new Map()));
      lengths.push(len);
      lengths.sort((a, b) => b - a);
    }
    const old = m.get(net);
    if (old === undefined) this.#size++;
    if (old === undefined || replace(old, value)) m.set(net, value);
  }

  /** The value of the most specific prefix covering `ip` (IPv4-mapped IPv6 also checks IPv4). */
  match(ip: string): T | undefined {
    if (this.#size === 0) return undefined;
    const v4 = parseIpv4(ip);
    if (v4 !== undefined) return this.#match4(v4);
    const v6 = parseIpv6(ip);
    if (v6 === undefined) return undefined;
    for (const len of this.#v6Lengths) {
      const hit = this.#v6.get(len)!.get(v6 >> BigInt(128 - len));
      if (hit !== undefined) return hit;
    }
    if (v6 >> 32n === V4_MAPPED) return this.#match4(Number(v6 & 0xffffffffn));
    return undefined;
  }

  #match4(v4: number): T | undefined {
    for (const len of this.#v4Lengths) {
      const hit = this.#v4.get(len)!.get(len === 0 ? 0 : v4 >>> (32 - len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

/** A set of addresses and prefixes. */
export class AddressSet {
  #prefixes = new PrefixMap<string>();
  #texts: string[] = [];

  /** Adds an address or prefix; false when `text` is neither. */
  add(text: string): boolean {
    const prefix = parsePrefix(text);
    if (!prefix) return false;
    this.#prefixes.set(prefix, prefix.text);
    this.#texts.push(prefix.text);
    return true;
  }

  has(ip: string): boolean {
    return this.#prefixes.match(ip) !== undefined;
  }

  /** The canonical texts added, in order. */
  get prefixes(): readonly string[] {
    return this.#texts;
  }
}
