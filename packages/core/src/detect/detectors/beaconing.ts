/**
 * `beaconing`: a host contacting the same peer (address, port, TCP or UDP)
 * at regular intervals, as an implant checks in with its C2 server.
 *
 * Check-ins are the start times of the host's flow records to the peer. A
 * record starting less than `minPeriodSeconds / 2` after the previous
 * check-in belongs to it, so a burst of parallel connections counts once.
 * Over the last 32 check-ins, with at least `minConnections` of them, the
 * series is regular when all of these hold:
 * - the median interval (the period) is between `minPeriodSeconds` and
 *   `maxPeriodSeconds`;
 * - the jitter is at most `maxJitter`. Jitter is the robust coefficient of
 *   variation 1.4826 · MAD / period, where MAD is the median absolute
 *   deviation of the intervals. For normally distributed jitter it estimates
 *   the ordinary coefficient of variation, but up to half the intervals can
 *   be outliers (a missed, delayed or extra check-in) without changing it.
 *   Random (Poisson) contacts give about 1;
 * - the host is quiet between check-ins: the median check-in lasts at most
 *   `maxDutyCycle` of the period. One long flow that the active timeout
 *   cuts into records is periodic too, but it is one connection, not
 *   check-ins.
 * Each regular check-in is evidence. Severity 3, and 2 from
 * `highConnections` regular check-ins in one episode (hours of automated
 * contact).
 *
 * Periodic infrastructure, the classic false positive, is left out:
 * - peers in private, loopback, link-local, CGNAT (100.64/10), multicast,
 *   broadcast or reserved space, when `externalPeersOnly` is set (the
 *   default). Inside a network, regular polling is what monitoring,
 *   directory, management and discovery services do (SNMP, scrapers,
 *   domain controllers, mDNS/SSDP/LLMNR). A C2 server is outside the
 *   network. The documentation ranges (192.0.2/24, 198.51.100/24,
 *   203.0.113/24) count as external, because captures use them for outside
 *   hosts. Set `externalPeersOnly: false` to look for peer-to-peer C2 inside
 *   the network.
 * - destination ports in `ignoredPorts`, 53 (DNS) and 123 (NTP). Clients
 *   poll public resolvers and time servers by design: NTP's poll interval
 *   is 2^n s (RFC 5905), and DNS re-resolution follows TTLs. C2 over DNS is
 *   the `dns_tunnel` detector's case.
 * - ICMP and other protocols. Periodic pings are connectivity monitoring;
 *   ICMP C2 is the `icmp_tunnel` detector's case.
 * C2 that keeps one connection open and exchanges data inside it is not
 * visible in flow starts, so it is not covered here.
 *
 * Episodes: a beacon slower than `episodeGapSeconds` would get one alert
 * per check-in from a fixed gap. So an episode ends after
 * max(`episodeGapSeconds`, 3 periods) without a regular check-in, and the
 * series then starts afresh: a new episode needs `minConnections` again.
 * Memory: 32 check-ins per (host, peer). A series is forgotten after
 * `maxPeriodSeconds` without a check-in, and at most 100 000 series are
 * kept (when full, the tenth quiet for longest are forgotten).
 * @example
 * const session = new DetectionSession({ detectors: [new BeaconingDetector()] });
 * for await (const batch of Capture.openFile('trace.pcap')) session.observe(batch);
 * const alerts = session.finish();
 * @module
 */
import type { AddressKey } from '../address-key.js';
import type { Alert } from '../alert.js';
import { DEFAULT_DETECTION } from '../config.js';
import type { Detector } from '../detector.js';
import { deleteWhere, evictQuietest } from '../distinct-window.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { median } from '../stats.js';

export interface BeaconingConfig {
  minConnections: number;
  highConnections: number;
  minPeriodSeconds: number;
  maxPeriodSeconds: number;
  /** Largest robust coefficient of variation of the intervals (1.4826 · MAD / median). */
  maxJitter: number;
  /** Largest median check-in duration, as a fraction of the period. */
  maxDutyCycle: number;
  externalPeersOnly: boolean;
  ignoredPorts: number[];
}

export const DEFAULT_BEACONING: BeaconingConfig = {
  minConnections: 10,
  highConnections: 100,
  minPeriodSeconds: 1,
  maxPeriodSeconds: 86_400,
  maxJitter: 0.2,
  maxDutyCycle: 0.5,
  externalPeersOnly: true,
  ignoredPorts: [53, 123],
};

const KEPT_CHECKINS = 32;
const MAD_TO_SIGMA = 1.4826;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The IPv4 blocks isLocalAddress counts, by the first two octets. */
function isLocalIpv4(a: number, b: number): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)
  );
}

/**
 * Private, loopback, link-local, CGNAT, multicast, broadcast or reserved:
 * not a peer on the outside. Takes an address's key (an IPv4 address as its
 * number: no string to read, as this runs for every TCP and UDP flow) or
 * its text.
 */
export function isLocalAddress(ip: AddressKey): boolean {
  if (typeof ip === 'number') return isLocalIpv4(ip >>> 24, (ip >>> 16) & 255);
  const s = ip.includes(':') ? ip.toLowerCase() : ip;
  const v4 = !s.includes(':') ? s : s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : undefined;
  if (v4 !== undefined) {
    // The first two octets, read in place.
    let a = 0;
    let i = 0;
    for (; i < v4.length && v4.charCodeAt(i) !== 0x2e; i++) a = a * 10 + v4.charCodeAt(i) - 0x30;
    let b = 0;
    for (i++; i < v4.length && v4.charCodeAt(i) !== 0x2e; i++) b = b * 10 + v4.charCodeAt(i) - 0x30;
    return isLocalIpv4(a, b);
  }
  return s === '::' || s === '::1' || /^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]|ff[0-9a-f]{2}):/.test(s);
}

/** Check-ins of one host to one peer, in start order. */
interface Series {
  starts: number[];
  ends: number[];
  lastCheckIn: number;
  /** The open episode's key in the book, its latest evidence, and the silence that ends it. */
  episode?: string;
  lastEvidence: number;
  episodeGapUs: number;
}

export class BeaconingDetector implements Detector {
  readonly name = 'beaconing';
  #series = new Map<string, Series>();
  // Episodes end per series (see above), so the book itself never closes one.
  #episodes = new EpisodeBook(Number.POSITIVE_INFINITY);
  #nextEpisode = 0;
  #ignored: Set<number>;

  constructor(
    private readonly config: { episodeGapSeconds: number; beaconing: BeaconingConfig } = {
      episodeGapSeconds: DEFAULT_DETECTION.episodeGapSeconds,
      beaconing: DEFAULT_BEACONING,
    },
  ) {
    this.#ignored = new Set(config.beaconing.ignoredPorts);
  }

  observe(v: FlowView, row: number): void {
    const proto = v.proto[row]!;
    if (proto !== 6 && proto !== 17) return;
    const port = v.dstPort[row]!;
    if (this.#ignored.has(port)) return;
    const c = this.config.beaconing;
    if (c.externalPeersOnly && isLocalAddress(v.dstKey(row))) return;
    const dst = v.dstIp(row);
    const src = v.srcIp(row);
    const key = `${src}>${dst}:${port}/${proto}`;
    const t = v.start(row);
    const end = v.endUs[row]!;

    let s = this.#series.get(key);
    if (!s) {
      // Made with its first check-in: arrays of one, as most series never get a second (see DistinctWindow.add).
      this.#series.set(key, (s = { starts: [t], ends: [end], lastCheckIn: t, lastEvidence: -Infinity, episodeGapUs: 0 }));
    } else {
      if (s.episode !== undefined && t - s.lastEvidence > s.episodeGapUs) {
        // The episode is over: a new one needs a regular series of its own.
        s.starts = [];
        s.ends = [];
        s.episode = undefined;
      }
      if (!this.#addCheckIn(s, t, end, (c.minPeriodSeconds * 1e6) / 2)) return;
    }
    if (s.starts.length >= c.minConnections) this.#judge(v, row, key, s);
  }

  /** Reports the series if its check-ins are regular (apart from observe, for its closures: see Detector.observe). */
  #judge(v: FlowView, row: number, key: string, s: Series): void {
    const c = this.config.beaconing;
    const intervals = s.starts.slice(1).map((x, i) => x - s.starts[i]!);
    const period = median(intervals);
    if (period < c.minPeriodSeconds * 1e6 || period > c.maxPeriodSeconds * 1e6) return;
    const mad = median(intervals.map((x) => Math.abs(x - period)));
    const jitter = (MAD_TO_SIGMA * mad) / period;
    if (jitter > c.maxJitter) return;
    const duration = median(s.ends.map((e, i) => e - s.starts[i]!));
    if (duration > c.maxDutyCycle * period) return;
    this.#report(v, row, key, s, period, mad, jitter, duration);
  }

  /** Opens or extends the series' episode (apart from observe: see Detector.observe). */
  #report(v: FlowView, row: number, key: string, s: Series, period: number, mad: number, jitter: number, duration: number): void {
    const c = this.config.beaconing;
    const proto = v.proto[row]!;
    const port = v.dstPort[row]!;
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const t = v.start(row);
    s.episode ??= `${key}#${this.#nextEpisode++}`;
    s.lastEvidence = Math.max(s.lastEvidence, t);
    s.episodeGapUs = Math.max(this.config.episodeGapSeconds * 1e6, 3 * period);
    const protoName = proto === 6 ? 'tcp' : 'udp';
    this.#episodes.note(
      s.episode,
      t,
      // The episode starts with the regular series already seen.
      () => ({
        category: 'beaconing', severity: 3, detector: this.name, start: s.starts[0]!, end: t,
        src_ip: src, dst_ip: dst, dst_port: port, proto, message: '',
        details: {
          connections: s.starts.length - 1, threshold_connections: c.minConnections, high_connections: c.highConnections,
          threshold_jitter: c.maxJitter, min_period_seconds: c.minPeriodSeconds, max_period_seconds: c.maxPeriodSeconds,
        },
      }),
      (a) => {
        const n = (a.details.connections as number) + 1;
        a.details.connections = n;
        a.details.period_seconds = round3(period / 1e6);
        a.details.mad_seconds = round3(mad / 1e6);
        a.details.jitter = round3(jitter);
        a.details.median_duration_seconds = round3(duration / 1e6);
        if (n >= c.highConnections) a.severity = 2;
        a.message = `beaconing: ${src} contacts ${dst}:${port}/${protoName} every ${round3(period / 1e6)} s (${n} times, jitter ${Math.round(jitter * 100)} %)`;
        addFlowSample(a, v, row);
      },
    );
  }

  /** Adds a flow to the series; false when it joined an existing check-in. */
  #addCheckIn(s: Series, t: number, end: number, mergeUs: number): boolean {
    let i = s.starts.length;
    while (i > 0 && s.starts[i - 1]! > t) i--; // flows arrive as they end, nearly in start order
    if (i === 0 && s.starts.length >= KEPT_CHECKINS) return false; // older than every check-in kept
    if (i > 0 && t - s.starts[i - 1]! < mergeUs) {
      s.ends[i - 1] = Math.max(s.ends[i - 1]!, end);
      return false;
    }
    if (i < s.starts.length && s.starts[i]! - t < mergeUs) {
      s.starts[i] = t;
      s.ends[i] = Math.max(s.ends[i]!, end);
      return false;
    }
    s.starts.splice(i, 0, t);
    s.ends.splice(i, 0, end);
    if (s.starts.length > KEPT_CHECKINS) {
      s.starts.shift();
      s.ends.shift();
    }
    s.lastCheckIn = Math.max(s.lastCheckIn, t);
    return true;
  }

  prune(clockUs: number, maxKeys: number): number {
    const horizon = clockUs - this.config.beaconing.maxPeriodSeconds * 1e6;
    deleteWhere(this.#series, (s) => s.lastCheckIn < horizon);
    return evictQuietest(this.#series, maxKeys, (s) => s.lastCheckIn);
  }

  finish(): Alert[] {
    this.#series.clear();
    return this.#episodes.drain();
  }
}
