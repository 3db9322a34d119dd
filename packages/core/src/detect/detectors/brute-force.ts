/**
 * `brute_force`: one source making many short, alike connections to one
 * authentication service of one host, as password guessing does.
 *
 * An attempt is a TCP flow whose service answered (payload both ways, so a
 * probe is never an attempt) and which stayed short and small: at most
 * `maxDurationSeconds` and `maxPayloadBytes` each way. Interactive sessions
 * and transfers are longer or larger.
 *
 * Services: SSH on port 22, or on any port when either side's first bytes
 * are an SSH banner (`SSH-`, the signature Zeek's DPD uses); FTP 21,
 * Telnet 23, SMB 139/445 and RDP 3389 by port. HTTP (80, 443, 8080) gets the
 * stricter `http` thresholds. A browser opens many parallel connections to a
 * site, but they fetch objects of different sizes; login attempts against a
 * form all look alike.
 *
 * An alert opens per (source, host, port) when `minAttempts` attempts start
 * within `windowSeconds` and their sizes are alike: the median absolute
 * deviation of the payload bytes, each way, is at most `maxSizeSpread` times
 * the median. Equivalently, at least half the attempts are within that
 * fraction of the median size, so a few odd connections in between do not
 * hide an attack. Severity 3, and 2 from `highAttempts` in the window.
 *
 * Defaults: 20 attempts in 60 s. This is stricter than the usual rules:
 * fail2ban bans after 5 failures in 10 min, Suricata's ET SCAN SSH rules
 * fire on 5 connections in 120 s, and Zeek's SSH::password_guesses_limit is
 * 30 failed logins within 30 min. Connections are counted here, not inferred
 * failures, so a margin of a few logins a minute is left for scripts and
 * retries. HTTP needs 100 attempts a minute with sizes within 10 %. The
 * `cs_http_espn` browsing capture peaks at 8 connections to one site, and a
 * client polling an API every 2 s (`slips_test-cc-capture-1`) makes 28.
 * @example
 * const session = new DetectionSession({ detectors: [new BruteForceDetector()] });
 * for await (const batch of Capture.openFile('trace.pcap')) session.observe(batch);
 * const alerts = session.finish();
 * @module
 */
import type { Alert } from '../alert.js';
import { DEFAULT_DETECTION } from '../config.js';
import type { Detector } from '../detector.js';
import { deleteWhere, evictQuietest } from '../distinct-window.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { median } from '../stats.js';

export interface BruteForceConfig {
  windowSeconds: number;
  minAttempts: number;
  highAttempts: number;
  /** Largest median absolute deviation of the payload sizes, as a fraction of the median. */
  maxSizeSpread: number;
  maxDurationSeconds: number;
  /** Largest payload, each way, of one attempt. */
  maxPayloadBytes: number;
  /** The same thresholds for HTTP(S), where browsing makes many parallel connections. */
  http: { minAttempts: number; highAttempts: number; maxSizeSpread: number };
}

export const DEFAULT_BRUTE_FORCE: BruteForceConfig = {
  windowSeconds: 60,
  minAttempts: 20,
  highAttempts: 200,
  maxSizeSpread: 0.25,
  maxDurationSeconds: 30,
  maxPayloadBytes: 16_384,
  http: { minAttempts: 100, highAttempts: 1000, maxSizeSpread: 0.1 },
};

const AUTH_PORTS = new Map([
  [21, 'ftp'],
  [22, 'ssh'],
  [23, 'telnet'],
  [139, 'smb'],
  [445, 'smb'],
  [3389, 'rdp'],
]);
const HTTP_PORTS = new Map([
  [80, 'http'],
  [443, 'https'],
  [8080, 'http'],
]);

const SSH_BANNER = Uint8Array.of(0x53, 0x53, 0x48, 0x2d); // "SSH-"

/** Median absolute deviation as a fraction of the median. */
function spread(xs: number[]): number {
  const m = median(xs);
  return m > 0 ? median(xs.map((x) => Math.abs(x - m))) / m : 0;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Attempts of one (source, host, port) within the window, in start order,
 * at most `cap` of them: one flat array of (start, payload fwd, payload rev),
 * as there may be many keys at once (every short HTTPS connection makes one).
 */
class Attempts {
  #a: number[];

  constructor(t: number, fwd: number, rev: number) {
    this.#a = [t, fwd, rev];
  }

  add(t: number, fwd: number, rev: number, cap: number): void {
    const a = this.#a;
    let i = a.length;
    while (i > 0 && a[i - 3]! > t) i -= 3; // flows arrive as they end, nearly in start order
    if (i === a.length) a.push(t, fwd, rev);
    else a.splice(i, 0, t, fwd, rev);
    if (a.length > 3 * cap) a.splice(0, a.length - 3 * cap);
  }

  expire(oldestUs: number): void {
    const a = this.#a;
    let i = 0;
    while (i < a.length && a[i]! < oldestUs) i += 3;
    if (i > 0) a.splice(0, i);
  }

  get count(): number {
    return this.#a.length / 3;
  }

  get firstTime(): number {
    return this.#a.length > 0 ? this.#a[0]! : Infinity;
  }

  get lastTime(): number {
    return this.#a.length > 0 ? this.#a[this.#a.length - 3]! : -Infinity;
  }

  /** Payload sizes sent by the source (0) or by the host (1). */
  sizes(side: 0 | 1): number[] {
    const out: number[] = [];
    for (let i = 1 + side; i < this.#a.length; i += 3) out.push(this.#a[i]!);
    return out;
  }
}

export class BruteForceDetector implements Detector {
  readonly name = 'brute_force';
  #attempts = new Map<string, Attempts>();
  #episodes: EpisodeBook;

  constructor(
    private readonly config: { episodeGapSeconds: number; bruteForce: BruteForceConfig } = {
      episodeGapSeconds: DEFAULT_DETECTION.episodeGapSeconds,
      bruteForce: DEFAULT_BRUTE_FORCE,
    },
  ) {
    this.#episodes = new EpisodeBook(
      config.episodeGapSeconds * 1e6,
      (a) => `brute force: ${a.src_ip} made ${a.details.attempts} short ${a.details.service} connections to ${a.dst_ip}:${a.dst_port}`,
    );
  }

  observe(v: FlowView, row: number): void {
    if (v.proto[row] !== 6) return;
    const fwd = v.payloadFwd[row]!;
    const rev = v.payloadRev[row]!;
    const c = this.config.bruteForce;
    if (fwd === 0 || rev === 0 || fwd > c.maxPayloadBytes || rev > c.maxPayloadBytes) return;
    const t = v.start(row);
    if (v.endUs[row]! - t > c.maxDurationSeconds * 1e6) return;

    const port = v.dstPort[row]!;
    let service = AUTH_PORTS.get(port);
    let http = false;
    if (service !== 'ssh' && (v.payloadsRev.startsWith(row, SSH_BANNER) || v.payloadsFwd.startsWith(row, SSH_BANNER))) service = 'ssh';
    else if (service === undefined) {
      service = HTTP_PORTS.get(port);
      if (service === undefined) return;
      http = true;
    }
    const minAttempts = http ? c.http.minAttempts : c.minAttempts;
    const highAttempts = http ? c.http.highAttempts : c.highAttempts;
    const maxSpread = http ? c.http.maxSizeSpread : c.maxSizeSpread;

    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const key = `${src}>${dst}:${port}`;
    const windowUs = c.windowSeconds * 1e6;
    let window = this.#attempts.get(key);
    if (!window) this.#attempts.set(key, (window = new Attempts(t, fwd, rev)));
    else window.add(t, fwd, rev, highAttempts);
    window.expire(t - windowUs + 1);

    const open = this.#episodes.isOpen(key);
    if (!open && window.count < minAttempts) return;
    let spreadFwd = 0;
    let spreadRev = 0;
    if (!open) {
      spreadFwd = spread(window.sizes(0));
      if (spreadFwd > maxSpread) return;
      spreadRev = spread(window.sizes(1));
      if (spreadRev > maxSpread) return;
    }
    this.#report(v, row, key, window, service, http, spreadFwd, spreadRev);
  }

  /** Opens or extends the attempts' episode (apart from observe: see Detector.observe). */
  #report(v: FlowView, row: number, key: string, window: Attempts, service: string, http: boolean, spreadFwd: number, spreadRev: number): void {
    const c = this.config.bruteForce;
    const minAttempts = http ? c.http.minAttempts : c.minAttempts;
    const highAttempts = http ? c.http.highAttempts : c.highAttempts;
    const maxSpread = http ? c.http.maxSizeSpread : c.maxSizeSpread;
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const port = v.dstPort[row]!;
    const t = v.start(row);
    this.#episodes.note(
      key,
      t,
      // The episode starts with every attempt already in the window.
      () => ({
        category: 'brute_force', severity: 3, detector: this.name, start: window.firstTime, end: t,
        src_ip: src, dst_ip: dst, dst_port: port, proto: 6, message: '',
        details: {
          service, attempts: window.count - 1, max_attempts_in_window: 0,
          window_seconds: c.windowSeconds, threshold_attempts: minAttempts, high_attempts: highAttempts,
          median_payload_fwd: median(window.sizes(0)), median_payload_rev: median(window.sizes(1)),
          size_spread_fwd: round3(spreadFwd), size_spread_rev: round3(spreadRev), threshold_size_spread: maxSpread,
          max_duration_seconds: c.maxDurationSeconds, max_payload_bytes: c.maxPayloadBytes,
        },
      }),
      (a) => {
        a.details.attempts = (a.details.attempts as number) + 1;
        a.details.max_attempts_in_window = Math.max(a.details.max_attempts_in_window as number, window.count);
        if (window.count >= highAttempts) a.severity = 2;
        addFlowSample(a, v, row);
      },
    );
  }

  prune(clockUs: number, maxKeys: number): number {
    const oldestUs = clockUs - this.config.bruteForce.windowSeconds * 1e6;
    deleteWhere(this.#attempts, (w) => w.lastTime <= oldestUs);
    this.#episodes.closeQuiet(clockUs);
    return evictQuietest(this.#attempts, maxKeys, (w) => w.lastTime);
  }

  finish(): Alert[] {
    this.#attempts.clear();
    return this.#episodes.drain();
  }
}
