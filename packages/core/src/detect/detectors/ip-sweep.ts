/**
 * `ip_sweep`: one source probing many hosts on the same port, or with ICMP
 * echo. Probes as for port scans (no payload, no completed handshake,
 * unanswered UDP), plus every ICMP echo request. An alert when `minHosts`
 * distinct hosts are probed within `windowSeconds`; severity 3, 2 from
 * `highHosts` hosts.
 * @module
 */
import type { Alert } from '../alert.js';
import type { DetectionSettings } from '../config.js';
import type { Detector } from '../detector.js';
import { type DistinctWindow, dropExpired, windowOf, evictQuietest, MAX_COUNTED } from '../distinct-window.js';
import { addSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';

const ICMP_ECHO = 8;
const ICMPV6_ECHO = 128;

export class IpSweepDetector implements Detector {
  readonly name = 'ip_sweep';
  #windows = new Map<string, DistinctWindow<string>>();
  #hosts = new Map<string, Set<string>>();
  #episodes: EpisodeBook;

  constructor(private readonly config: DetectionSettings) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6);
  }

  /** The service swept ("tcp/22", "udp/161", "icmp/echo"), or undefined if not a probe. */
  #service(v: FlowView, row: number): string | undefined {
    const proto = v.proto[row]!;
    if (proto === 1 || proto === 58) {
      const type = v.srcPort[row]!;
      return type === ICMP_ECHO || type === ICMPV6_ECHO ? 'icmp/echo' : undefined;
    }
    if (!v.isProbe(row)) return undefined;
    return `${proto === 6 ? 'tcp' : 'udp'}/${v.dstPort[row]}`;
  }

  observe(v: FlowView, row: number): void {
    const service = this.#service(v, row);
    if (!service) return;
    const src = v.srcIp(row);
    const key = `${src}>${service}`;
    const { windowSeconds, minHosts, highHosts } = this.config.ipSweep;
    const window = windowOf(this.#windows, key, windowSeconds * 1e6);
    const dst = v.dstIp(row);
    window.add(v.start(row), dst);
    if (window.size < minHosts && !this.#episodes.isOpen(key)) return;
    this.#episodes.note(
      key,
      v.start(row),
      () => {
        // The episode starts with everything already in the window.
        this.#hosts.set(key, new Set(window.values()));
        return {
          category: 'ip_sweep', severity: 3, detector: this.name, start: window.firstTime, end: v.start(row),
          src_ip: src, proto: v.proto[row], ...(service.startsWith('icmp') ? {} : { dst_port: v.dstPort[row] }),
          message: '', details: { service, flows: window.entries - 1, window_seconds: windowSeconds, threshold_hosts: minHosts },
        };
      },
      (a) => {
        const hosts = this.#hosts.get(key)!;
        if (hosts.size < MAX_COUNTED) hosts.add(dst);
        a.details.flows = (a.details.flows as number) + 1;
        a.details.distinct_hosts = hosts.size;
        if (hosts.size >= highHosts) a.severity = 2;
        a.message = `host sweep: ${src} probed ${hosts.size} hosts on ${service}`;
        addSample(a, v.communityId(row));
      },
    );
  }

  prune(clockUs: number, maxKeys: number): number {
    dropExpired(this.#windows, clockUs);
    this.#episodes.closeQuiet(clockUs);
    return evictQuietest(this.#windows, maxKeys, (w) => w.lastTime);
  }

  finish(): Alert[] {
    this.#windows.clear();
    this.#hosts.clear();
    return this.#episodes.drain();
  }
}
