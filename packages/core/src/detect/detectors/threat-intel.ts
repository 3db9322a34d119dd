/**
 * `threat_intel`: traffic with a listed address, or a DNS lookup of a listed
 * domain. Lists are files of IP addresses, CIDR prefixes and domains
 * (indicators.ts); a flow matches when its source or destination is covered
 * by an address indicator, or when it is DNS (port 53, UDP or TCP) and the
 * first question of its first message is a listed domain or a name under one.
 * One alert per (indicator, local host) episode, the local host being the
 * side that is not listed (for DNS, the client). Severity 2, or the list's
 * own (`{ path, severity: 1 }`). Without lists the detector is silent.
 *
 * @example
 * const ti = new ThreatIntelDetector(DEFAULT_DETECTION, { lists: ['feodo.txt', { path: 'c2.txt', severity: 1 }] });
 * @module
 */
import type { Alert } from '../alert.js';
import type { DetectionSettings } from '../config.js';
import type { Detector } from '../detector.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { type Indicator, type IndicatorList, IndicatorSet, loadIndicators } from '../indicators.js';

export interface ThreatIntelConfig {
  /** Indicator list files (one IP, CIDR prefix or domain a line), each with an optional severity. */
  lists: IndicatorList[];
}

export const DEFAULT_THREAT_INTEL: ThreatIntelConfig = { lists: [] };

const DNS_PORT = 53;
const DNS_HEADER = 12;
/** Longest name on the wire (RFC 1035 section 2.3.4), the root label included. */
const MAX_NAME_WIRE = 255;
/** Distinct query names kept per alert. */
const SAMPLE_QUERIES = 5;

/**
 * The name of the first question of a DNS message at the start of
 * `payload` (TCP: after its 2-byte length), in lower case without the final
 * dot. Undefined when the bytes are not a query name: too short, cut off
 * before the name ends, a compression pointer or an over-long label, a
 * label containing a dot, an opcode other than QUERY, no question.
 */
export function dnsQueryName(payload: Uint8Array, tcp: boolean): string | undefined {
  const base = tcp ? 2 : 0;
  if (payload.length < base + DNS_HEADER) return undefined;
  const opcode = (payload[base + 2]! >> 3) & 0x0f;
  const qdcount = (payload[base + 4]! << 8) | payload[base + 5]!;
  if (opcode !== 0 || qdcount === 0) return undefined;
  let pos = base + DNS_HEADER;
  let wire = 1;
  let name = '';
  for (;;) {
    if (pos >= payload.length) return undefined;
    const len = payload[pos]!;
    if (len === 0) break;
    if (len > 63) return undefined; // pointer or extended label type: not a first question's name
    wire += len + 1;
    if (wire > MAX_NAME_WIRE || pos + 1 + len > payload.length) return undefined;
    let label = '';
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = payload[i]!;
      if (c === 0x2e) return undefined; // a dot inside a label: no unambiguous text form
      label += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    name += name === '' ? label : `.${label}`;
    pos += 1 + len;
  }
  return name === '' ? undefined : name;
}

export class ThreatIntelDetector implements Detector {
  readonly name = 'threat_intel';
  #episodes: EpisodeBook;
  #intel: IndicatorSet;

  /** `indicators` overrides `lists` (callers that load them once). */
  constructor(config: DetectionSettings, options: Partial<ThreatIntelConfig> & { indicators?: IndicatorSet } = {}) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6);
    this.#intel = options.indicators ?? loadIndicators(options.lists ?? DEFAULT_THREAT_INTEL.lists);
  }

  observe(v: FlowView, row: number): void {
    if (this.#intel.size === 0) return;
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const toListed = this.#intel.matchIp(dst);
    if (toListed) this.#note(v, row, toListed, dst, src, 'outbound');
    const fromListed = this.#intel.matchIp(src);
    if (fromListed) this.#note(v, row, fromListed, src, dst, 'inbound');

    const proto = v.proto[row]!;
    const dstPort = v.dstPort[row]!;
    if (this.#intel.domains === 0 || (proto !== 6 && proto !== 17) || (dstPort !== DNS_PORT && v.srcPort[row]! !== DNS_PORT)) return;
    // Queries and responses both carry the question; the flow may start with either.
    const fwd = v.firstPayloadFwd(row);
    const query = dnsQueryName(fwd.length > 0 ? fwd : v.firstPayloadRev(row), proto === 6);
    if (query === undefined) return;
    const listed = this.#intel.matchDomain(query);
    if (listed) this.#note(v, row, listed, query, dstPort === DNS_PORT ? src : dst, 'query');
  }

  /** `matched`: the listed address or the query name; `local`: the other side (the DNS client). */
  #note(v: FlowView, row: number, ind: Indicator, matched: string, local: string, direction: 'outbound' | 'inbound' | 'query'): void {
    const t = v.start(row);
    // `matched` may be a query name, attacker-chosen: the message quotes it (shown escaped).
    const what =
      direction === 'query' ? `${local} looked up ${matched}` : direction === 'outbound' ? `${local} contacted ${matched}` : `${matched} contacted ${local}`;
    const listedAs = matched === ind.indicator ? 'listed' : `listed as ${ind.indicator}`;
    this.#episodes.note(
      `${ind.indicator}|${local}`,
      t,
      () => ({
        category: 'threat_intel',
        severity: ind.severity,
        detector: this.name,
        start: t,
        end: t,
        src_ip: v.srcIp(row),
        dst_ip: v.dstIp(row),
        dst_port: v.dstPort[row],
        proto: v.protocol(row),
        message: `threat intel: ${what}, ${listedAs} in ${ind.file} line ${ind.line}`,
        details: {
          indicator: ind.indicator,
          indicator_kind: ind.kind,
          list: ind.file,
          list_line: ind.line,
          local_host: local,
          direction,
          matched: [] as string[],
          flows: 0,
        },
      }),
      (a) => {
        a.details.flows = (a.details.flows as number) + 1;
        const seen = a.details.matched as string[];
        if (seen.length < SAMPLE_QUERIES && !seen.includes(matched)) seen.push(matched);
        addFlowSample(a, v, row);
      },
    );
  }

  prune(clockUs: number): number {
    this.#episodes.closeQuiet(clockUs);
    return 0;
  }

  finish(): Alert[] {
    return this.#episodes.drain();
  }
}
