/**
 * `ddos`: many sources converging on one target. Per target host over a
 * short window: at least `minSources` distinct sources and `minPackets`
 * packets towards it. When most of that traffic comes from UDP service
 * ports that answer small requests with large responses (DNS 53, NTP 123,
 * SNMP 161, ISAKMP 500/4500, SSDP 1900, ...), it is reflection/amplification:
 * the sources are reflectors, the target is the spoofed victim.
 *
 * A target's usual load counts too: the packets it gets per window-long bin
 * make a baseline (an exponentially weighted mean; the first, partial bin
 * and bins over the thresholds left out). Once `baselineBins` bins are
 * known, the window must also hold `baselineFactor` times the baseline, so
 * a server whose ordinary load grows past the thresholds is not flooded by
 * its own clients. A target without that history (a capture starting with
 * the attack, or with the server's busy hour) is judged on the thresholds
 * alone.
 * Severity 2; 1 from `criticalPackets` packets in the window.
 * @module
 */
import type { AddressKey } from '../address-key.js';
import type { Alert } from '../alert.js';
import type { Detector } from '../detector.js';
import { DistinctWindow, evictQuietest, ExpiryBound, MAX_COUNTED } from '../distinct-window.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';

/**
 * UDP services abused for amplification (US-CERT TA14-017A and later
 * reports): chargen, DNS, portmap, NTP, NetBIOS, SNMP, CLDAP, ISAKMP/IKE and
 * its NAT-T port, RIP, MS-SQL browser, SSDP, ARD, STUN, WS-Discovery, mDNS,
 * CoAP, Ubiquiti discovery, memcached, Steam, DVR (37810).
 */
export const AMPLIFICATION_PORTS: ReadonlySet<number> = new Set([
  19, 53, 111, 123, 137, 161, 389, 500, 520, 1434, 1900, 3283, 3478, 3702, 4500, 5353, 5683, 10001, 11211, 27015, 37810,
]);

export interface DdosConfig {
  windowSeconds: number;
  minSources: number;
  minPackets: number;
  criticalPackets: number;
  /** How far above its baseline a target's window must be, once the baseline is known. */
  baselineFactor: number;
  /** Bins (of windowSeconds) of history before the baseline counts. */
  baselineBins: number;
  episodeGapSeconds: number;
}

export const DEFAULT_DDOS: DdosConfig = {
  windowSeconds: 10,
  minSources: 50,
  minPackets: 1000,
  criticalPackets: 100_000,
  baselineFactor: 10,
  baselineBins: 6,
  episodeGapSeconds: 300,
};

/** Weight of the newest bin in the baseline. */
const BASELINE_ALPHA = 0.1;
/** Bins of history a quiet target's baseline is kept for, in baselineBins (ten minutes by default). */
const BASELINE_HORIZON = 10;

/** Flows of the same kind within a millisecond of a bucket's first share it. */
function sameBucket(bucketTime: number, bucketAmplified: boolean, t: number, amplified: boolean): boolean {
  return bucketAmplified === amplified && t - bucketTime < 1000;
}

/**
 * The packets towards a target within the window, with their sum and the
 * sum of the amplified ones. Flows of the same millisecond (and kind) share
 * a bucket, so a flood of millions stays a few thousand buckets; buckets
 * are parallel arrays read from a head index, not an object each, made for
 * the second bucket (most targets get one flow: see DistinctWindow) and
 * kept once made.
 */
export class PacketWindow {
  #times: number[] | undefined;
  #packets: number[] | undefined;
  #amplified: boolean[] | undefined;
  #head = 0;
  /** The only bucket before the arrays are made (its packets are `total`); NaN when there is none. */
  #soleTime = NaN;
  #soleAmplified = false;
  total = 0;
  amplified = 0;

  constructor(readonly windowUs: number) {}

  /** Adds a flow's packets at `t` (its start) and drops the buckets that left the window. */
  add(t: number, packets: number, amplified: boolean): void {
    this.total += packets;
    if (amplified) this.amplified += packets;
    const times = this.#times;
    if (!times) {
      this.#addBeforeArrays(t, packets, amplified);
      return;
    }
    const last = times.length - 1;
    if (last >= this.#head && sameBucket(times[last]!, this.#amplified![last]!, t, amplified)) this.#packets![last]! += packets;
    else {
      times.push(t);
      this.#packets!.push(packets);
      this.#amplified!.push(amplified);
    }
    while (this.#head < times.length && times[this.#head]! <= t - this.windowUs) {
      const old = this.#packets![this.#head]!;
      this.total -= old;
      if (this.#amplified![this.#head]) this.amplified -= old;
      this.#head++;
    }
    if (this.#head === times.length) {
      times.length = this.#packets!.length = this.#amplified!.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head);
      this.#packets = this.#packets!.slice(this.#head);
      this.#amplified = this.#amplified!.slice(this.#head);
      this.#head = 0;
    }
  }

  /** add while the window holds at most one bucket (`total` and `amplified` already count this flow). */
  #addBeforeArrays(t: number, packets: number, amplified: boolean): void {
    const sole = this.#soleTime;
    if (!Number.isNaN(sole)) {
      if (sole > t - this.windowUs) {
        if (sameBucket(sole, this.#soleAmplified, t, amplified)) return;
        // A second bucket. Literals (see DistinctWindow.add).
        this.#times = [sole, t];
        this.#packets = [this.total - packets, packets];
        this.#amplified = [this.#soleAmplified, amplified];
        this.#soleTime = NaN;
        return;
      }
      // The sole bucket left the window: this flow is all it holds.
      this.total = packets;
      this.amplified = amplified ? packets : 0;
    }
    this.#soleTime = t;
    this.#soleAmplified = amplified;
  }
}

interface Target {
  sources: DistinctWindow<AddressKey>;
  packets: PacketWindow;
  lastSeen: number; // start of its newest flow
  bin: number; // index of the baseline bin being filled
  binPackets: number;
  binExcluded: boolean; // left out of the baseline: the first (partial) bin, or one over the thresholds
  bins: number; // bins in the baseline
  baseline: number; // packets per bin
}

export class DdosDetector implements Detector {
  readonly name = 'ddos';
  #targets = new Map<AddressKey, Target>();
  #expiry = new ExpiryBound();
  #episodes: EpisodeBook<AddressKey>;
  #sources = new Map<AddressKey, Set<AddressKey>>();

  constructor(private readonly config: DdosConfig = DEFAULT_DDOS) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6, (a) =>
      a.details.kind === 'udp_amplification'
        ? `DDoS (UDP amplification via port ${a.details.reflector_port}): ${a.details.distinct_sources} reflectors flooding ${a.dst_ip}`
        : `DDoS: ${a.details.distinct_sources} sources flooding ${a.dst_ip}`,
    );
  }

  observe(v: FlowView, row: number): void {
    // Traffic towards the target: the forward side for most flows; for a
    // reflected response, the side that sent first is the reflector.
    const dst = v.dstKey(row);
    const src = v.srcKey(row);
    const packets = v.pktsFwd[row]!;
    const amplified = v.proto[row] === 17 && AMPLIFICATION_PORTS.has(v.srcPort[row]!) && v.pktsRev[row]! === 0;
    const t = v.start(row);
    const windowUs = this.config.windowSeconds * 1e6;
    const bin = Math.floor(t / windowUs);
    let target = this.#targets.get(dst);
    if (!target) {
      target = {
        sources: new DistinctWindow(windowUs), packets: new PacketWindow(windowUs),
        lastSeen: t, bin, binPackets: 0, binExcluded: true, bins: 0, baseline: 0,
      };
      this.#targets.set(dst, target);
      this.#expiry.saw(t); // a target's lastSeen only moves on
    }
    if (t > target.lastSeen) target.lastSeen = t;
    if (bin > target.bin) this.#fold(target, bin);
    if (bin === target.bin) target.binPackets += packets; // a late flow counts in the window only
    target.sources.add(t, src);
    target.packets.add(t, packets, amplified);

    const { minSources, minPackets, baselineFactor, baselineBins } = this.config;
    const usual = target.bins >= baselineBins ? baselineFactor * target.baseline : 0;
    const over = target.sources.size >= minSources && target.packets.total >= minPackets && target.packets.total >= usual;
    if (over) target.binExcluded = true;
    if (over || this.#episodes.isOpen(dst)) this.#report(v, row, target, usual);
  }

  /** Opens or extends the target's episode with this flow (every flow of a flood comes here: no closures, see EpisodeBook.continued). */
  #report(v: FlowView, row: number, target: Target, usual: number): void {
    const dst = v.dstKey(row);
    const packets = v.pktsFwd[row]!;
    const t = v.start(row);
    const a = this.#episodes.continued(dst, t) ?? this.#begin(v, row, target, usual);
    const sources = this.#sources.get(dst)!;
    if (sources.size < MAX_COUNTED) sources.add(v.srcKey(row));
    a.details.packets = (a.details.packets as number) + packets;
    a.details.distinct_sources = sources.size;
    a.details.max_packets_in_window = Math.max((a.details.max_packets_in_window as number) ?? 0, target.packets.total);
    if (target.packets.amplified * 2 > target.packets.total) {
      a.details.kind = 'udp_amplification';
      a.details.reflector_port = v.srcPort[row];
      a.proto = 17;
    } else a.details.kind ??= 'many_sources';
    if (target.packets.total >= this.config.criticalPackets) a.severity = 1;
    addFlowSample(a, v, row);
  }

  /** A new episode: its sources are those already in the target's window. */
  #begin(v: FlowView, row: number, target: Target, usual: number): Alert {
    const { minSources, minPackets, windowSeconds } = this.config;
    const dst = v.dstKey(row);
    const t = v.start(row);
    this.#sources.set(dst, new Set(target.sources.values()));
    return this.#episodes.begin(dst, t, {
      category: 'ddos', severity: 2, detector: this.name, start: target.sources.firstTime, end: t,
      dst_ip: v.dstIp(row), message: '',
      details: {
        packets: target.packets.total - v.pktsFwd[row]!, window_seconds: windowSeconds, threshold_sources: minSources, threshold_packets: minPackets,
        ...(usual > 0 && { baseline_packets: Math.round(target.baseline) }),
      },
    });
  }

  /** Folds the bins from the target's current one up to `next` (empty ones too, within the horizon) into its baseline. */
  #fold(target: Target, next: number): void {
    const end = Math.min(next, target.bin + BASELINE_HORIZON * this.config.baselineBins);
    for (let b = target.bin; b < end; b++) {
      if (b === target.bin && target.binExcluded) continue;
      const x = b === target.bin ? target.binPackets : 0;
      target.baseline = target.bins === 0 ? x : target.baseline + BASELINE_ALPHA * (x - target.baseline);
      target.bins++;
    }
    target.bin = next;
    target.binPackets = 0;
    target.binExcluded = false;
  }

  prune(clockUs: number, maxKeys: number): number {
    const { windowSeconds, baselineFactor, baselineBins, minPackets } = this.config;
    const windowUs = windowSeconds * 1e6;
    const horizonUs = BASELINE_HORIZON * baselineBins * windowUs;
    // A quiet target is kept only while its baseline would raise the bar above minPackets.
    this.#expiry.prune(
      this.#targets,
      clockUs - windowUs,
      (t) => t.lastSeen,
      (t) => t.lastSeen < clockUs - windowUs && (t.lastSeen < clockUs - horizonUs || baselineFactor * t.baseline < minPackets),
    );
    this.#episodes.closeQuiet(clockUs);
    return evictQuietest(this.#targets, maxKeys, (t) => t.lastSeen);
  }

  finish(): Alert[] {
    this.#targets.clear();
    this.#sources.clear();
    return this.#episodes.drain();
  }
}
