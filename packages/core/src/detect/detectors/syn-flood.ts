/**
 * `syn_flood`: many SYNs to one port of one host that never complete, from
 * any number of (possibly spoofed) sources. Counted per target port, so a
 * port scan (one SYN per port) is not a flood. An alert when
 * `minAttempts` SYN flows that never completed (unanswered, refused, or a
 * SYN-ACK never acknowledged) arrive within
 * `windowSeconds`; severity 2, 1 from `criticalAttempts`.
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

export class SynFloodDetector implements Detector {
  readonly name = 'syn_flood';
  #floods: WindowedEpisodes<number | string, AddressKey>; // per target port: attempts (entries) by source (values)

  constructor(private readonly config: DetectionSettings) {
    this.#floods = new WindowedEpisodes(
      config.synFlood.windowSeconds * 1e6,
      config.episodeGapSeconds * 1e6,
      (a) => `SYN flood: ${a.details.attempts} unanswered SYNs to ${a.dst_ip}:${a.dst_port} from ${a.details.distinct_sources} sources`,
    );
  }

  observe(v: FlowView, row: number): void {
    if (v.proto[row] !== 6 || v.synCount[row] === 0) return;
    const state = v.connState(row);
    // Never completed: unanswered, refused, or answered with a SYN-ACK that was never acknowledged (OTH after a SYN: a server with SYN cookies).
    const halfOpen = state === 'OTH' && v.payloadFwd[row] === 0 && v.payloadRev[row] === 0;
    if (state !== 'S0' && state !== 'REJ' && state !== 'RSTOS0' && !halfOpen) return;
    const key = addressWith(v.dstKey(row), v.dstPort[row]!);
    const window = this.#floods.add(key, v.start(row), v.srcKey(row));
    if (window.entries >= this.config.synFlood.minAttempts || this.#floods.isOpen(key)) this.#report(v, row, key, window);
  }

  /** Opens or extends the flood's episode with this attempt (every SYN of a flood comes here: no closures, see EpisodeBook.continued). */
  #report(v: FlowView, row: number, key: number | string, window: DistinctWindow<AddressKey>): void {
    const { windowSeconds, minAttempts, criticalAttempts } = this.config.synFlood;
    const t = v.start(row);
    const src = v.srcKey(row);
    const a =
      this.#floods.continued(key, t, src) ??
      this.#floods.begin(key, t, src, {
        category: 'syn_flood', severity: 2, detector: this.name, start: window.firstTime, end: t,
        dst_ip: v.dstIp(row), dst_port: v.dstPort[row], proto: 6, message: '',
        details: { attempts: window.entries - 1, window_seconds: windowSeconds, threshold_attempts: minAttempts },
      });
    a.details.attempts = (a.details.attempts as number) + 1;
    a.details.distinct_sources = this.#floods.distinct(key).size;
    a.details.max_attempts_in_window = Math.max((a.details.max_attempts_in_window as number) ?? 0, window.entries);
    if (window.entries >= criticalAttempts) a.severity = 1;
    addFlowSample(a, v, row);
  }

  prune(clockUs: number, maxKeys: number): number {
    return this.#floods.prune(clockUs, maxKeys);
  }

  finish(): Alert[] {
    return this.#floods.finish();
  }
}
