/**
 * The flow features the anomaly models read: a fixed, ordered list of
 * numbers per flow (`FLOW_FEATURES`), computed from the Arrow columns of a
 * flow batch into one row-major Float32Array, without an object per row.
 *
 * Transforms, chosen so that a step means about the same thing anywhere in
 * a feature's range:
 * - `log1p`: counts, byte totals, durations, rates and gaps are heavy-tailed
 *   (10 packets and 10 million are both ordinary); ln(1 + x) keeps 0 at 0.
 * - `ratio`: a count over the flow's packets, or one side's share of a
 *   total, in [0, 1]; 0 when the total is 0.
 * - `raw`: bounded values (packet sizes, TTLs) as they are.
 * - `one-hot`: 1 for the category the flow is in, 0 for the others.
 *
 * Nulls (a statistic with nothing to measure: sizes from a side that sent
 * nothing, gaps in a one-packet flow) read as 0, the value the same flow
 * has for that side's packet and byte counts.
 *
 * @example
 * import { Capture, FLOW_FEATURES, flowFeatures } from '@mommynet/core';
 * for await (const batch of Capture.openFile('trace.pcap')) {
 *   const m = flowFeatures(batch); // m.rows × m.cols, m.cols === FLOW_FEATURES.length
 * }
 * @module
 */
import { type Data, DataType, type RecordBatch } from 'apache-arrow';

import { isNullBit, nullBitmap } from '../null-bitmap.js';
import { int64AsDoubles } from '../int64.js';
import { reusedPrefix } from '../reused-arrays.js';

export type FeatureTransform = 'log1p' | 'ratio' | 'raw' | 'one-hot';

export interface FlowFeature {
  readonly name: string;
  readonly description: string;
  readonly transform: FeatureTransform;
}

/** A row-major matrix: row r, column c at `data[r * cols + c]`. */
export interface FeatureMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Zeek's conn_state vocabulary, in the order of the one-hot features. */
export const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const;

/**
 * Destination ports by service, in the order of the `svc_*` features. A
 * port belongs to at most one group.
 */
export const SERVICE_PORTS = {
  web: [80, 443, 8000, 8008, 8080, 8443, 8888],
  dns: [53, 853, 5353, 5355],
  mail: [25, 110, 143, 465, 587, 993, 995],
  remote: [22, 23, 3389, 5900, 5985, 5986],
  file: [20, 21, 69, 139, 445, 2049],
  db: [1433, 1521, 3306, 5432, 6379, 9200, 11211, 27017],
} as const satisfies Record<string, readonly number[]>;

const f = (name: string, transform: FeatureTransform, description: string): FlowFeature => ({ name, description, transform });

const SERVICES = Object.keys(SERVICE_PORTS) as (keyof typeof SERVICE_PORTS)[];

/** The features, in matrix column order. `flowFeatures` writes them in exactly this order. */
export const FLOW_FEATURES: readonly FlowFeature[] = [
  f('pkts_fwd', 'log1p', 'ln(1 + pkts_fwd)'),
  f('pkts_rev', 'log1p', 'ln(1 + pkts_rev)'),
  f('bytes_fwd', 'log1p', 'ln(1 + bytes_fwd)'),
  f('bytes_rev', 'log1p', 'ln(1 + bytes_rev)'),
  f('payload_bytes_fwd', 'log1p', 'ln(1 + payload_bytes_fwd)'),
  f('payload_bytes_rev', 'log1p', 'ln(1 + payload_bytes_rev)'),
  f('duration_ms', 'log1p', 'ln(1 + (end_time − start_time) / 1000), the duration in milliseconds'),
  f('pkts_per_s', 'log1p', 'ln(1 + packets / (duration_us / 1e6)), both directions; 0 when the duration is 0'),
  f('bytes_per_s', 'log1p', 'ln(1 + bytes / (duration_us / 1e6)), both directions; 0 when the duration is 0'),
  f('fwd_pkt_share', 'ratio', 'pkts_fwd / (pkts_fwd + pkts_rev)'),
  f('fwd_byte_share', 'ratio', 'bytes_fwd / (bytes_fwd + bytes_rev)'),
  f('payload_share', 'ratio', '(payload_bytes_fwd + payload_bytes_rev) / (bytes_fwd + bytes_rev): payload over header and payload'),
  f('pkt_size_min_fwd', 'raw', 'pkt_size_min_fwd, bytes (null: 0)'),
  f('pkt_size_max_fwd', 'raw', 'pkt_size_max_fwd, bytes (null: 0)'),
  f('pkt_size_mean_fwd', 'raw', 'pkt_size_mean_fwd, bytes (null: 0)'),
  f('pkt_size_std_fwd', 'raw', 'pkt_size_std_fwd, bytes (null: 0)'),
  f('pkt_size_min_rev', 'raw', 'pkt_size_min_rev, bytes (null: 0)'),
  f('pkt_size_max_rev', 'raw', 'pkt_size_max_rev, bytes (null: 0)'),
  f('pkt_size_mean_rev', 'raw', 'pkt_size_mean_rev, bytes (null: 0)'),
  f('pkt_size_std_rev', 'raw', 'pkt_size_std_rev, bytes (null: 0)'),
  f('iat_min_us', 'log1p', 'ln(1 + iat_min_us) (null: 0)'),
  f('iat_max_us', 'log1p', 'ln(1 + iat_max_us) (null: 0)'),
  f('iat_mean_us', 'log1p', 'ln(1 + iat_mean_us) (null: 0)'),
  f('iat_std_us', 'log1p', 'ln(1 + iat_std_us) (null: 0)'),
  f('syn_ratio', 'ratio', 'syn_count / packets (SYN without ACK)'),
  f('synack_ratio', 'ratio', 'synack_count / packets'),
  f('fin_ratio', 'ratio', 'fin_count / packets'),
  f('rst_ratio', 'ratio', 'rst_count / packets'),
  f('psh_ratio', 'ratio', 'psh_count / packets'),
  f('ack_ratio', 'ratio', 'ack_count / packets'),
  f('urg_ratio', 'ratio', 'urg_count / packets'),
  f('ece_ratio', 'ratio', 'ece_count / packets'),
  f('cwr_ratio', 'ratio', 'cwr_count / packets'),
  f('ttl_min', 'raw', 'ttl_min (IPv4 TTL / IPv6 hop limit)'),
  f('ttl_max', 'raw', 'ttl_max'),
  f('proto_tcp', 'one-hot', 'proto is 6'),
  f('proto_udp', 'one-hot', 'proto is 17'),
  f('proto_icmp', 'one-hot', 'proto is 1 (ICMP) or 58 (ICMPv6)'),
  f('proto_other', 'one-hot', 'any other proto'),
  f('dst_port_well_known', 'one-hot', 'TCP/UDP dst_port below 1024 (all port features are 0 for other protocols, whose "ports" are ICMP type and code)'),
  f('dst_port_registered', 'one-hot', 'TCP/UDP dst_port 1024–49151'),
  f('dst_port_ephemeral', 'one-hot', 'TCP/UDP dst_port 49152–65535'),
  ...SERVICES.map((s) => f(`svc_${s}`, 'one-hot', `TCP/UDP dst_port is one of ${SERVICE_PORTS[s].join(', ')}`)),
  f('src_port_well_known', 'one-hot', 'TCP/UDP src_port below 1024: the first packet came from a service port (replies to a spoofed source, reflection)'),
  ...CONN_STATES.map((s) => f(`state_${s}`, 'one-hot', `conn_state is ${s} (an unknown state sets none)`)),
];

/** Throws when a model's feature names differ from the ones it is given (order matters). */
export function assertFeatureNames(expected: readonly string[], actual: readonly string[], owner: string): void {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; ++i) {
    if (expected[i] !== actual[i]) {
      throw new RangeError(
        `${owner}: feature ${i} is ${actual[i] ?? '(none)'}, expected ${expected[i] ?? '(none)'} ` +
          `(features: ${actual.length}, expected ${expected.length})`,
      );
    }
  }
}

/** Throws unless `m` is a consistent matrix with `cols` columns. */
export function assertMatrix(m: FeatureMatrix, cols: number, owner: string): void {
  if (m.cols !== cols) throw new RangeError(`${owner}: the matrix has ${m.cols} feature columns (cols), expected ${cols}`);
  if (!Number.isInteger(m.rows) || m.rows < 0 || m.data.length !== m.rows * m.cols) {
    throw new RangeError(`${owner}: matrix data holds ${m.data.length} values, not rows × cols = ${m.rows} × ${m.cols}`);
  }
}

function column(batch: RecordBatch, name: string): Data {
  const vector = batch.getChild(name);
  if (!vector) throw new RangeError(`flow features: the batch has no column ${name}`);
  return vector.data[0]!;
}

/**
 * Per-column buffers reused from batch to batch: flowFeatures is synchronous,
 * so one set serves every call, and batches stop costing an allocation per column.
 */
const scratch: Float64Array[] = [];

/**
 * A numeric column as doubles, nulls as 0, in scratch buffer `slot`.
 * Converting each column once keeps the row loop on one array kind.
 */
function numbers(batch: RecordBatch, name: string, slot: number): Float64Array {
  const data = column(batch, name);
  const { type, length } = data;
  if (!DataType.isInt(type) && !DataType.isFloat(type) && !DataType.isTimestamp(type)) {
    throw new TypeError(`flow features: column ${name} is ${type}, not a number`);
  }
  const out = reusedPrefix(scratch, slot, length, Float64Array);
  const values = data.values as Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array | BigInt64Array;
  if (values instanceof BigUint64Array || values instanceof BigInt64Array) {
    int64AsDoubles(values, length, out);
  } else {
    out.set(values.subarray(0, length));
  }
  const bitmap = nullBitmap(data);
  if (bitmap) {
    for (let r = 0, bit = data.offset; r < length; ++r, ++bit) if (isNullBit(bitmap, bit)) out[r] = 0;
  }
  return out;
}

/** Index of each row's conn_state in CONN_STATES, -1 for null or unknown; reads utf8 bytes or dictionary indices, never strings per row. */
function stateCodes(batch: RecordBatch): Int8Array {
  const data = column(batch, 'conn_state');
  const codes = new Int8Array(data.length);
  if (DataType.isDictionary(data.type)) {
    const dictionary = data.dictionary!;
    const byEntry = Int8Array.from({ length: dictionary.length }, (_, i) => CONN_STATES.indexOf(dictionary.get(i)));
    const indices = data.values as Int32Array;
    for (let r = 0; r < codes.length; ++r) codes[r] = byEntry[indices[r]!]!;
  } else if (DataType.isUtf8(data.type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let r = 0; r < codes.length; ++r) codes[r] = stateOf(bytes, offsets[r]!, offsets[r + 1]!);
  } else {
    throw new TypeError(`flow features: column conn_state is ${data.type}, not utf8 or a dictionary of utf8`);
  }
  const bitmap = nullBitmap(data);
  if (bitmap) {
    for (let r = 0, bit = data.offset; r < codes.length; ++r, ++bit) if (isNullBit(bitmap, bit)) codes[r] = -1;
  }
  return codes;
}

const STATE_BYTES = CONN_STATES.map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)));

/**
 * Length, first, second and last byte tell the states apart and fit in a
 * small integer, which a Map looks up fast; the full comparison after it
 * keeps unknown strings from passing for a state.
 */
const stateKey = (bytes: Uint8Array, start: number, end: number) =>
  (end - start) | (bytes[start]! << 3) | (bytes[start + 1]! << 11) | (bytes[end - 1]! << 19);

const STATE_BY_KEY = new Map(STATE_BYTES.map((b, i) => [stateKey(b, 0, b.length), i]));

function stateOf(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || end - start > 6) return -1;
  const state = STATE_BY_KEY.get(stateKey(bytes, start, end));
  if (state === undefined) return -1;
  const expected = STATE_BYTES[state]!;
  for (let i = 2; i < expected.length - 1; ++i) if (bytes[start + i] !== expected[i]) return -1;
  return state;
}

/** 1 + the index in SERVICES of each port's group, 0 for none. */
const SERVICE_OF_PORT = (() => {
  const table = new Uint8Array(65536);
  SERVICES.forEach((s, i) => SERVICE_PORTS[s].forEach((port) => (table[port] = i + 1)));
  return table;
})();

const ratio = (part: number, total: number) => (total > 0 ? part / total : 0);

/**
 * Math.log1p of the integers below 2^16, where most packet and byte counts
 * fall: reading the table is cheaper than the call (log1p is most of the
 * feature time) and gives the same value.
 */
const LOG1P_SMALL = Float64Array.from({ length: 1 << 16 }, (_, i) => Math.log1p(i));
const logCount = (n: number) => (n < 65536 ? LOG1P_SMALL[n]! : Math.log1p(n));

/** Source columns, in the order of their scratch buffers. */
const VOLUME = ['pkts_fwd', 'pkts_rev', 'bytes_fwd', 'bytes_rev', 'payload_bytes_fwd', 'payload_bytes_rev', 'start_time', 'end_time'];
const SIZE_STATS = [
  'pkt_size_min_fwd', 'pkt_size_max_fwd', 'pkt_size_mean_fwd', 'pkt_size_std_fwd',
  'pkt_size_min_rev', 'pkt_size_max_rev', 'pkt_size_mean_rev', 'pkt_size_std_rev',
];
const GAPS = ['iat_min_us', 'iat_max_us', 'iat_mean_us', 'iat_std_us'];
const FLAG_COUNTS = ['syn_count', 'synack_count', 'fin_count', 'rst_count', 'psh_count', 'ack_count', 'urg_count', 'ece_count', 'cwr_count'];
const OTHER = ['ttl_min', 'ttl_max', 'proto', 'src_port', 'dst_port'];
const SOURCE_COLUMNS = [...VOLUME, ...SIZE_STATS, ...GAPS, ...FLAG_COUNTS, ...OTHER];

/**
 * The feature matrix of one flow batch: `rows` = the batch's rows, `cols` =
 * FLOW_FEATURES.length. With `into` (at least rows × cols values), the
 * matrix is written there and views it until `into` is used again: a
 * scorer that reuses one buffer saves a fresh allocation per batch, whose
 * first writes fault in every page (a fifth of the feature time).
 */
export function flowFeatures(batch: RecordBatch, into?: Float32Array): FeatureMatrix {
  const rows = batch.numRows;
  const cols = FLOW_FEATURES.length;
  if (into && into.length < rows * cols) throw new RangeError(`flow features: into holds ${into.length} values, the batch needs ${rows * cols}`);
  const c = SOURCE_COLUMNS.map((name, slot) => numbers(batch, name, slot));
  let next = 0;
  const take = (n: number) => c.slice(next, (next += n));
  const [pktsFwd, pktsRev, bytesFwd, bytesRev, payFwd, payRev, start, end] = take(VOLUME.length) as Float64Array[];
  const stats = take(SIZE_STATS.length);
  const gaps = take(GAPS.length);
  const flags = take(FLAG_COUNTS.length);
  const [ttlMin, ttlMax, proto, srcPort, dstPort] = take(OTHER.length) as Float64Array[];
  const states = stateCodes(batch);

  // One-hot features write only their 1: the matrix starts zeroed.
  const out = into ? into.subarray(0, rows * cols).fill(0) : new Float32Array(rows * cols);
  for (let r = 0; r < rows; ++r) {
    let k = r * cols;
    const pf = pktsFwd![r]!;
    const pr = pktsRev![r]!;
    const bf = bytesFwd![r]!;
    const br = bytesRev![r]!;
    const packets = pf + pr;
    const bytes = bf + br;
    const durationUs = end![r]! - start![r]!;
    out[k++] = logCount(pf);
    out[k++] = logCount(pr);
    out[k++] = logCount(bf);
    out[k++] = logCount(br);
    out[k++] = logCount(payFwd![r]!);
    out[k++] = logCount(payRev![r]!);
    out[k++] = Math.log1p(durationUs / 1000);
    out[k++] = durationUs > 0 ? Math.log1p(packets / (durationUs / 1e6)) : 0;
    out[k++] = durationUs > 0 ? Math.log1p(bytes / (durationUs / 1e6)) : 0;
    out[k++] = ratio(pf, packets);
    out[k++] = ratio(bf, bytes);
    out[k++] = ratio(payFwd![r]! + payRev![r]!, bytes);
    for (let i = 0; i < stats.length; ++i) out[k++] = stats[i]![r]!;
    for (let i = 0; i < gaps.length; ++i) out[k++] = Math.log1p(gaps[i]![r]!);
    for (let i = 0; i < flags.length; ++i) out[k++] = ratio(flags[i]![r]!, packets);
    out[k++] = ttlMin![r]!;
    out[k++] = ttlMax![r]!;
    // One-hot groups.
    const p = proto![r]!;
    const hasPorts = p === 6 || p === 17;
    out[k + (p === 6 ? 0 : p === 17 ? 1 : p === 1 || p === 58 ? 2 : 3)] = 1;
    k += 4;
    if (hasPorts) {
      const port = dstPort![r]!;
      out[k + (port < 1024 ? 0 : port < 49152 ? 1 : 2)] = 1;
      if (SERVICE_OF_PORT[port]! > 0) out[k + 2 + SERVICE_OF_PORT[port]!] = 1;
      if (srcPort![r]! < 1024) out[k + 3 + SERVICES.length] = 1;
    }
    k += 4 + SERVICES.length;
    if (states[r]! >= 0) out[k + states[r]!] = 1;
  }
  return { data: out, rows, cols };
}
