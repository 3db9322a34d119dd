/**
 * A detection session: every detector over the flow batches of one source
 * (a capture being ingested), alerts at the end.
 *
 * @example
 * const session = new DetectionSession();
 * for await (const batch of capture) session.observe(batch);
 * const alerts = session.finish();
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import type { Alert } from './alert.js';
import { DEFAULT_DETECTION, type DetectionConfig } from './config.js';
import type { Detector } from './detector.js';
import { BeaconingDetector } from './detectors/beaconing.js';
import { BruteForceDetector } from './detectors/brute-force.js';
import { DdosDetector } from './detectors/ddos.js';
import { DhcpFloodDetector } from './detectors/dhcp-flood.js';
import { DnsTunnelDetector } from './detectors/dns-tunnel.js';
import { IcmpTunnelDetector } from './detectors/icmp-tunnel.js';
import { PayloadSignatureDetector, signaturesFor } from './detectors/payload-signature.js';
import { ThreatIntelDetector } from './detectors/threat-intel.js';
import { TrafficSpikeDetector } from './detectors/traffic-spike.js';
import { IpSweepDetector } from './detectors/ip-sweep.js';
import { PortScanDetector } from './detectors/port-scan.js';
import { SynFloodDetector } from './detectors/syn-flood.js';
import { FlowView } from './flow-view.js';
import { type IndicatorSet, loadIndicators } from './indicators.js';
import type { Signature } from './signatures.js';

const PRUNE_EVERY_FLOWS = 16_384;

/** Detection settings with the files they name already read, so that many sessions (one per capture) share one reading. */
export interface DetectionSetup {
  readonly config: DetectionConfig;
  readonly signatures: Signature[];
  readonly indicators: IndicatorSet;
}

/** Reads the pattern files and indicator lists of `config`; a bad line throws, naming the file and line. */
export function setUpDetection(config: DetectionConfig = DEFAULT_DETECTION): DetectionSetup {
  return {
    config,
    signatures: signaturesFor(config.payloadSignature.files),
    indicators: loadIndicators(config.threatIntel.lists),
  };
}

export function makeDetectors(setup: DetectionSetup = setUpDetection()): Detector[] {
  const { config } = setup;
  return [
    new PortScanDetector(config),
    new IpSweepDetector(config),
    new SynFloodDetector(config),
    new DdosDetector({ ...config.ddos, episodeGapSeconds: config.episodeGapSeconds }),
    new DhcpFloodDetector(config.dhcpFlood, config.episodeGapSeconds),
    new TrafficSpikeDetector({ ...config.trafficSpike, episodeGapSeconds: config.episodeGapSeconds }),
    new BruteForceDetector(config),
    new BeaconingDetector(config),
    new PayloadSignatureDetector(config, { signatures: setup.signatures }),
    new ThreatIntelDetector(config, { indicators: setup.indicators }),
    new DnsTunnelDetector(config),
    new IcmpTunnelDetector(config),
  ];
}

export class DetectionSession {
  #detectors: Detector[];
  #clock = -Infinity;
  #seen = 0;

  /** Every detector with `setup` (default settings when absent), or exactly the `detectors` given. */
  constructor(options: { setup?: DetectionSetup; detectors?: Detector[] } = {}) {
    this.#detectors = options.detectors ?? makeDetectors(options.setup);
  }

  observe(batch: RecordBatch): void {
    const view = new FlowView(batch);
    for (let row = 0; row < view.rows; row++) {
      const t = view.start(row);
      if (t > this.#clock) this.#clock = t;
      for (const d of this.#detectors) d.observe(view, row, this.#clock);
      if (++this.#seen % PRUNE_EVERY_FLOWS === 0) for (const d of this.#detectors) d.prune(this.#clock);
    }
  }

  /** Every alert, ordered by start; the session starts afresh. */
  finish(): Alert[] {
    return this.#detectors.flatMap((d) => d.finish()).sort((a, b) => a.start - b.start);
  }
}
