/**
 * `ip_sweep`: one source probing many hosts on the same port, with ICMP
 * echo, or with ARP (asking the LAN for many addresses, as host discovery
 * does where the capture shows the link layer). Probes as for port scans (no
 * payload, no completed handshake, unanswered UDP), plus every ICMP echo
 * request and every ARP request but address probes (from 0.0.0.0, RFC 5227)
 * and announcements (for the sender's own address). An alert when `minHosts`
 * distinct hosts are probed within `windowSeconds`; severity 3, 2 from
 * `highHosts` hosts.
 * @module
 */
import { type AddressKey, addressWith } from '../address-key.js';
import type { Alert } from '../alert.js';
import type { DetectionSettings } from '../config.js';
import type { Detector } from '../detector.js';
import type { DistinctWindow } from '../distinct-window.js';
import { addFlowSample } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { WindowedEpisodes } from '../windowed-episodes.js';

const ICMP_ECHO = 8;
const ICMPV6_ECHO = 128;
/** Service codes: the protocol class times 2^16 plus the port (0 for ICMP echo). */
const TCP_SERVICE = 0;
const UDP_SERVICE = 1 << 16;
const ICMP_ECHO_SERVICE = 2 << 16;
const ARP_SERVICE = 3 << 16;

/** `details.service` of an ARP sweep's alert (ARP has no IP protocol for the alert's `proto`). */
export const ARP_SWEEP_SERVICE = 'arp';

/** The service of a code, as alerts name it: "tcp/22", "udp/161", "icmp/echo", "arp". */
function serviceName(code: number): string {
  if (code === ICMP_ECHO_SERVICE) return 'icmp/echo';
  if (code === ARP_SERVICE) return ARP_SWEEP_SERVICE;
  return `${code >= UDP_SERVICE ? 'udp' : 'tcp'}/${code & 0xffff}`;
}

export class IpSweepDetector implements Detector {
  readonly name = 'ip_sweep';
  #sweeps: WindowedEpisodes<number | string, AddressKey>; // per source and service: hosts probed

  constructor(private readonly config: DetectionSettings) {
    this.#sweeps = new WindowedEpisodes(
      config.ipSweep.windowSeconds * 1e6,
      config.episodeGapSeconds * 1e6,
      (a) => `host sweep: ${a.src_ip} probed ${a.details.distinct_hosts} hosts on ${a.details.service}`,
    );
  }

  /** The code of the service swept, or -1 if the flow is not a probe. */
  #service(v: FlowView, row: number): number {
    if (v.isArp(row)) {
      const sender = v.srcKey(row);
      return sender === 0 || sender === v.dstKey(row) ? -1 : ARP_SERVICE;
    }
    const proto = v.proto[row]!;
    if (proto === 1 || proto === 58) {
      const type = v.srcPort[row]!;
      return type === ICMP_ECHO || type === ICMPV6_ECHO ? ICMP_ECHO_SERVICE : -1;
    }
    if (!v.isProbe(row)) return -1;
    return (proto === 6 ? TCP_SERVICE : UDP_SERVICE) + v.dstPort[row]!;
  }

  observe(v: FlowView, row: number): void {
    const code = this.#service(v, row);
    if (code < 0) return;
    const key = addressWith(v.srcKey(row), code);
    const window = this.#sweeps.add(key, v.start(row), v.dstKey(row));
    if (window.size >= this.config.ipSweep.minHosts || this.#sweeps.isOpen(key)) this.#report(v, row, key, code, window);
  }

  /** Opens or extends the sweep's episode with this probe (every probe of a sweep comes here: no closures, see EpisodeBook.continued). */
  #report(v: FlowView, row: number, key: number | string, code: number, window: DistinctWindow<AddressKey>): void {
    const { windowSeconds, minHosts, highHosts } = this.config.ipSweep;
    const dst = v.dstKey(row);
    const t = v.start(row);
    const a =
      this.#sweeps.continued(key, t, dst) ??
      this.#sweeps.begin(key, t, dst, {
        category: 'ip_sweep', severity: 3, detector: this.name, start: window.firstTime, end: t,
        src_ip: v.srcIp(row), proto: v.protocol(row),
        ...(code < ICMP_ECHO_SERVICE && { dst_port: v.dstPort[row] }),
        message: '', details: { service: serviceName(code), flows: window.entries - 1, window_seconds: windowSeconds, threshold_hosts: minHosts },
      });
    const hosts = this.#sweeps.distinct(key);
    a.details.flows = (a.details.flows as number) + 1;
    a.details.distinct_hosts = hosts.size;
    if (hosts.size >= highHosts) a.severity = 2;
    addFlowSample(a, v, row);
  }

  prune(clockUs: number, maxKeys: number): number {
    return this.#sweeps.prune(clockUs, maxKeys);
  }

  finish(): Alert[] {
    return this.#sweeps.finish();
  }
}
