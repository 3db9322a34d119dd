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
import { type DistinctWindow, dropExpired, windowOf, evictQuietest } from '../distinct-window.js';
import { addSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';

export class PortScanDetector implements Detector {
  readonly name = 'port_scan';
  #windows = new Map<string, DistinctWindow<number>>();
  #ports = new Map<string, Set<number>>(); // per open episode: every port probed
  #episodes: EpisodeBook;

  constructor(private readonly config: DetectionSettings) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6);
  }

  observe(v: FlowView, row: number): void {
    if (!v.isProbe(row)) return;
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const key = `${src}>${dst}`;
    const { windowSeconds, minPorts, highPorts } = this.config.portScan;
    const window = windowOf(this.#windows, key, windowSeconds * 1e6);
    const port = v.dstPort[row]!;
    window.add(v.start(row), port);
    if (window.size < minPorts && !this.#episodes.isOpen(key)) return;
    this.#episodes.note(
      key,
      v.start(row),
      () => {
        // The episode starts with everything already in the window.
        this.#ports.set(key, new Set(window.values()));
        return {
          category: 'port_scan', severity: 3, detector: this.name, start: window.firstTime, end: v.start(row),
          src_ip: src, dst_ip: dst, proto: v.proto[row], message: '',
          details: { flows: window.entries - 1, window_seconds: windowSeconds, threshold_ports: minPorts },
        };
      },
      (a) => {
        const ports = this.#ports.get(key)!;
        ports.add(port);
        a.details.flows = (a.details.flows as number) + 1;
        a.details.distinct_ports = ports.size;
        a.details.max_ports_in_window = Math.max((a.details.max_ports_in_window as number) ?? 0, window.size);
        if (ports.size >= highPorts) a.severity = 2;
        a.message = `port scan: ${src} probed ${ports.size} ports of ${dst}`;
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
    this.#ports.clear();
    return this.#episodes.drain();
  }
}
