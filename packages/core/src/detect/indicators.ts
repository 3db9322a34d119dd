/**
 * Indicator lists for `threat_intel`: IP addresses, CIDR prefixes and
 * domains, in the plain form blocklists already come in (FireHOL netsets,
 * abuse.ch IP lists, Spamhaus DROP, domain lists): one indicator a line,
 * `#` or `;` comments (whole lines, or after the indicator and a space) and
 * blank lines skipped.
 *
 * - `203.0.113.7`, `2001:db8::1`: one address;
 * - `198.51.100.0/24`, `2001:db8::/32`: a prefix (host bits are ignored);
 * - `evil.example`, `*.evil.example`, `evil.example.`: that domain and every
 *   name under it (`a.evil.example`, not `notevil.example`).
 *
 * Anything else on a line is refused with the file and line number.
 * Addresses are matched with one hash lookup per distinct prefix length in
 * the lists (most specific first), domains with one lookup per label.
 *
 * @example
 * const intel = loadIndicators(['/etc/mommynet/feodo.txt', { path: 'c2.txt', severity: 1 }]);
 * intel.matchIp('203.0.113.7');          // { indicator: '203.0.113.0/24', file, line, severity }
 * intel.matchDomain('www.evil.example'); // { indicator: 'evil.example', ... }
 * @module
 */
import { readFileSync } from 'node:fs';

import type { Severity } from './alert.js';

export interface Indicator {
  /** Normalized: `203.0.113.7`, `198.51.100.0/24`, `2001:db8::/32`, `evil.example`. */
  indicator: string;
  kind: 'ip' | 'cidr' | 'domain';
  file: string;
  line: number;
  severity: Severity;
}

/** A list file, and the severity of its alerts (default 2). */
export type IndicatorList = string | { path: string; severity?: Severity };

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

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Shortest IPv6 form (RFC 5952: lower case, longest run of zero words as `::`). */
function formatIpv6(n: bigint): string {
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

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A domain in lower case without a trailing dot or leading `*.`; undefined when it is not one. */
export function normalizeDomain(s: string): string | undefined {
  let d = s.toLowerCase();
  if (d.startsWith('*.')) d = d.slice(2);
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253 || /^[\d.]+$/.test(d)) return undefined; // digits and dots: a bad address
  return d.split('.').every((l) => LABEL.test(l)) ? d : undefined;
}

/** `::ffff:0:0/96` shifted right by 32: IPv4-mapped IPv6 addresses. */
const V4_MAPPED = 0xffffn;

/**
 * IP, CIDR and domain indicators. Addresses live in one Map per prefix
 * length, keyed by the network (the address shifted right past the host
 * bits), so a lookup costs one probe per distinct length, longest first.
 */
export class IndicatorSet {
  #v4 = new Map<number, Map<number, Indicator>>();
  #v6 = new Map<number, Map<bigint, Indicator>>();
  #v4Lengths: number[] = [];
  #v6Lengths: number[] = [];
  #domains = new Map<string, Indicator>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Distinct prefix lengths (IPv4, IPv6): the cost of one address lookup. */
  get prefixLengths(): { v4: number; v6: number } {
    return { v4: this.#v4Lengths.length, v6: this.#v6Lengths.length };
  }

  get domains(): number {
    return this.#domains.size;
  }

  /**
   * Adds one indicator in list syntax; false when `text` is none. When an
   * indicator is listed twice, the more severe entry stays.
   */
  add(text: string, origin: { file: string; line: number; severity?: Severity }): boolean {
    const severity = origin.severity ?? 2;
    const slash = text.indexOf('/');
    const addr = slash < 0 ? text : text.slice(0, slash);
    const lenText = slash < 0 ? undefined : text.slice(slash + 1);
    if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return false;
    const v4 = parseIpv4(addr);
    if (v4 !== undefined) {
      const len = lenText === undefined ? 32 : Number(lenText);
      if (len > 32) return false;
      const net = len === 0 ? 0 : v4 >>> (32 - len);
      const indicator = len === 32 && lenText === undefined ? formatIpv4(v4) : `${formatIpv4(len === 0 ? 0 : (net << (32 - len)) >>> 0)}/${len}`;
      this.#put(this.#v4, this.#v4Lengths, len, net, { indicator, kind: lenText === undefined ? 'ip' : 'cidr', ...origin, severity });
      return true;
    }
    const v6 = parseIpv6(addr);
    if (v6 !== undefined) {
      const len = lenText === undefined ? 128 : Number(lenText);
      if (len > 128) return false;
      const net = v6 >> BigInt(128 - len);
      const indicator = lenText === undefined ? formatIpv6(v6) : `${formatIpv6(net << BigInt(128 - len))}/${len}`;
      this.#put(this.#v6, this.#v6Lengths, len, net, { indicator, kind: lenText === undefined ? 'ip' : 'cidr', ...origin, severity });
      return true;
    }
    if (lenText !== undefined) return false;
    const domain = normalizeDomain(text);
    if (domain === undefined) return false;
    const entry: Indicator = { indicator: domain, kind: 'domain', ...origin, severity };
    const old = this.#domains.get(domain);
    if (!old) this.#size++;
    if (!old || entry.severity < old.severity) this.#domains.set(domain, entry);
    return true;
  }

  #put<K>(maps: Map<number, Map<K, Indicator>>, lengths: number[], len: number, net: K, entry: Indicator): void {
    let m = maps.get(len);
    if (!m) {
      maps.set(len, (m = new Map()));
      lengths.push(len);
      lengths.sort((a, b) => b - a);
    }
    const old = m.get(net);
    if (!old) this.#size++;
    if (!old || entry.severity < old.severity) m.set(net, entry);
  }

  /** The most specific indicator covering `ip` (IPv4 or IPv6 text; IPv4-mapped IPv6 also checks IPv4). */
  matchIp(ip: string): Indicator | undefined {
    if (this.#v4Lengths.length === 0 && this.#v6Lengths.length === 0) return undefined;
    const v4 = parseIpv4(ip);
    if (v4 !== undefined) return this.#match4(v4);
    const v6 = parseIpv6(ip);
    if (v6 === undefined) return undefined;
    for (const len of this.#v6Lengths) {
      const hit = this.#v6.get(len)!.get(v6 >> BigInt(128 - len));
      if (hit) return hit;
    }
    if (v6 >> 32n === V4_MAPPED) return this.#match4(Number(v6 & 0xffffffffn));
    return undefined;
  }

  #match4(v4: number): Indicator | undefined {
    for (const len of this.#v4Lengths) {
      const hit = this.#v4.get(len)!.get(len === 0 ? 0 : v4 >>> (32 - len));
      if (hit) return hit;
    }
    return undefined;
  }

  /** The listed domain that is `name` or a parent of it, on label boundaries (most specific first). */
  matchDomain(name: string): Indicator | undefined {
    if (this.#domains.size === 0) return undefined;
    let d = name.toLowerCase();
    if (d.endsWith('.')) d = d.slice(0, -1);
    for (;;) {
      const hit = this.#domains.get(d);
      if (hit) return hit;
      const dot = d.indexOf('.');
      if (dot < 0) return undefined;
      d = d.slice(dot + 1);
    }
  }
}

/** Adds the indicators of one list's text to `into`; `file` names it in errors. */
export function parseIndicators(text: string, file: string, into = new IndicatorSet(), severity?: Severity): IndicatorSet {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const token = raw.replace(/(^|\s)[#;].*$/, '').trim();
    if (token === '') continue;
    if (/\s/.test(token)) throw new Error(`${file}:${i + 1}: more than one field in '${token}' (expected one IP address, CIDR prefix or domain a line)`);
    if (!into.add(token, { file, line: i + 1, severity }))
      throw new Error(`${file}:${i + 1}: '${token}' is not an IP address, CIDR prefix or domain`);
  }
  return into;
}

/** Reads every list into one set. An unreadable file or a malformed line is an Error naming the file (and line). */
export function loadIndicators(lists: readonly IndicatorList[]): IndicatorSet {
  const set = new IndicatorSet();
  for (const list of lists) {
    const { path, severity } = typeof list === 'string' ? { path: list, severity: undefined } : list;
    if (severity !== undefined && ![1, 2, 3, 4].includes(severity)) throw new RangeError(`indicator list ${path}: severity must be 1 to 4, got ${severity}`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read indicator list ${path}: ${(e as Error).message}`, { cause: e });
    }
    parseIndicators(text, path, set, severity);
  }
  return set;
}
