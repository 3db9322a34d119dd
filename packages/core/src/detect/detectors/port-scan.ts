/**
 * `port_scan`: one source probing many ports of one host. Probes are flows
 * without payload whose handshake never completed (or unanswered UDP), so
 * a busy client using many services is not a scanner. An alert when
 * `minPorts` distinct ports are probed within `windowSeconds`; severity 3,
 * 2 from `highPorts` ports.
 * @module
 */
import type { Alert } from '../alert.js';
import type { DetectionSettings } from '../config.js';
import type { Detector } from '../detector.js';
import type { DistinctWindow } from '../distinct-window.js';
import { addFlowSample } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { WindowedEpisodes } from '../windowed-episodes.js';

export class PortScanDetector implements Detector {
  readonly name = 'port_scan';
  #scans: WindowedEpisodes<string, number>;

  constructor(private readonly config: DetectionSettings) {
    this.#scans = new WindowedEpisodes(
      config.portScan.windowSeconds * 1e6,
      config.episodeGapSeconds * 1e6,
      (a) => `port scan: ${a.src_ip} probed ${a.details.distinct_ports} ports of ${a.dst_ip}`,
    );
  }

  observe(v: FlowView, row: number): void {
    if (!v.isProbe(row)) return;
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const key = `${src}>${dst}`;
    const window = this.#scans.add(key, v.start(row), v.dstPort[row]!);
    if (window.size >= this.config.portScan.minPorts || this.#scans.isOpen(key)) this.#report(v, row, key, window);
  }

  /** Opens or extends the scan's episode with this probe (every probe of a scan comes here: no closures, see EpisodeBook.continued). */
  #report(v: FlowView, row: number, key: string, window: DistinctWindow<number>): void {
    const { windowSeconds, minPorts, highPorts } = this.config.portScan;
    const port = v.dstPort[row]!;
    const t = v.start(row);
    const a =
      this.#scans.continued(key, t, port) ??
      this.#scans.begin(key, t, port, {
        category: 'port_scan', severity: 3, detector: this.name, start: window.firstTime, end: t,
        src_ip: v.srcIp(row), dst_ip: v.dstIp(row), proto: v.proto[row], message: '',
        details: { flows: window.entries - 1, window_seconds: windowSeconds, threshold_ports: minPorts },
      });
    const ports = this.#scans.distinct(key);
    a.details.flows = (a.details.flows as number) + 1;
    a.details.distinct_ports = ports.size;
    a.details.max_ports_in_window = Math.max((a.details.max_ports_in_window as number) ?? 0, window.size);
    if (ports.size >= highPorts) a.severity = 2;
    addFlowSample(a, v, row);
  }

  prune(clockUs: number, maxKeys: number): number {
    return this.#scans.prune(clockUs, maxKeys);
  }

  finish(): Alert[] {
    return this.#scans.finish();
  }
}
