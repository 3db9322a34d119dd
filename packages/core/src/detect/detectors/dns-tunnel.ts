/**
 * `dns_tunnel`: data carried in DNS queries (iodine, dnscat2, dns2tcp and
 * the like), per client and parent domain (the registered domain of the
 * names asked: `pirate.sea` for `x7ab….pirate.sea`).
 *
 * What a flow shows: the first query and the first response of each DNS
 * flow (UDP or TCP port 53) are in its payload prefix (`payload_fwd`,
 * `payload_rev`, 128 bytes by default), parsed by `dns.ts`: question name
 * and type, the name possibly cut short. A tunnel client that keeps one
 * socket sends all its queries in one UDP flow, of which the prefix shows
 * the first two or three. When the questions seen all fall under one
 * parent, the queries not seen (`pkts` minus those seen) are lent their
 * traits: their record type when every seen one is NULL/obsolete/private;
 * TXT/ANY when every seen one is, and the query sizes vary (one query
 * repeated has one size); the share of encoded names when the sizes vary
 * and the mean query is as large as one with a long name. Questions of
 * several parents in one flow (a forwarder) count one by one.

 * Evidence within `windowSeconds`, per client and parent; any one opens an
 * alert:
 * - `record_types`: ≥ `minUnusualTypeQueries` queries of types no
 *   application asks for but tunnels do: NULL, obsolete (MD MF MB MG MR
 *   MINFO A6 MAILA MAILB), private use (65280–65534);
 * - `encoded_names`: ≥ `minEncodedNames` distinct names (plus unseen
 *   queries estimated as above) that are long (≥ `longName` characters,
 *   or a label ≥ `longLabel`) or whose subdomain part (≥
 *   `entropyMinLength` characters, case folded) has a Shannon entropy of
 *   ≥ `entropyBits` bits per character;
 * - `distinct_names`: ≥ `minDistinctNames` distinct names under the parent
 *   (names that start with an address, as DNS blocklists ask them, count
 *   neither here nor as encoded);
 * - `txt_volume`: ≥ `minTxtQueries` TXT or ANY queries, distinct names
 *   (plus estimated unseen ones).
 * Reverse lookups (`in-addr.arpa`, `ip6.arpa`) give no name evidence. Once
 * an episode is open, every query of the client under the parent extends it.
 *
 * Severity 3 (medium) with one kind of evidence; 2 (high) with two or more
 * in the episode.
 *
 * Known limits: a parent shared by unrelated owners (hosting and CDN
 * domains: `cloudfront.net`, `blogspot.com`) and captures upstream of a
 * busy resolver (the resolver is then the "client" of many users) can reach
 * `distinct_names`; anti-virus and reputation look-ups that encode hashes
 * in names are tunnels by design and will be reported; a forwarder that
 * sends from one fixed port (rare since source ports are randomised)
 * whose first query is TXT and fills the prefix lends TXT to the rest.
 * TCP flows count only the messages their prefix shows.
 * @module
 */
import type { Alert } from '../alert.js';
import type { Detector } from '../detector.js';
import { deleteWhere, DistinctWindow, evictQuietest } from '../distinct-window.js';
import { type DnsQuestion, escapedLength, escapeLabel, parseDnsMessages } from '../dns.js';
import { addSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { entropyBits } from '../stats.js';

export interface DnsTunnelConfig {
  windowSeconds: number;
  longName: number;
  longLabel: number;
  entropyMinLength: number;
  entropyBits: number;
  minUnusualTypeQueries: number;
  minEncodedNames: number;
  minDistinctNames: number;
  minTxtQueries: number;
}

/**
 * Names: DNS names of hosts rarely exceed 30 characters and labels 20
 * (CDN and cloud host names included), while tunnels fill names up to the
 * 253/63 limits; random base32 of 24 characters averages 4.0 bits per
 * character, English-like host names 3–3.5. Counts: a client asking 20
 * distinct encoded names, or 50 distinct names, under one domain within 5
 * minutes is moving data; 10 NULL/private-type queries have no use but
 * tunnelling.
 */
export const DEFAULT_DNS_TUNNEL: DnsTunnelConfig = {
  windowSeconds: 300,
  longName: 50,
  longLabel: 40,
  entropyMinLength: 24,
  entropyBits: 4.0,
  minUnusualTypeQueries: 10,
  minEncodedNames: 20,
  minDistinctNames: 50,
  minTxtQueries: 50,
};

const DNS_PORT = 53;
const TXT = 16;
const ANY = 255;
const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS', 12: 'PTR',
  13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 38: 'A6', 43: 'DS', 48: 'DNSKEY',
  52: 'TLSA', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY', 257: 'CAA',
};
/** Types nothing but a tunnel asks for: NULL, obsolete ones, private use. */
const UNUSUAL_TYPES = new Set([3, 4, 7, 8, 9, 10, 14, 38, 253, 254]);
const isUnusualType = (t: number) => UNUSUAL_TYPES.has(t) || (t >= 65280 && t <= 65534);
const typeName = (t: number) => TYPE_NAMES[t] ?? (t >= 65280 && t <= 65534 ? `PRIVATE${t}` : `TYPE${t}`);

/** Second-level labels under which country-code registries register names (co.uk, com.au, ...). */
const CC_SECOND_LEVEL = new Set(['ac', 'co', 'com', 'edu', 'gob', 'go', 'gov', 'ltd', 'mil', 'ne', 'net', 'nic', 'or', 'org', 'plc', 'sch']);
const EXAMPLE_NAMES = 5;
const EXAMPLE_NAME_CHARS = 120;

/** A question, classified. */
interface Name {
  /** Presentation form, case folded (what makes names distinct). */
  text: string;
  /** Presentation form as asked. */
  shown: string;
  /** Registered domain; undefined when the name was cut short before its end. */
  parent: string | undefined;
  qtype: number;
  reverse: boolean;
  addressLike: boolean;
  encoded: boolean;
  length: number;
  maxLabel: number;
  entropy: number;
}

/** A label of one to three decimal digits (an IPv4 octet of a reverse-style name). */
function isOctetLabel(l: Uint8Array): boolean {
  if (l.length < 1 || l.length > 3) return false;
  for (let i = 0; i < l.length; i++) if (l[i]! < 0x30 || l[i]! > 0x39) return false;
  return true;
}

/** A label of one hex digit, either case (an IPv6 nibble of a reverse-style name). */
function isNibbleLabel(l: Uint8Array): boolean {
  if (l.length !== 1) return false;
  const c = l[0]! | 0x20;
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/** How many of the first `count` labels `test` accepts in a row. */
function leading(labels: readonly Uint8Array[], count: number, test: (l: Uint8Array) => boolean): number {
  let n = 0;
  while (n < count && test(labels[n]!)) n++;
  return n;
}

/** The subdomain's label bytes, case folded, for their entropy. */
const subdomainBytes = new Uint8Array(256);

/**
 * Names are compared case folded in presentation form: `text` is the name
 * lowercased (presentation forms are ASCII), and the registered domain is
 * its tail, as long as the escaped labels it spans.
 */
function classify(q: DnsQuestion, t: DnsTunnelConfig): Name {
  const labels = q.labels;
  const n = labels.length;
  const text = q.name.toLowerCase();
  let parentLabels = 0;
  if (q.complete) {
    parentLabels = Math.min(n, n >= 3 && escapedLength(labels[n - 1]!) === 2 && CC_SECOND_LEVEL.has(escapeLabel(labels[n - 2]!).toLowerCase()) ? 3 : 2);
  }
  let parent: string | undefined;
  if (q.complete) {
    let tail = parentLabels - 1; // the dots between them
    for (let i = n - parentLabels; i < n; i++) tail += escapedLength(labels[i]!);
    parent = text.slice(text.length - Math.max(tail, 0)) || '.';
  }
  const reverse = parent === 'in-addr.arpa' || parent === 'ip6.arpa';
  const subLabels = n - parentLabels;
  const addressLike = leading(labels, subLabels, isOctetLabel) >= 4 || leading(labels, subLabels, isNibbleLabel) >= 8;
  let subLength = 0;
  for (let i = 0; i < subLabels; i++) {
    const l = labels[i]!;
    for (let j = 0; j < l.length && subLength < subdomainBytes.length; j++) {
      const c = l[j]!;
      subdomainBytes[subLength++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
    }
  }
  const entropy = entropyBits(subdomainBytes.subarray(0, subLength));
  const long = q.length >= t.longName || q.maxLabel >= t.longLabel;
  const random = subLength >= t.entropyMinLength && entropy >= t.entropyBits;
  return {
    text, shown: q.complete ? q.name : `${q.name}…`, parent, qtype: q.qtype, reverse, addressLike, encoded: !reverse && !addressLike && (long || random),
    length: q.length, maxLabel: q.maxLabel, entropy,
  };
}

/** One flow's contribution under one parent. */
interface Contribution {
  parent: string;
  names: Name[];
  queries: number;
  unusual: number;
  unseenEncoded: number;
  unseenTxt: number;
}

/** The sides of a flow to read (forward: what src sent), the client's first. */
const FORWARD_FIRST = [true, false] as const;
const REVERSE_FIRST = [false, true] as const;

/** What a DNS flow asked, grouped by parent; undefined when it is not DNS. */
function contributions(v: FlowView, row: number, t: DnsTunnelConfig): { client: string; resolver: string; groups: Contribution[] } | undefined {
  const proto = v.proto[row]!;
  if (proto !== 6 && proto !== 17) return undefined;
  const fromSrc = v.dstPort[row] === DNS_PORT;
  if (!fromSrc && v.srcPort[row] !== DNS_PORT) return undefined;
  const tcp = proto === 6;
  // The client's side first; the response echoes the question when the query was not captured.
  for (const forward of fromSrc ? FORWARD_FIRST : REVERSE_FIRST) {
    const messages = parseDnsMessages(forward ? v.firstPayloadFwd(row) : v.firstPayloadRev(row), { tcp });
    const names: Name[] = [];
    let parent: string | undefined;
    let severalParents = false;
    for (const m of messages) {
      for (const q of m.questions) {
        const n = classify(q, t);
        names.push(n);
        if (n.parent === undefined) continue;
        if (parent === undefined) parent = n.parent;
        else if (n.parent !== parent) severalParents = true;
      }
    }
    if (names.length === 0) continue;
    const client = fromSrc ? v.srcIp(row) : v.dstIp(row);
    const resolver = fromSrc ? v.dstIp(row) : v.srcIp(row);
    if (severalParents) {
      // Several domains over one socket (a forwarder): each question on its own, nothing lent.
      const groups: Contribution[] = [];
      for (const n of names) if (n.parent !== undefined) groups.push(contribution(n.parent, [n], 1, false, false));
      return { client, resolver, groups };
    }
    // UDP: one query a datagram. TCP: only the messages parsed.
    const queries = tcp ? messages.length : Math.max(forward ? v.pktsFwd[row]! : v.pktsRev[row]!, messages.length);
    // Lend TXT only when the sizes vary (not one query repeated); encoded names only when the queries are
    // also, on average, as large as one with a long name (header 12, name ≥ longName + 2, type and class 4).
    const varying = (forward ? v.pktSizeStdFwd[row]! : v.pktSizeStdRev[row]!) > 0;
    const long = varying && (forward ? v.payloadFwd[row]! : v.payloadRev[row]!) / queries >= t.longName + 18;
    return { client, resolver, groups: [contribution(parent ?? '', names, queries, varying, long)] };
  }
  return undefined;
}

function contribution(parent: string, names: Name[], queries: number, lendTxt: boolean, lendEncoded: boolean): Contribution {
  let typed = 0;
  let unusual = 0;
  let txt = 0;
  let encoded = 0;
  for (const n of names) {
    if (n.encoded) encoded++;
    if (n.qtype < 0) continue;
    typed++;
    if (isUnusualType(n.qtype)) unusual++;
    if (n.qtype === TXT || n.qtype === ANY) txt++;
  }
  const untyped = Math.max(0, queries - typed);
  const unnamed = Math.max(0, queries - names.length);
  const allUnusual = typed > 0 && unusual === typed;
  const allTxt = typed > 0 && txt === typed;
  return {
    parent,
    names,
    queries,
    // A type is lent even to a repeated query: no application asks for NULL records at all.
    unusual: unusual + (allUnusual ? untyped : 0),
    unseenEncoded: lendEncoded ? Math.round(unnamed * (encoded / names.length)) : 0,
    unseenTxt: lendTxt && allTxt ? untyped : 0,
  };
}

/** A flow's contribution as the window keeps it. */
interface Seen {
  time: number;
  resolver: string;
  communityId: string | undefined;
  c: Contribution;
}

/** The contributions of one client under one parent within a sliding window (flows in arrival order), with running sums. */
class ContributionWindow {
  #items: Seen[] = [];
  #head = 0;
  queries = 0;
  unusual = 0;
  unseenEncoded = 0;
  unseenTxt = 0;

  constructor(readonly windowUs: number) {}

  add(item: Seen): void {
    if (this.#items.length === 0) this.#items = [item]; // an array of one (see DistinctWindow.add)
    else this.#items.push(item);
    this.#apply(item.c, 1);
  }

  #apply(c: Contribution, sign: 1 | -1): void {
    this.queries += sign * c.queries;
    this.unusual += sign * c.unusual;
    this.unseenEncoded += sign * c.unseenEncoded;
    this.unseenTxt += sign * c.unseenTxt;
  }

  expire(nowUs: number): void {
    while (this.#head < this.#items.length && this.#items[this.#head]!.time <= nowUs - this.windowUs) this.#apply(this.#items[this.#head++]!.c, -1);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The contributions in the window, oldest first. */
  live(): Seen[] {
    return this.#items.slice(this.#head);
  }

  get firstTime(): number {
    return this.#items.length > this.#head ? this.#items[this.#head]!.time : Infinity;
  }

  get lastTime(): number {
    return this.#items.length > this.#head ? this.#items[this.#items.length - 1]!.time : -Infinity;
  }
}

interface Example {
  text: string;
  encoded: boolean;
}

/** Keeps up to EXAMPLE_NAMES names as asked (shortened), encoded ones before plain ones. */
function noteExample(examples: Example[], n: Name): void {
  if (n.reverse) return;
  const text = n.shown.length > EXAMPLE_NAME_CHARS ? n.shown.slice(0, EXAMPLE_NAME_CHARS) + '…' : n.shown;
  if (examples.some((e) => e.text === text)) return;
  if (examples.length < EXAMPLE_NAMES) examples.push({ text, encoded: n.encoded });
  else if (n.encoded) {
    const plain = examples.findIndex((e) => !e.encoded);
    if (plain >= 0) examples.splice(plain, 1, { text, encoded: true });
  }
}

/** What the thresholds apply to, in one client's window under one parent. */
interface Counts {
  unusual: number;
  encoded: number;
  distinct: number;
  txt: number;
}

/**
 * Evidence of one client under one parent. The windows of encoded and of
 * TXT/ANY names are made when the first such name comes: most clients
 * never ask one, and every client and parent has its evidence.
 */
class Evidence {
  readonly flows: ContributionWindow;
  readonly names: DistinctWindow<string>;
  #encoded: DistinctWindow<string> | undefined;
  #txt: DistinctWindow<string> | undefined;

  constructor(readonly windowUs: number) {
    this.flows = new ContributionWindow(windowUs);
    this.names = new DistinctWindow(windowUs);
  }

  add(item: Seen): void {
    this.flows.add(item);
    for (const n of item.c.names) {
      if (n.reverse) continue;
      if (!n.addressLike) this.names.add(item.time, n.text);
      if (n.encoded) (this.#encoded ??= new DistinctWindow(this.windowUs)).add(item.time, n.text);
      if (n.qtype === TXT || n.qtype === ANY) (this.#txt ??= new DistinctWindow(this.windowUs)).add(item.time, n.text);
    }
  }

  expire(nowUs: number): void {
    this.flows.expire(nowUs);
    this.names.expire(nowUs);
    this.#encoded?.expire(nowUs);
    this.#txt?.expire(nowUs);
  }

  /** The counts the thresholds apply to. */
  counts(): Counts {
    const f = this.flows;
    return {
      unusual: f.unusual,
      encoded: (this.#encoded?.size ?? 0) + f.unseenEncoded,
      distinct: this.names.size,
      txt: (this.#txt?.size ?? 0) + f.unseenTxt,
    };
  }
}

export class DnsTunnelDetector implements Detector {
  readonly name = 'dns_tunnel';
  readonly thresholds: DnsTunnelConfig;
  #evidence = new Map<string, Evidence>();
  #examples = new Map<string, Example[]>(); // per open episode
  #episodes: EpisodeBook;

  /** `config`: a DetectionSettings, or just the episode gap (default 300 s, as DEFAULT_DETECTION: not imported, config.ts imports this file). */
  constructor(config: { episodeGapSeconds: number; dnsTunnel?: DnsTunnelConfig } = { episodeGapSeconds: 300 }) {
    this.thresholds = config.dnsTunnel ?? DEFAULT_DNS_TUNNEL;
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6, (a) => {
      const d = a.details;
      const where = d.parent === null ? 'names too long for the prefix' : `*.${d.parent}`;
      return `DNS tunnel: ${a.src_ip} asked ${d.queries} queries for ${where} via ${a.dst_ip} (${(d.evidence as string[]).join(', ')})`;
    });
  }

  observe(v: FlowView, row: number): void {
    const found = contributions(v, row, this.thresholds);
    if (!found) return;
    for (const c of found.groups) this.#note(v, row, found.client, found.resolver, c);
  }

  #note(v: FlowView, row: number, client: string, resolver: string, c: Contribution): void {
    const t = this.thresholds;
    const key = `${client}>${c.parent}`;
    let evidence = this.#evidence.get(key);
    if (!evidence) this.#evidence.set(key, (evidence = new Evidence(t.windowSeconds * 1e6)));
    const seen: Seen = { time: v.start(row), resolver, communityId: v.communityId(row), c };
    evidence.add(seen);
    evidence.expire(seen.time);
    const counts = evidence.counts();
    const crossed = [
      counts.unusual >= t.minUnusualTypeQueries && 'record_types',
      counts.encoded >= t.minEncodedNames && 'encoded_names',
      counts.distinct >= t.minDistinctNames && 'distinct_names',
      counts.txt >= t.minTxtQueries && 'txt_volume',
    ].filter((k): k is string => k !== false);
    if (crossed.length > 0 || this.#episodes.isOpen(key)) this.#report(v, row, key, client, evidence, seen, counts, crossed);
  }

  /** Opens or extends the client's episode under the parent (apart from #note: see Detector.observe). */
  #report(v: FlowView, row: number, key: string, client: string, evidence: Evidence, seen: Seen, counts: Counts, crossed: string[]): void {
    const t = this.thresholds;
    const { c } = seen;
    const window = evidence.flows;
    this.#episodes.note(
      key,
      seen.time,
      () => {
        const a: Alert = {
          category: 'dns_tunnel', severity: 3, detector: this.name, start: window.firstTime, end: seen.time,
          src_ip: client, dst_ip: window.live()[0]!.resolver, dst_port: DNS_PORT, proto: v.proto[row], message: '',
          details: {
            parent: c.parent === '' ? null : c.parent, resolvers: [], window_seconds: t.windowSeconds, flows: 0, queries: 0, evidence: [],
            unusual_type_queries: 0, threshold_unusual_type_queries: t.minUnusualTypeQueries,
            encoded_names: 0, threshold_encoded_names: t.minEncodedNames,
            distinct_names: 0, threshold_distinct_names: t.minDistinctNames,
            txt_any_queries: 0, threshold_txt_any_queries: t.minTxtQueries,
            record_types: {}, longest_name: 0, longest_label: 0, max_entropy_bits: 0, example_names: [],
          },
        };
        // The episode starts with everything already in the window (this flow is added by the update).
        this.#examples.set(key, []);
        for (const earlier of window.live().slice(0, -1)) this.#take(a, key, earlier);
        return a;
      },
      (a) => {
        this.#take(a, key, seen);
        const d = a.details;
        // Peaks within the window.
        d.unusual_type_queries = Math.max(d.unusual_type_queries as number, counts.unusual);
        d.encoded_names = Math.max(d.encoded_names as number, counts.encoded);
        d.distinct_names = Math.max(d.distinct_names as number, counts.distinct);
        d.txt_any_queries = Math.max(d.txt_any_queries as number, counts.txt);
        const kinds = d.evidence as string[];
        for (const k of crossed) if (!kinds.includes(k)) kinds.push(k);
        if (kinds.length >= 2) a.severity = 2;
      },
    );
  }

  /** Adds one flow's questions to the alert's totals, examples and samples. */
  #take(a: Alert, key: string, { resolver, communityId, c }: Seen): void {
    const d = a.details;
    d.flows = (d.flows as number) + 1;
    d.queries = (d.queries as number) + c.queries;
    const resolvers = d.resolvers as string[];
    if (resolvers.length < EXAMPLE_NAMES && !resolvers.includes(resolver)) resolvers.push(resolver);
    const types = d.record_types as Record<string, number>;
    const examples = this.#examples.get(key)!;
    for (const n of c.names) {
      if (n.qtype >= 0) types[typeName(n.qtype)] = (types[typeName(n.qtype)] ?? 0) + 1;
      d.longest_name = Math.max(d.longest_name as number, n.length);
      d.longest_label = Math.max(d.longest_label as number, n.maxLabel);
      d.max_entropy_bits = Math.max(d.max_entropy_bits as number, Math.round(n.entropy * 100) / 100);
      noteExample(examples, n);
    }
    d.example_names = examples.map((e) => e.text);
    addSample(a, communityId);
  }

  prune(clockUs: number, maxKeys: number): number {
    deleteWhere(this.#evidence, (e) => e.flows.lastTime < clockUs - e.flows.windowUs);
    this.#episodes.closeQuiet(clockUs);
    for (const key of this.#examples.keys()) if (!this.#episodes.isOpen(key)) this.#examples.delete(key);
    return evictQuietest(this.#evidence, maxKeys, (e) => e.flows.lastTime);
  }

  finish(): Alert[] {
    this.#evidence.clear();
    this.#examples.clear();
    return this.#episodes.drain();
  }
}
