/**
 * `icmp_tunnel`: data carried in ICMP echo (ptunnel, icmptunnel, hans,
 * icmpsh), per pair of hosts, the one sending echo requests first. Ping
 * sends small payloads of one size (Windows 32 bytes, Unix 56) filled
 * with a fixed pattern; a tunnel sends what it carries: large payloads of
 * varying size, often encrypted or compressed.
 *
 * Echo flows (ICMP 8/0, ICMPv6 128/129; one flow per pair, whatever the
 * echo identifier) are summed within `windowSeconds`, so a slow tunnel
 * whose flows end at every idle gap still adds up. Evidence, once the pair
 * exchanged ≥ `minPackets` echo packets in the window; either opens an
 * alert:
 * - `payload_size`: mean payload ≥ `minMeanPayload` bytes and the
 *   standard deviation of the packet sizes (both directions pooled) ≥
 *   `minSizeStd` bytes;
 * - `payload_content`: a payload prefix (first 128 bytes of a direction,
 *   at least `entropyMinBytes`) that looks random: the Shannon entropy of
 *   its bytes, and of the differences between neighbouring bytes (so that
 *   ping's counting pattern 08 09 0a … is not taken for random), both
 *   ≥ `minEntropyRatio` of the most that many bytes can have.
 * Once an episode is open, every echo flow of the pair extends it.
 *
 * Severity 3 (medium) with one kind of evidence; 2 (high) with both.
 *
 * Sweeps (one echo to many hosts) are `ip_sweep`'s: they carry no payload
 * and few packets per pair.
 * @module
 */
import type { Alert } from '../alert.js';
import type { Detector } from '../detector.js';
import { evictQuietest, ExpiryBound } from '../distinct-window.js';
import { addSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { entropyBits } from '../stats.js';

export interface IcmpTunnelConfig {
  windowSeconds: number;
  minPackets: number;
  minMeanPayload: number;
  minSizeStd: number;
  entropyMinBytes: number;
  minEntropyRatio: number;
}

/**
 * Default ping payloads are 32 to 64 bytes of one size (standard deviation
 * 0; Windows and Unix pings mixed: 12), so 80 bytes and 16 bytes are
 * clearly above both. 40 packets is 20 s of ping with replies. Random
 * bytes reach at least 0.91 of the maximum entropy at 64 to 128 bytes (1st
 * percentile), a ping prefix 0.85 for its bytes and far less for their
 * differences.
 */
export const DEFAULT_ICMP_TUNNEL: IcmpTunnelConfig = {
  windowSeconds: 300,
  minPackets: 40,
  minMeanPayload: 80,
  minSizeStd: 16,
  entropyMinBytes: 64,
  minEntropyRatio: 0.85,
};

const ECHO_REQUEST = { 1: 8, 58: 128 } as Record<number, number>;
const ECHO_REPLY = { 1: 0, 58: 129 } as Record<number, number>;

/** How random `bytes` look, 0..1: the lower of the entropy of the bytes and of their differences, over the most possible. */
export function randomness(bytes: Uint8Array): number {
  if (bytes.length < 2) return 0;
  const deltas = new Uint8Array(bytes.length - 1);
  for (let i = 1; i < bytes.length; i++) deltas[i - 1] = (bytes[i]! - bytes[i - 1]!) & 0xff;
  const ratio = (b: Uint8Array) => entropyBits(b) / Math.log2(Math.min(b.length, 256));
  return Math.min(ratio(bytes), ratio(deltas));
}

/** Packet sizes as count, sum and sum of squares, so that flows and directions pool. */
interface Sizes {
  n: number;
  sum: number;
  sumSq: number;
}

function addSizes(into: Sizes, n: number, mean: number, std: number): void {
  if (n <= 0) return;
  into.n += n;
  into.sum += mean * n;
  into.sumSq += (std * std + mean * mean) * n;
}

const stdOf = (s: Sizes) => (s.n > 0 ? Math.sqrt(Math.max(0, s.sumSq / s.n - (s.sum / s.n) ** 2)) : 0);

interface Flow {
  time: number;
  communityId: string | undefined;
  packets: number;
  payload: number;
  sizes: Sizes;
  /** Highest randomness of its two prefixes long enough to judge, or -1. */
  randomness: number;
}

/** The echo flows of one pair within the window, with running totals. */
class PairWindow {
  #flows: Flow[] = [];
  #head = 0;
  packets = 0;
  payload = 0;
  sizes: Sizes = { n: 0, sum: 0, sumSq: 0 };
  randomFlows = 0;

  constructor(
    readonly windowUs: number,
    readonly minRatio: number,
  ) {}

  add(f: Flow): void {
    if (this.#flows.length === 0) this.#flows = [f]; // an array of one (see DistinctWindow.add)
    else this.#flows.push(f);
    this.#apply(f, 1);
  }

  #apply(f: Flow, sign: 1 | -1): void {
    this.packets += sign * f.packets;
    this.payload += sign * f.payload;
    this.sizes.n += sign * f.sizes.n;
    this.sizes.sum += sign * f.sizes.sum;
    this.sizes.sumSq += sign * f.sizes.sumSq;
    if (f.randomness >= this.minRatio) this.randomFlows += sign;
  }

  expire(nowUs: number): void {
    while (this.#head < this.#flows.length && this.#flows[this.#head]!.time <= nowUs - this.windowUs) this.#apply(this.#flows[this.#head++]!, -1);
    if (this.#head > 1024 && this.#head * 2 > this.#flows.length) {
      this.#flows = this.#flows.slice(this.#head);
      this.#head = 0;
    }
  }

  get entries(): number {
    return this.#flows.length - this.#head;
  }

  /** The flows in the window, oldest first. */
  live(): Flow[] {
    return this.#flows.slice(this.#head);
  }

  get firstTime(): number {
    return this.entries > 0 ? this.#flows[this.#head]!.time : Infinity;
  }

  get lastTime(): number {
    return this.entries > 0 ? this.#flows[this.#flows.length - 1]!.time : -Infinity;
  }
}

export class IcmpTunnelDetector implements Detector {
  readonly name = 'icmp_tunnel';
  readonly thresholds: IcmpTunnelConfig;
  #windows = new Map<string, PairWindow>();
  #expiry = new ExpiryBound();
  #episodes: EpisodeBook;
  /** Per open episode: everything since it opened. */
  #totals = new Map<string, { packets: number; payload: number; sizes: Sizes }>();

  /** `config`: a DetectionSettings, or just the episode gap (default 300 s, as DEFAULT_DETECTION: not imported, config.ts imports this file). */
  constructor(config: { episodeGapSeconds: number; icmpTunnel?: IcmpTunnelConfig } = { episodeGapSeconds: 300 }) {
    this.thresholds = config.icmpTunnel ?? DEFAULT_ICMP_TUNNEL;
    this.#episodes = new EpisodeBook(
      config.episodeGapSeconds * 1e6,
      ({ src_ip, dst_ip, details: d }) =>
        `ICMP tunnel: ${src_ip} and ${dst_ip} exchanged ${d.packets} echo packets, ${d.payload_bytes} payload bytes (${(d.evidence as string[]).join(', ')})`,
    );
  }

  observe(v: FlowView, row: number): void {
    const proto = v.proto[row]!;
    const type = v.srcPort[row]!;
    if (ECHO_REQUEST[proto] === undefined || (type !== ECHO_REQUEST[proto] && type !== ECHO_REPLY[proto])) return;
    const t = this.thresholds;
    // The pair as the one pinging sees it: a flow that starts with a reply is the other way round.
    const requester = type === ECHO_REQUEST[proto];
    const client = requester ? v.srcIp(row) : v.dstIp(row);
    const server = requester ? v.dstIp(row) : v.srcIp(row);
    const key = `${client}>${server}`;
    const sizes: Sizes = { n: 0, sum: 0, sumSq: 0 };
    const pktsFwd = v.pktsFwd[row]!;
    const pktsRev = v.pktsRev[row]!;
    addSizes(sizes, pktsFwd, v.pktSizeMeanFwd[row]!, v.pktSizeStdFwd[row]!);
    addSizes(sizes, pktsRev, v.pktSizeMeanRev[row]!, v.pktSizeStdRev[row]!);
    let random = -1;
    for (const prefix of [v.firstPayloadFwd(row), v.firstPayloadRev(row)]) {
      if (prefix.length >= t.entropyMinBytes) random = Math.max(random, randomness(prefix));
    }
    const flow: Flow = {
      time: v.start(row), communityId: v.communityId(row), packets: pktsFwd + pktsRev, payload: v.payloadFwd[row]! + v.payloadRev[row]!, sizes, randomness: random,
    };

    let window = this.#windows.get(key);
    if (!window) this.#windows.set(key, (window = new PairWindow(t.windowSeconds * 1e6, t.minEntropyRatio)));
    window.add(flow);
    this.#expiry.saw(flow.time);
    window.expire(flow.time);
    const enough = window.packets >= t.minPackets;
    const meanPayload = window.packets > 0 ? window.payload / window.packets : 0;
    const std = stdOf(window.sizes);
    const crossed = [
      enough && meanPayload >= t.minMeanPayload && std >= t.minSizeStd && 'payload_size',
      enough && window.randomFlows > 0 && 'payload_content',
    ].filter((k): k is string => k !== false);
    if (crossed.length > 0 || this.#episodes.isOpen(key)) this.#report(key, flow, window, crossed, client, server, proto);
  }

  /** Opens or extends the pair's episode (apart from observe: see Detector.observe). */
  #report(key: string, flow: Flow, w: PairWindow, crossed: string[], client: string, server: string, proto: number): void {
    const t = this.thresholds;
    this.#episodes.note(
      key,
      flow.time,
      () => {
        const a: Alert = {
          category: 'icmp_tunnel', severity: 3, detector: this.name, start: w.firstTime, end: flow.time,
          src_ip: client, dst_ip: server, proto, message: '',
          details: {
            window_seconds: t.windowSeconds, flows: 0, evidence: [], packets: 0, payload_bytes: 0,
            threshold_packets: t.minPackets, mean_payload_bytes: 0, threshold_mean_payload_bytes: t.minMeanPayload,
            size_std_bytes: 0, threshold_size_std_bytes: t.minSizeStd, max_payload_randomness: 0, threshold_payload_randomness: t.minEntropyRatio,
          },
        };
        // The episode starts with everything already in the window (this flow is added by the update).
        this.#totals.set(key, { packets: 0, payload: 0, sizes: { n: 0, sum: 0, sumSq: 0 } });
        for (const earlier of w.live().slice(0, -1)) this.#take(a, key, earlier);
        return a;
      },
      (a) => {
        this.#take(a, key, flow);
        const kinds = a.details.evidence as string[];
        for (const k of crossed) if (!kinds.includes(k)) kinds.push(k);
        if (kinds.length >= 2) a.severity = 2;
      },
    );
  }

  /** Adds one flow to the episode: totals, the figures derived from them, samples. */
  #take(a: Alert, key: string, flow: Flow): void {
    const d = a.details;
    const total = this.#totals.get(key)!;
    total.packets += flow.packets;
    total.payload += flow.payload;
    total.sizes.n += flow.sizes.n;
    total.sizes.sum += flow.sizes.sum;
    total.sizes.sumSq += flow.sizes.sumSq;
    d.flows = (d.flows as number) + 1;
    d.packets = total.packets;
    d.payload_bytes = total.payload;
    d.mean_payload_bytes = Math.round(total.payload / Math.max(1, total.packets));
    d.size_std_bytes = Math.round(stdOf(total.sizes) * 10) / 10;
    d.max_payload_randomness = Math.max(d.max_payload_randomness as number, Math.round(Math.max(0, flow.randomness) * 1000) / 1000);
    addSample(a, flow.communityId);
  }

  prune(clockUs: number, maxKeys: number): number {
    this.#expiry.prune(this.#windows, clockUs - this.thresholds.windowSeconds * 1e6, (w) => w.lastTime);
    this.#episodes.closeQuiet(clockUs);
    for (const key of this.#totals.keys()) if (!this.#episodes.isOpen(key)) this.#totals.delete(key);
    return evictQuietest(this.#windows, maxKeys, (w) => w.lastTime);
  }

  finish(): Alert[] {
    this.#windows.clear();
    this.#totals.clear();
    return this.#episodes.drain();
  }
}
