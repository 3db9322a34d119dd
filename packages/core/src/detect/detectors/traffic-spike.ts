/**
 * `traffic_spike`: a host's traffic far above its own recent baseline. The
 * payload bytes a host exchanges (both directions of its flows, counted at
 * each flow's start) are summed per `binSeconds` bin; a baseline of earlier bins
 * (exponentially weighted mean and deviation, after `warmupBins` bins of
 * history) decides what is usual for that host. A bin counts as a spike when
 * it is at least `factor` times the baseline mean, `sigmas` deviations above
 * it, and at least `minBytes` (small hosts doubling their trickle are not a
 * spike). Severity 3; 2 from `highFactor` times the baseline.
 * @module
 */
import { type AddressKey, addressText } from '../address-key.js';
import type { Alert } from '../alert.js';
import type { Detector } from '../detector.js';
import { evictQuietest, ExpiryBound } from '../distinct-window.js';
import { addSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';

export interface TrafficSpikeConfig {
  binSeconds: number;
  warmupBins: number;
  /** Weight of the newest bin in the baseline (EWMA). */
  alpha: number;
  factor: number;
  highFactor: number;
  sigmas: number;
  minBytes: number;
  episodeGapSeconds: number;
}

export const DEFAULT_TRAFFIC_SPIKE: TrafficSpikeConfig = {
  binSeconds: 10,
  warmupBins: 6,
  alpha: 0.1,
  factor: 20,
  highFactor: 100,
  sigmas: 6,
  minBytes: 50_000_000,
  episodeGapSeconds: 300,
};

/**
 * A bin's sample flow is looked for once the bin holds this share of
 * minBytes (a bin under minBytes is never a spike): the sample is then the
 * bin's largest flow whenever that flow alone is at least this share, and
 * the Community IDs of the flows of quiet bins (nearly all of them) are
 * never read.
 */
const SAMPLE_FROM_SHARE = 0.1;

interface HostRate {
  bin: number; // index of the bin being filled
  bytes: number; // in that bin
  sample?: string; // a Community ID of the bin's largest flow (see SAMPLE_FROM_SHARE)
  sampleBytes: number;
  bins: number; // bins folded into the baseline
  mean: number;
  variance: number;
}

export class TrafficSpikeDetector implements Detector {
  readonly name = 'traffic_spike';
  #hosts = new Map<AddressKey, HostRate>();
  #expiry = new ExpiryBound();
  #episodes: EpisodeBook<AddressKey>;

  constructor(private readonly config: TrafficSpikeConfig = DEFAULT_TRAFFIC_SPIKE) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6);
  }

  observe(v: FlowView, row: number): void {
    const bytes = v.payloadFwd[row]! + v.payloadRev[row]!;
    const bin = Math.floor(v.start(row) / (this.config.binSeconds * 1e6));
    this.#count(v, row, v.srcKey(row), bin, bytes);
    this.#count(v, row, v.dstKey(row), bin, bytes);
  }

  #count(v: FlowView, row: number, host: AddressKey, bin: number, bytes: number): void {
    let h = this.#hosts.get(host);
    if (!h) {
      this.#hosts.set(host, (h = { bin, bytes: 0, sampleBytes: 0, bins: 0, mean: 0, variance: 0 }));
      this.#expiry.saw(bin); // a host's bin only moves on
    }
    if (bin > h.bin) this.#close(host, h, bin);
    if (bin < h.bin) return; // a flow from before this bin: already judged
    h.bytes += bytes;
    if (bytes > h.sampleBytes && h.bytes >= this.config.minBytes * SAMPLE_FROM_SHARE) {
      h.sampleBytes = bytes;
      h.sample = v.communityId(row);
    }
  }

  /** Judges the finished bin against the baseline, then folds it (and any empty bins) in. */
  #close(host: AddressKey, h: HostRate, next: number): void {
    const { factor, highFactor, sigmas, minBytes, warmupBins, alpha, binSeconds } = this.config;
    const deviation = Math.sqrt(h.variance);
    const ratio = h.mean > 0 ? h.bytes / h.mean : Infinity;
    if (h.bins >= warmupBins && h.bytes >= minBytes && ratio >= factor && h.bytes >= h.mean + sigmas * deviation) {
      const start = h.bin * binSeconds * 1e6;
      this.#episodes.note(
        host,
        start,
        () => ({
          category: 'traffic_spike', severity: 3, detector: this.name, start, end: start,
          src_ip: addressText(host), message: '', details: { bin_seconds: binSeconds, threshold_factor: factor, threshold_bytes: minBytes },
        }),
        (a) => {
          a.end = start + binSeconds * 1e6;
          a.details.max_bin_bytes = Math.max((a.details.max_bin_bytes as number) ?? 0, h.bytes);
          a.details.baseline_bytes = Math.round(h.mean);
          a.details.max_factor = Math.max((a.details.max_factor as number) ?? 0, Math.round(ratio));
          if (ratio >= highFactor) a.severity = 2;
          a.message = `traffic spike: ${a.src_ip} moved ${a.details.max_bin_bytes} bytes in ${binSeconds} s, ${a.details.max_factor}x its usual`;
          if (h.sample) addSample(a, h.sample);
        },
      );
    }
    // Fold the finished bin and the empty bins after it into the baseline.
    for (let b = h.bin; b < next && b < h.bin + 10 * warmupBins; b++) {
      const x = b === h.bin ? h.bytes : 0;
      if (h.bins === 0) {
        h.mean = x; // seeded with the first bin, not with 0
      } else {
        const diff = x - h.mean;
        h.mean += alpha * diff;
        h.variance = (1 - alpha) * (h.variance + alpha * diff * diff);
      }
      h.bins++;
    }
    h.bin = next;
    h.bytes = 0;
    h.sample = undefined;
    h.sampleBytes = 0;
  }

  prune(clockUs: number, maxKeys: number): number {
    const horizon = Math.floor(clockUs / (this.config.binSeconds * 1e6)) - 10 * this.config.warmupBins;
    this.#expiry.prune(this.#hosts, horizon, (h) => h.bin);
    this.#episodes.closeQuiet(clockUs);
    return evictQuietest(this.#hosts, maxKeys, (h) => h.bin);
  }

  finish(): Alert[] {
    // The last bins are judged too; only those over minBytes can be spikes, and no baseline matters after this.
    const { minBytes } = this.config;
    this.#hosts.forEach((h, host) => {
      if (h.bytes >= minBytes) this.#close(host, h, h.bin + 1);
    });
    this.#hosts.clear();
    return this.#episodes.drain();
  }
}
