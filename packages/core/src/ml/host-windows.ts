/**
 * Per-host window aggregates: each source host's flows cut into fixed
 * windows by start time, each window summarised as a vector of
 * HOST_WINDOW_FEATURES, and each host's last `sequenceLength` windows handed
 * out as one sequence for the LSTM (lstm.ts). Slow scans, beacons and other
 * low-and-slow behaviour hide in single flows but show in these sequences.
 *
 * Streaming: `observe` takes flow batches in the order the capture emits them
 * (by end of flow), so a window stays open for `lateWindows` windows after
 * the host's newest one; `take(untilUs)` closes every window that ended by
 * then and `finish()` closes everything at end of input. A closed window
 * yields a sequence when the host had flows in it or in one of the
 * `maxGapWindows` windows before it, so a host that goes quiet is seen going
 * quiet and then no longer costs anything. Flows for a window already closed
 * are dropped and counted (`lateFlows`).
 *
 * Memory: at most `maxHosts` hosts are tracked, each with a ring of
 * `sequenceLength + lateWindows` window slots (1.4 KB of sums with the
 * defaults, plus sets of the peers and ports of each window that had
 * flows: 7 to 20 KiB a host measured on busy hosts). A new host beyond the bound
 * evicts the least recently seen one (its open windows are dropped, counted
 * in `evictedHosts`), so a flood of spoofed sources costs the bound and no
 * more. Sequences wait in an output buffer until `take` or `finish`.
 *
 * @example
 * const windows = new HostWindows({ windowSeconds: 60 });
 * for await (const batch of Capture.openFile('day.pcap')) windows.observe(batch);
 * const { data, count, hosts } = windows.finish(); // data: Float32Array [count, 16, 12]
 * @module
 */
import { type Data, DataType, type RecordBatch } from 'apache-arrow';

import { bufferOver } from '../bytes.js';
import { shortString } from '../detect/interned-strings.js';
import { int64AsDoubles } from '../int64.js';
import { reusedPrefix } from '../reused-arrays.js';
import type { SequenceBatch } from './lstm.js';

/**
 * The aggregates of one window, in vector order. Counts and sizes are
 * log1p-scaled so that a busy host does not drown every other aggregate.
 */
export const HOST_WINDOW_FEATURES = [
  /** log1p(flows started in the window) */
  'flows',
  /** log1p(distinct dst_ip) */
  'peers',
  /** log1p(distinct dst_port of TCP and UDP flows) */
  'dst_ports',
  /** log1p(Σ bytes_fwd) */
  'bytes_out',
  /** log1p(Σ bytes_rev) */
  'bytes_in',
  /** log1p(Σ pkts_fwd + pkts_rev) */
  'packets',
  /** Share of flows whose conn_state is a failure (FAILED_CONN_STATES) */
  'failed_ratio',
  /** log1p(mean of end_time − start_time, seconds) */
  'duration_mean',
  /** Share of flows that are TCP or UDP to a port below 1024 */
  'well_known_share',
  'tcp_share',
  'udp_share',
  /** ICMP and ICMPv6 */
  'icmp_share',
] as const;

export type HostWindowFeature = (typeof HOST_WINDOW_FEATURES)[number];

/**
 * Zeek states of a connection that never worked: unanswered (S0, also an
 * unanswered UDP flow), rejected (REJ), reset (RSTO, RSTR, RSTOS0, RSTRH),
 * or half-open and closed (SH, SHR).
 */
export const FAILED_CONN_STATES: ReadonlySet<string> = new Set(['S0', 'REJ', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR']);

export interface HostWindowOptions {
  /** Window length by flow start time, seconds. Default 60. */
  windowSeconds?: number;
  /** Windows per sequence (L). Default 16. */
  sequenceLength?: number;
  /** Empty windows after a host's last flow that still yield a sequence, 0 to sequenceLength − 1. Default 4. */
  maxGapWindows?: number;
  /** Windows a window stays open after the host's newest one, for flows that end (and arrive) late. Default 2. */
  lateWindows?: number;
  /** Hosts tracked at once; the least recently seen is evicted beyond it. Default 10 000. */
  maxHosts?: number;
}

export const DEFAULT_HOST_WINDOWS: Readonly<Required<HostWindowOptions>> = {
  windowSeconds: 60,
  sequenceLength: 16,
  maxGapWindows: 4,
  lateWindows: 2,
  maxHosts: 10_000,
};

/** Sequences of window vectors, `data` laid out [count, length, features] row-major. */
export interface HostSequences extends SequenceBatch {
  readonly data: Float32Array;
  /** The source host of each sequence. */
  readonly hosts: string[];
  /** Start of each sequence's last window, microseconds since the epoch. */
  readonly windowStartUs: number[];
}

// Running sums kept per window slot; the vector is derived from them when a sequence is built.
const FLOWS = 0;
const BYTES_OUT = 1;
const BYTES_IN = 2;
const PACKETS = 3;
const FAILED = 4;
const DURATION_S = 5;
const WELL_KNOWN = 6;
const TCP = 7;
const UDP = 8;
const ICMP = 9;
const SUMS = 10;

const F = HOST_WINDOW_FEATURES.length;

interface HostState {
  /** SUMS numbers per slot; window w lives in slot w mod ring. */
  sums: Float64Array;
  /** Distinct peers and ports per slot, made on first use: most hosts touch few windows. */
  peers: (Set<string> | undefined)[];
  ports: (Set<number> | undefined)[];
  /** Newest window with a flow. */
  newest: number;
  /** First window not yet closed. */
  nextClose: number;
  /** The host, and its neighbours in the list of hosts by when they were last seen (see HostWindows#append). */
  host: string;
  older: HostState | undefined;
  newer: HostState | undefined;
}

export class HostWindows {
  readonly options: Readonly<Required<HostWindowOptions>>;
  #windowUs: number;
  #ring: number;
  #hosts = new Map<string, HostState>();
  /** Every window up to this one is closed for every host. */
  #closed = -Infinity;
  /** Ends of the list of tracked hosts by when they were last seen. */
  #oldest: HostState | undefined;
  #newest: HostState | undefined;
  #doubles: Float64Array[] = [];
  #late = 0;
  #evicted = 0;
  #out = new Float32Array(0);
  #outHosts: string[] = [];
  #outWindows: number[] = [];

  constructor(options: HostWindowOptions = {}) {
    this.options = validate({ ...DEFAULT_HOST_WINDOWS, ...options });
    this.#windowUs = this.options.windowSeconds * 1e6;
    this.#ring = this.options.sequenceLength + this.options.lateWindows;
  }

  /** Hosts currently tracked. */
  get hostCount(): number {
    return this.#hosts.size;
  }

  /** Flows dropped because their window was already closed. */
  get lateFlows(): number {
    return this.#late;
  }

  /** Hosts dropped to keep within maxHosts. */
  get evictedHosts(): number {
    return this.#evicted;
  }

  observe(batch: RecordBatch): void {
    const c = flowColumns(batch, this.#doubles);
    for (let row = 0; row < c.rows; row++) {
      const startUs = c.start[row]!;
      const window = Math.floor(startUs / this.#windowUs);
      const state = this.#stateFor(c.src(row), window);
      if (!state) {
        this.#late++;
        continue;
      }
      const slot = mod(window, this.#ring);
      const s = slot * SUMS;
      const sums = state.sums;
      const proto = c.proto[row]!;
      const port = c.dstPort[row]!;
      sums[s + FLOWS]!++;
      sums[s + BYTES_OUT]! += c.bytesFwd[row]!;
      sums[s + BYTES_IN]! += c.bytesRev[row]!;
      sums[s + PACKETS]! += c.pktsFwd[row]! + c.pktsRev[row]!;
      if (FAILED_CONN_STATES.has(c.connState(row))) sums[s + FAILED]!++;
      sums[s + DURATION_S]! += (c.end[row]! - startUs) / 1e6;
      if (proto === 6 || proto === 17) {
        (state.ports[slot] ??= new Set()).add(port);
        if (port < 1024) sums[s + WELL_KNOWN]!++;
        sums[s + (proto === 6 ? TCP : UDP)]!++;
      } else if (proto === 1 || proto === 58) sums[s + ICMP]!++;
      (state.peers[slot] ??= new Set()).add(c.dst(row));
    }
  }

  /**
   * The sequences of every window that ended at or before `untilUs`
   * (microseconds since the epoch), and of those a host's newer flows
   * closed before then (more than lateWindows behind its newest window).
   * Each host's sequences come in window order.
   */
  take(untilUs: number): HostSequences {
    const last = Math.floor(untilUs / this.#windowUs) - 1;
    if (last > this.#closed) this.#closed = last;
    const L = this.options.sequenceLength;
    for (let state = this.#oldest, newer; state; state = newer) {
      newer = state.newer;
      this.#closeThrough(state, last);
      // Nothing of it can reach a later sequence: forget the host.
      if (state.nextClose > state.newest + L - 1) this.#forget(state);
    }
    return this.#drain();
  }

  /** Closes every window (end of input) and starts afresh; counters are kept. */
  finish(): HostSequences {
    for (let state = this.#oldest; state; state = state.newer) this.#closeThrough(state, Infinity);
    this.#hosts.clear();
    this.#oldest = this.#newest = undefined;
    this.#closed = -Infinity;
    return this.#drain();
  }

  /** The host's state with `window` open, or undefined when that window is closed. */
  #stateFor(host: string, window: number): HostState | undefined {
    let state = this.#hosts.get(host);
    if (!state) {
      const nextClose = Math.max(this.#closed + 1, window - this.options.lateWindows);
      if (window < nextClose) return undefined;
      state = this.#hosts.size >= this.options.maxHosts ? this.#evictOldest() : this.#newState();
      state.host = host;
      state.newest = window;
      state.nextClose = nextClose;
      this.#hosts.set(host, state);
      this.#append(state);
      return state;
    }
    if (state !== this.#newest) {
      this.#unlink(state);
      this.#append(state);
    }
    if (window < state.nextClose) return undefined;
    if (window > state.newest) this.#advance(state, window);
    return state;
  }

  /** Moves the host's newest window to `window`, closing the windows that would fall out of the ring. */
  #advance(state: HostState, window: number): void {
    this.#closeThrough(state, window - this.options.lateWindows - 1);
    for (let w = Math.max(state.newest + 1, window - this.#ring + 1); w <= window; w++) {
      const slot = mod(w, this.#ring);
      state.sums.fill(0, slot * SUMS, slot * SUMS + SUMS);
      state.peers[slot]?.clear();
      state.ports[slot]?.clear();
    }
    state.newest = window;
  }

  /** Closes the host's windows up to `last`, emitting a sequence for each one with a flow within maxGapWindows before it. */
  #closeThrough(state: HostState, last: number): void {
    const end = Math.min(last, state.newest + this.options.maxGapWindows);
    for (let w = state.nextClose; w <= end; w++) if (this.#recentlyActive(state, w)) this.#emit(state, w);
    if (last >= state.nextClose) state.nextClose = last + 1;
  }

  #recentlyActive(state: HostState, window: number): boolean {
    const from = Math.max(window - this.options.maxGapWindows, state.newest - this.#ring + 1);
    for (let w = Math.min(window, state.newest); w >= from; w--) if (state.sums[mod(w, this.#ring) * SUMS + FLOWS]! > 0) return true;
    return false;
  }

  #emit(state: HostState, lastWindow: number): void {
    const L = this.options.sequenceLength;
    const offset = this.#reserve();
    const first = lastWindow - L + 1;
    // Windows after the newest, or before the host was first seen, hold no flows: their slots stay zero.
    for (let w = Math.max(first, state.newest - this.#ring + 1); w <= Math.min(lastWindow, state.newest); w++) {
      windowVector(state, mod(w, this.#ring), this.#out, offset + (w - first) * F);
    }
    this.#outHosts.push(state.host);
    this.#outWindows.push(lastWindow * this.#windowUs);
  }

  /** Room for one more sequence in the output buffer (zeroed); returns its offset. */
  #reserve(): number {
    const size = this.options.sequenceLength * F;
    const offset = this.#outHosts.length * size;
    if (offset + size > this.#out.length) {
      const grown = new Float32Array(Math.max(size * 64, this.#out.length * 2));
      grown.set(this.#out);
      this.#out = grown;
    }
    return offset;
  }

  #drain(): HostSequences {
    const count = this.#outHosts.length;
    const size = this.options.sequenceLength * F;
    const result: HostSequences = {
      data: this.#out.slice(0, count * size),
      count,
      length: this.options.sequenceLength,
      features: F,
      hosts: this.#outHosts,
      windowStartUs: this.#outWindows,
    };
    this.#out = new Float32Array(0);
    this.#outHosts = [];
    this.#outWindows = [];
    return result;
  }

  /**
   * Tracked hosts are also linked in the order they were last seen, oldest
   * first, so that moving one to the newest end is a few pointer writes
   * (moving it to the end of the Map's order was a delete and an insert).
   */
  #append(state: HostState): void {
    state.older = this.#newest;
    state.newer = undefined;
    if (this.#newest) this.#newest.newer = state;
    else this.#oldest = state;
    this.#newest = state;
  }

  #unlink(state: HostState): void {
    if (state.older) state.older.newer = state.newer;
    else this.#oldest = state.newer;
    if (state.newer) state.newer.older = state.older;
    else this.#newest = state.older;
  }

  #forget(state: HostState): void {
    this.#unlink(state);
    this.#hosts.delete(state.host);
  }

  #newState(): HostState {
    const ring = this.#ring;
    return { sums: new Float64Array(ring * SUMS), peers: new Array(ring), ports: new Array(ring), newest: 0, nextClose: 0, host: '', older: undefined, newer: undefined };
  }

  /** Drops the least recently seen host; its state, emptied, is for the new host (a flood of sources makes no garbage). */
  #evictOldest(): HostState {
    const state = this.#oldest!;
    this.#forget(state);
    this.#evicted++;
    state.sums.fill(0);
    state.peers.fill(undefined);
    state.ports.fill(undefined);
    return state;
  }
}

/** Slot of a window; windows before 1970 are negative. */
const mod = (w: number, n: number) => ((w % n) + n) % n;

/** Writes the HOST_WINDOW_FEATURES vector of one slot at `out[offset]`. */
function windowVector(state: HostState, slot: number, out: Float32Array, offset: number): void {
  const s = slot * SUMS;
  const sums = state.sums;
  const flows = sums[s + FLOWS]!;
  if (flows === 0) return;
  out[offset] = Math.log1p(flows);
  out[offset + 1] = Math.log1p(state.peers[slot]?.size ?? 0);
  out[offset + 2] = Math.log1p(state.ports[slot]?.size ?? 0);
  out[offset + 3] = Math.log1p(sums[s + BYTES_OUT]!);
  out[offset + 4] = Math.log1p(sums[s + BYTES_IN]!);
  out[offset + 5] = Math.log1p(sums[s + PACKETS]!);
  out[offset + 6] = sums[s + FAILED]! / flows;
  out[offset + 7] = Math.log1p(sums[s + DURATION_S]! / flows);
  out[offset + 8] = sums[s + WELL_KNOWN]! / flows;
  out[offset + 9] = sums[s + TCP]! / flows;
  out[offset + 10] = sums[s + UDP]! / flows;
  out[offset + 11] = sums[s + ICMP]! / flows;
}

function validate(o: Required<HostWindowOptions>): Required<HostWindowOptions> {
  for (const key of Object.keys(o)) if (!(key in DEFAULT_HOST_WINDOWS)) throw new TypeError(`HostWindows: unknown option '${key}'`);
  const integer = (name: keyof HostWindowOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`HostWindows: ${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  if (!(o.windowSeconds > 0) || !Number.isFinite(o.windowSeconds)) {
    throw new RangeError(`HostWindows: windowSeconds must be a positive number, got ${o.windowSeconds}`);
  }
  integer('sequenceLength', 2);
  integer('maxGapWindows', 0, o.sequenceLength - 1);
  integer('lateWindows', 0);
  integer('maxHosts', 1);
  return o;
}

/** The columns the aggregates read, as typed arrays and per-row string readers. */
function flowColumns(batch: RecordBatch, scratch: Float64Array[]) {
  const data = (name: string): Data => {
    const child = batch.getChild(name);
    if (!child) throw new Error(`HostWindows: flow batch has no column '${name}'`);
    return child.data[0]!;
  };
  const text = (name: string): ((row: number) => string) => {
    const d = data(name);
    if (DataType.isDictionary(d.type)) {
      // Dictionary-encoded (as tableFromArrays makes them): each entry decoded once.
      const entries = Array.from({ length: d.dictionary!.length }, (_, i) => String(d.dictionary!.get(i)));
      const indices = d.values as ArrayLike<number>;
      return (row) => entries[indices[row]!]!;
    }
    if (!DataType.isUtf8(d.type)) throw new TypeError(`HostWindows: column '${name}' is ${d.type}, not utf8 or a dictionary of utf8`);
    const offsets = d.valueOffsets as Int32Array;
    const bytes = bufferOver(d.values as Uint8Array);
    return (row) => shortString(bytes, offsets[row]!, offsets[row + 1]!);
  };
  // 64-bit columns as doubles, into arrays kept from batch to batch (see int64.ts).
  const doubles = (name: string, slot: number): Float64Array => {
    const rows = batch.numRows;
    return int64AsDoubles(data(name).values as BigInt64Array | BigUint64Array, rows, reusedPrefix(scratch, slot, rows, Float64Array));
  };
  return {
    rows: batch.numRows,
    src: text('src_ip'),
    dst: text('dst_ip'),
    connState: text('conn_state'),
    dstPort: data('dst_port').values as Uint16Array,
    proto: data('proto').values as Uint8Array,
    start: doubles('start_time', 0),
    end: doubles('end_time', 1),
    pktsFwd: doubles('pkts_fwd', 2),
    pktsRev: doubles('pkts_rev', 3),
    bytesFwd: doubles('bytes_fwd', 4),
    bytesRev: doubles('bytes_rev', 5),
  };
}
