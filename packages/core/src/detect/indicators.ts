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

import { type Prefix, parsePrefix, PrefixMap } from '../net/address-set.js';
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

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A domain in lower case without a trailing dot or leading `*.`; undefined when it is not one. */
export function normalizeDomain(s: string): string | undefined {
  let d = s.toLowerCase();
  if (d.startsWith('*.')) d = d.slice(2);
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253 || /^[\d.]+$/.test(d)) return undefined; // digits and dots: a bad address
  return d.split('.').every((l) => LABEL.test(l)) ? d : undefined;
}

/**
 * IP, CIDR and domain indicators: addresses in a longest-prefix map, domains
 * in a Map matched label by label.
 */
export class IndicatorSet {
  #prefixes = new PrefixMap<Indicator>();
  #domains = new Map<string, Indicator>();

  get size(): number {
    return this.#prefixes.size + this.#domains.size;
  }

  /** Distinct prefix lengths (IPv4, IPv6): the cost of one address lookup. */
  get prefixLengths(): { v4: number; v6: number } {
    return this.#prefixes.prefixLengths;
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
    const moreSevere = (old: Indicator, entry: Indicator) => entry.severity < old.severity;
    const prefix: Prefix | undefined = parsePrefix(text);
    if (prefix) {
      const kind = text.includes('/') ? 'cidr' : 'ip';
      this.#prefixes.set(prefix, { indicator: prefix.text, kind, ...origin, severity }, moreSevere);
      return true;
    }
    if (text.includes('/')) return false;
    const domain = normalizeDomain(text);
    if (domain === undefined) return false;
    const entry: Indicator = { indicator: domain, kind: 'domain', ...origin, severity };
    const old = this.#domains.get(domain);
    if (!old || moreSevere(old, entry)) this.#domains.set(domain, entry);
    return true;
  }

  /** The most specific indicator covering `ip` (IPv4 or IPv6 text; IPv4-mapped IPv6 also checks IPv4). */
  matchIp(ip: string): Indicator | undefined {
    return this.#prefixes.match(ip);
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
