/**
 * A detection session: every detector over the flow batches of one source
 * (a capture being ingested), alerts at the end.
 *
 * Networks with settings of their own get detectors of their own: each flow
 * goes to the detectors of the most specific network holding its source or
 * destination (the source when both are equally specific), or to the
 * default ones. A network's flows are therefore counted apart from the
 * rest: a sweep across two such networks is two sweeps.
 *
 * @example
 * const session = new DetectionSession();
 * for await (const batch of capture) session.observe(batch);
 * const alerts = session.finish();
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import { type Alert, alertOrder } from './alert.js';
import { parsePrefix, PrefixMap } from '../net/address-set.js';
import { DEFAULT_DETECTION, type DetectionConfig, type DetectionSettings } from './config.js';
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
import { FlowView, ViewScratch } from './flow-view.js';
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

/** Every detector's name, in the order makeDetectors builds them. */
export const DETECTOR_NAMES = [
  'port_scan', 'ip_sweep', 'syn_flood', 'ddos', 'dhcp_flood', 'traffic_spike', 'brute_force', 'beaconing',
  'payload_signature', 'threat_intel', 'dns_tunnel', 'icmp_tunnel',
] as const;

/** The detectors for one set of settings (the default ones, or a network's). */
export function makeDetectors(setup: DetectionSetup = setUpDetection(), config: DetectionSettings = setup.config): Detector[] {
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

/** A network's detectors, and how specific its prefix is (longer wins). */
interface Route {
  detectors: Detector[];
  prefixLength: number;
}

export class DetectionSession {
  #detectors: Detector[];
  #routes: PrefixMap<Route> | undefined;
  #all: Detector[];
  #clock = -Infinity;
  #seen = 0;
  #maxKeys: number;
  #lateUs: number;
  #evicted = 0;
  /** The arrays of the view of each batch given to observe, reused batch after batch. */
  #scratch = new ViewScratch();

  /**
   * Every detector with `setup` (default settings when absent), or only
   * those named in `only` (a detection worker's share), or exactly the
   * `detectors` given.
   */
  constructor(options: { setup?: DetectionSetup; only?: readonly string[]; detectors?: Detector[] } = {}) {
    const setup = options.setup ?? (options.detectors ? undefined : setUpDetection());
    const chosen = (list: Detector[]) => (options.only ? list.filter((d) => options.only!.includes(d.name)) : list);
    this.#detectors = options.detectors ?? chosen(makeDetectors(setup));
    this.#all = [...this.#detectors];
    this.#maxKeys = setup?.config.maxKeysPerDetector ?? DEFAULT_DETECTION.maxKeysPerDetector;
    this.#lateUs = (setup?.config.lateFlowSeconds ?? DEFAULT_DETECTION.lateFlowSeconds) * 1e6;
    if (setup && setup.config.networks.length > 0) {
      this.#routes = new PrefixMap<Route>();
      for (const network of setup.config.networks) {
        const detectors = chosen(makeDetectors(setup, network.config));
        this.#all.push(...detectors);
        for (const text of network.prefixes) {
          const prefix = parsePrefix(text)!;
          // A prefix listed twice keeps its first network's settings.
          this.#routes.set(prefix, { detectors, prefixLength: prefix.len }, () => false);
        }
      }
    }
  }

  /** The detectors watching this row's flow. */
  #route(view: FlowView, row: number): Detector[] {
    const routes = this.#routes!;
    const bySource = routes.match(view.srcIp(row));
    const byDestination = routes.match(view.dstIp(row));
    if (bySource && (!byDestination || bySource.prefixLength >= byDestination.prefixLength)) return bySource.detectors;
    return byDestination?.detectors ?? this.#detectors;
  }

  observe(batch: RecordBatch): void {
    this.observeView(FlowView.of(batch, this.#scratch));
  }

  /**
   * Flows already in a FlowView (from a batch, or columns sent to a worker).
   * Each detector goes over a run of rows in turn rather than every detector
   * over each row: its state and the columns it reads stay in cache (about
   * a fifth less time; with per-network settings, whose detectors depend on
   * each row's addresses, it is row by row). Runs end where pruning is due,
   * so pruning sees the same flows and clock as row by row.
   */
  observeView(view: FlowView): void {
    for (let from = 0; from < view.rows; ) {
      const to = Math.min(view.rows, from + PRUNE_EVERY_FLOWS - (this.#seen % PRUNE_EVERY_FLOWS));
      if (this.#routes) {
        for (let row = from; row < to; row++) for (const d of this.#route(view, row)) d.observe(view, row);
      } else {
        for (const d of this.#detectors) for (let row = from; row < to; row++) d.observe(view, row);
      }
      for (let row = from; row < to; row++) {
        const t = view.start(row);
        if (t > this.#clock) this.#clock = t;
      }
      this.#seen += to - from;
      if (this.#seen % PRUNE_EVERY_FLOWS === 0) {
        for (const d of this.#all) this.#evicted += d.prune(this.#clock - this.#lateUs, this.#maxKeys);
      }
      from = to;
    }
  }

  /** Keys of per-host state evicted for the bound so far (detection may have missed what they held). */
  get evictedKeys(): number {
    return this.#evicted;
  }

  /** Every alert, ordered by start (alertOrder); the session starts afresh, its clock too (the next capture may be older). */
  finish(): Alert[] {
    const alerts = this.#all.flatMap((d) => d.finish()).sort(alertOrder);
    this.#clock = -Infinity;
    this.#seen = 0;
    this.#evicted = 0;
    return alerts;
  }
}
