/**
 * `payload_signature`: SQL injection, cross-site scripting, command injection
 * and path traversal patterns in the first payload bytes of each direction
 * (`payload_fwd`, `payload_rev`), URL-decoded before matching (see
 * signatures.ts). Per direction, the first matching pattern of each category
 * counts. The sender of the matching bytes is the alert's source, the other
 * side its destination; one alert per (source, destination, pattern) episode.
 * `details`: `signature`, `signature_category`, `pattern` (the regex),
 * `match` (the decoded text it matched, up to 120 characters) and `excerpt`
 * (with 40 characters either side) from the first flow, `direction` (fwd/rev
 * in that flow), `flows`, `sample_flows`. The matched text is
 * attacker-controlled: it is stored as data, escape it when showing it.
 * Severity 2 for the injection classes (sqli, xss, cmdi), 3 for the rest. SQL
 * patterns are not applied on database ports (1433, 1521, 3306, 5432, 50000):
 * SQL is the normal payload there. Binary payloads (more than a quarter of
 * the bytes not printable text) are not matched.
 *
 * @example
 * const session = new DetectionSession({ detectors: [new PayloadSignatureDetector(DEFAULT_DETECTION)] });
 * @module
 */
import type { Alert, Severity } from '../alert.js';
import type { DetectionSettings } from '../config.js';
import type { Detector } from '../detector.js';
import { addFlowSample, EpisodeBook } from '../episodes.js';
import type { FlowView } from '../flow-view.js';
import { anyOf, loadSignatures, type Signature, SHIPPED_SIGNATURES, urlDecode } from '../signatures.js';

export interface PayloadSignatureConfig {
  /** Pattern files (`category-subtype<TAB>regex` a line); default: the shipped one. */
  files: string[];
}

export const DEFAULT_PAYLOAD_SIGNATURE: PayloadSignatureConfig = { files: [SHIPPED_SIGNATURES] };

/** Severity by pattern category; other categories are 3 (medium). */
export const SIGNATURE_SEVERITY: Readonly<Record<string, Severity>> = { sqli: 2, xss: 2, cmdi: 2 };

/** Server ports of SQL databases (MS SQL, Oracle, MySQL, PostgreSQL, DB2): no sqli patterns there. */
const SQL_PORTS = new Set([1433, 1521, 3306, 5432, 50000]);

/**
 * Payloads with more than this share of bytes outside printable ASCII (tab,
 * CR and LF allowed) are binary (TLS records, compressed or media data):
 * the patterns are text and are not run on them. About four in five payload
 * prefixes of real traffic are binary, so this is most of the detector's time.
 */
const MAX_BINARY_SHARE = 0.25;

/** 1 for the bytes that are not printable text: controls other than tab, CR and LF, and bytes over 0x7e. */
const NOT_TEXT = Uint8Array.from({ length: 256 }, (_, c) => ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c > 0x7e ? 1 : 0));

/** Whether more than MAX_BINARY_SHARE of the bytes (from `start` to `end`) are not printable text. */
export function isBinary(payload: Uint8Array, start = 0, end = payload.length): boolean {
  const allowed = (end - start) * MAX_BINARY_SHARE;
  let odd = 0;
  for (let i = start; i < end; i++) {
    odd += NOT_TEXT[payload[i]!]!;
    if (odd > allowed) return true;
  }
  return false;
}

/** Longest matched text kept in an alert, and the context kept on each side of it. */
const MAX_MATCH = 120;
const CONTEXT = 40;

let shipped: Signature[] | undefined;

/** The patterns of `files`; the shipped file is read once per process. */
export function signaturesFor(files: readonly string[]): Signature[] {
  return files.flatMap((f) => (f === SHIPPED_SIGNATURES ? (shipped ??= loadSignatures(f)) : loadSignatures(f)));
}

/** One category's patterns, in file order, and anyOf's regex over them with the patterns it left out. */
interface CategoryPatterns {
  category: string;
  signatures: Signature[];
  any: RegExp | undefined;
  leftOut: Signature[];
}

export class PayloadSignatureDetector implements Detector {
  readonly name = 'payload_signature';
  #episodes: EpisodeBook;
  /** Patterns grouped by category, in file order. */
  #byCategory: CategoryPatterns[];

  /** `signatures` overrides the configured files (tests, callers that load them once). */
  constructor(config: DetectionSettings, options: Partial<PayloadSignatureConfig> & { signatures?: Signature[] } = {}) {
    this.#episodes = new EpisodeBook(config.episodeGapSeconds * 1e6);
    const files = options.files ?? DEFAULT_PAYLOAD_SIGNATURE.files;
    const sigs = options.signatures ?? signaturesFor(files);
    const groups = new Map<string, Signature[]>();
    for (const s of sigs) {
      const g = groups.get(s.category);
      if (g) g.push(s);
      else groups.set(s.category, [s]);
    }
    this.#byCategory = [...groups.entries()].map(([category, signatures]) => {
      const { regex, leftOut } = anyOf(signatures);
      return { category, signatures, any: regex, leftOut };
    });
  }

  observe(v: FlowView, row: number): void {
    this.#side(v, row, true);
    this.#side(v, row, false);
  }

  /** Scans what one side sent, when it is text; a string of the bytes is made only then. */
  #side(v: FlowView, row: number, fwd: boolean): void {
    const { bytes, offsets } = fwd ? v.payloadsFwd : v.payloadsRev;
    const start = offsets[row]!;
    const end = offsets[row + 1]!;
    if (start === end || isBinary(bytes, start, end)) return;
    this.#scan(v, row, bytes.toString('latin1', start, end), fwd);
  }

  /** `payload`: the bytes sent, one character a byte. */
  #scan(v: FlowView, row: number, payload: string, fwd: boolean): void {
    const sqlProtocol = SQL_PORTS.has(v.dstPort[row]!) || SQL_PORTS.has(v.srcPort[row]!);
    const text = urlDecode(payload);
    for (const group of this.#byCategory) {
      if (sqlProtocol && group.category === 'sqli') continue;
      // The first pattern in file order that matches; when the joined ones cannot, only those left out can.
      const candidates = group.any?.test(text) ? group.signatures : group.leftOut;
      for (const sig of candidates) {
        const m = sig.regex.exec(text);
        if (!m) continue;
        const excerpt = text.slice(Math.max(0, m.index - CONTEXT), m.index + Math.min(m[0].length, MAX_MATCH) + CONTEXT);
        this.#note(v, row, fwd, sig, m[0].slice(0, MAX_MATCH), excerpt);
        break;
      }
    }
  }

  #note(v: FlowView, row: number, fwd: boolean, sig: Signature, matched: string, excerpt: string): void {
    // The sender of the matching bytes is the source.
    const src = fwd ? v.srcIp(row) : v.dstIp(row);
    const dst = fwd ? v.dstIp(row) : v.srcIp(row);
    const dstPort = fwd ? v.dstPort[row]! : v.srcPort[row]!;
    const key = `${src}>${dst}>${sig.name}`;
    const t = v.start(row);
    this.#episodes.note(
      key,
      t,
      () => ({
        category: 'payload_signature',
        severity: SIGNATURE_SEVERITY[sig.category] ?? 3,
        detector: this.name,
        start: t,
        end: t,
        src_ip: src,
        dst_ip: dst,
        dst_port: dstPort,
        proto: v.proto[row],
        message: `payload signature ${sig.name}: ${src} to ${dst} port ${dstPort}`,
        details: {
          signature: sig.name,
          signature_category: sig.category,
          pattern: sig.pattern,
          match: matched,
          excerpt,
          direction: fwd ? 'fwd' : 'rev',
          flows: 0,
        },
      }),
      (a) => {
        a.details.flows = (a.details.flows as number) + 1;
        addFlowSample(a, v, row);
      },
    );
  }

  prune(clockUs: number): number {
    this.#episodes.closeQuiet(clockUs);
    return 0;
  }

  finish(): Alert[] {
    return this.#episodes.drain();
  }
}
