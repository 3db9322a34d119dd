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
import { addSample } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { WindowedEpisodes } from '../windowed-episodes.js';

const ICMP_ECHO = 8;
const ICMPV6_ECHO = 128;

export class IpSweepDetector implements Detector {
  readonly name = 'ip_sweep';
  #sweeps: WindowedEpisodes<string>;

  constructor(private readonly config: DetectionSettings) {
    this.#sweeps = new WindowedEpisodes(config.ipSweep.windowSeconds * 1e6, config.episodeGapSeconds * 1e6);
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
    const dst = v.dstIp(row);
    const t = v.start(row);
    const window = this.#sweeps.add(key, t, dst);
    if (window.size < minHosts && !this.#sweeps.isOpen(key)) return;
    this.#sweeps.note(
      key,
      t,
      dst,
      () => ({
        category: 'ip_sweep', severity: 3, detector: this.name, start: window.firstTime, end: t,
        src_ip: src, proto: v.proto[row], ...(service.startsWith('icmp') ? {} : { dst_port: v.dstPort[row] }),
        message: '', details: { service, flows: window.entries - 1, window_seconds: windowSeconds, threshold_hosts: minHosts },
      }),
      (a, hosts) => {
        a.details.flows = (a.details.flows as number) + 1;
        a.details.distinct_hosts = hosts.size;
        if (hosts.size >= highHosts) a.severity = 2;
        a.message = `host sweep: ${src} probed ${hosts.size} hosts on ${service}`;
        addSample(a, v.communityId(row));
      },
    );
  }

  prune(clockUs: number, maxKeys: number): number {
    return this.#sweeps.prune(clockUs, maxKeys);
  }

  finish(): Alert[] {
    return this.#sweeps.finish();
  }
}
