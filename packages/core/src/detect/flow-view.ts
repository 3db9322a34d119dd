/**
 * The few columns detectors read, taken once per batch from the Arrow
 * buffers: numbers as typed arrays, strings decoded per row only when read.
 * The same columns can be copied out (`detachColumns`) and viewed again in
 * a worker thread (`FlowView.fromColumns`).
 * @module
 */
import type { Data, RecordBatch } from 'apache-arrow';

import { isNullBit, nullBitmap } from '../arrow.js';
import { int64AsDoubles } from '../int64.js';
import { type AddressKey, ipv4Key } from './address-key.js';
import { shortString } from './interned-strings.js';

/** One column's buffers: values, offsets for strings and binaries, and which rows are null (1 a byte) when any is. */
export interface ColumnBuffers {
  values: ArrayBufferView;
  valueOffsets?: Int32Array;
  nulls?: Uint8Array;
}

/** The columns a FlowView reads. */
export const VIEW_COLUMNS = [
  'src_ip', 'dst_ip', 'conn_state', 'community_id', 'src_port', 'dst_port', 'proto', 'start_time', 'end_time',
  'pkts_fwd', 'pkts_rev', 'payload_bytes_fwd', 'payload_bytes_rev', 'syn_count', 'payload_fwd', 'payload_rev',
  'pkt_size_mean_fwd', 'pkt_size_mean_rev', 'pkt_size_std_fwd', 'pkt_size_std_rev',
] as const;
export type ViewColumn = (typeof VIEW_COLUMNS)[number];

/** A copy of `view` in shared memory, which any number of worker threads can read without another copy. */
function shared<T extends ArrayBufferView>(view: T): T {
  const Ctor = view.constructor as new (buffer: SharedArrayBuffer) => T & { set(a: T): void };
  const copy = new Ctor(new SharedArrayBuffer(view.byteLength));
  copy.set(view);
  return copy;
}

/** The rows of a column that are null, one byte each (1: null), or undefined when none is. */
function nullRows(data: Data, rows: number): Uint8Array | undefined {
  const bitmap = nullBitmap(data);
  if (!bitmap) return undefined;
  const out = new Uint8Array(rows);
  for (let r = 0, bit = data.offset; r < rows; ++r, ++bit) out[r] = isNullBit(bitmap, bit) ? 1 : 0;
  return out;
}

/** The column buffers a FlowView reads of one batch column: only `proto`'s nulls (ARP) are read. */
function buffersOf(data: Data, name: ViewColumn, rows: number): ColumnBuffers {
  const nulls = name === 'proto' ? nullRows(data, rows) : undefined;
  return { values: data.values as ArrayBufferView, valueOffsets: data.valueOffsets as Int32Array | undefined, ...(nulls && { nulls }) };
}

/** A batch's view columns copied into shared memory, for detection workers. */
export function detachColumns(batch: RecordBatch): { rows: number; columns: Record<ViewColumn, ColumnBuffers> } {
  const rows = batch.numRows;
  const columns = {} as Record<ViewColumn, ColumnBuffers>;
  for (const name of VIEW_COLUMNS) {
    const { values, valueOffsets: offsets, nulls } = buffersOf(batch.getChild(name)!.data[0]!, name, rows);
    // Variable-width columns: only the bytes the rows use (the buffer may be larger).
    columns[name] = offsets
      ? {
          values: shared((values as Uint8Array).subarray(offsets[0]!, offsets[rows]!)),
          valueOffsets: shared(offsets.subarray(0, rows + 1).map((o) => o - offsets[0]!)),
        }
      : { values: shared(values), ...(nulls && { nulls: shared(nulls) }) };
  }
  return { rows, columns };
}

/** An address column's keys, each made once per batch (see AddressKey). */
function addressKeys(data: ColumnBuffers, rows: number, text: (row: number) => string): (row: number) => AddressKey {
  const offsets = data.valueOffsets!;
  const bytes = data.values as Uint8Array;
  const keys = new Int32Array(rows);
  const kind = new Uint8Array(rows); // 0: not made yet, 1: IPv4 in keys, 2: the text
  return (row) => {
    const k = kind[row];
    if (k === 1) return keys[row]!;
    if (k === 2) return text(row);
    const key = ipv4Key(bytes, offsets[row]!, offsets[row + 1]!);
    if (key === undefined) {
      kind[row] = 2;
      return text(row);
    }
    keys[row] = key;
    kind[row] = 1;
    return key;
  };
}

/** A string column's values, each decoded once per batch however many detectors ask. */
function strings(data: ColumnBuffers, rows: number): (row: number) => string {
  const offsets = data.valueOffsets!;
  const bytes = data.values as Uint8Array;
  const decoded: (string | undefined)[] = new Array(rows);
  return (row) => (decoded[row] ??= shortString(bytes, offsets[row]!, offsets[row + 1]!));
}

export class FlowView {
  readonly rows: number;
  readonly srcIp: (row: number) => string;
  readonly dstIp: (row: number) => string;
  /** The addresses as keys for per-address state (AddressKey). */
  readonly srcKey: (row: number) => AddressKey;
  readonly dstKey: (row: number) => AddressKey;
  readonly connState: (row: number) => string;
  /** Undefined for ARP, which Community ID does not cover (the column is null there). */
  readonly communityId: (row: number) => string | undefined;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** IANA protocol number; 0 for ARP (see isArp). */
  readonly proto: Uint8Array;
  /** The rows without an IP protocol (ARP), 1 a byte; undefined when every row has one. */
  readonly arpRows: Uint8Array | undefined;
  /** The 64-bit columns as doubles, converted once per view (see int64.ts): exact, and no BigInt per read. */
  readonly startUs: Float64Array;
  readonly endUs: Float64Array;
  readonly pktsFwd: Float64Array;
  readonly pktsRev: Float64Array;
  readonly payloadFwd: Float64Array;
  readonly payloadRev: Float64Array;
  readonly synCount: Uint32Array;
  /** First payload bytes sent by src (`payload_fwd`) and by dst (`payload_rev`), without copying. */
  readonly firstPayloadFwd: (row: number) => Uint8Array;
  readonly firstPayloadRev: (row: number) => Uint8Array;
  /** Mean and population standard deviation of IP packet sizes; meaningless (null in the record) when that side sent nothing. */
  readonly pktSizeMeanFwd: Float64Array;
  readonly pktSizeMeanRev: Float64Array;
  readonly pktSizeStdFwd: Float64Array;
  readonly pktSizeStdRev: Float64Array;

  /** The view of an Arrow batch, without copying. */
  static of(batch: RecordBatch): FlowView {
    return new FlowView(batch.numRows, (name) => buffersOf(batch.getChild(name)!.data[0]!, name, batch.numRows));
  }

  /** The view of columns detached from a batch (in a worker thread). */
  static fromColumns(rows: number, columns: Record<ViewColumn, ColumnBuffers>): FlowView {
    return new FlowView(rows, (name) => columns[name]);
  }

  private constructor(rows: number, col: (name: ViewColumn) => ColumnBuffers) {
    this.rows = rows;
    this.srcIp = strings(col('src_ip'), rows);
    this.dstIp = strings(col('dst_ip'), rows);
    this.srcKey = addressKeys(col('src_ip'), rows, this.srcIp);
    this.dstKey = addressKeys(col('dst_ip'), rows, this.dstIp);
    this.connState = strings(col('conn_state'), rows);
    const communityIds = strings(col('community_id'), rows);
    this.communityId = (row) => (this.isArp(row) ? undefined : communityIds(row));
    this.srcPort = col('src_port').values as Uint16Array;
    this.dstPort = col('dst_port').values as Uint16Array;
    this.proto = col('proto').values as Uint8Array;
    this.arpRows = col('proto').nulls;
    const doubles = (name: ViewColumn) => int64AsDoubles(col(name).values as BigInt64Array | BigUint64Array, rows);
    this.startUs = doubles('start_time');
    this.endUs = doubles('end_time');
    this.pktsFwd = doubles('pkts_fwd');
    this.pktsRev = doubles('pkts_rev');
    this.payloadFwd = doubles('payload_bytes_fwd');
    this.payloadRev = doubles('payload_bytes_rev');
    this.synCount = col('syn_count').values as Uint32Array;
    this.firstPayloadFwd = bytes(col('payload_fwd'));
    this.firstPayloadRev = bytes(col('payload_rev'));
    this.pktSizeMeanFwd = col('pkt_size_mean_fwd').values as Float64Array;
    this.pktSizeMeanRev = col('pkt_size_mean_rev').values as Float64Array;
    this.pktSizeStdFwd = col('pkt_size_std_fwd').values as Float64Array;
    this.pktSizeStdRev = col('pkt_size_std_rev').values as Float64Array;
  }

  /** An ARP exchange (no IP protocol): src asked for dst's hardware address. */
  isArp(row: number): boolean {
    return this.arpRows !== undefined && this.arpRows[row] === 1;
  }

  /** The IANA protocol number, undefined for ARP (as an alert's `proto`). */
  protocol(row: number): number | undefined {
    return this.isArp(row) ? undefined : this.proto[row]!;
  }

  start(row: number): number {
    return this.startUs[row]!;
  }

  /** No payload either way and no completed handshake: a probe, not service use. */
  isProbe(row: number): boolean {
    if (this.payloadFwd[row]! > 0 || this.payloadRev[row]! > 0) return false;
    const proto = this.proto[row]!;
    if (proto === 17) return this.pktsRev[row]! === 0; // UDP: unanswered
    if (proto !== 6) return false;
    const state = this.connState(row);
    return state === 'S0' || state === 'REJ' || state === 'RSTOS0' || state === 'RSTO' || state === 'RSTR' || state === 'SH' || state === 'OTH';
  }
}

/** A binary column's values, each a view into the Arrow buffer. */
function bytes(data: ColumnBuffers): (row: number) => Uint8Array {
  const offsets = data.valueOffsets!;
  const values = data.values as Uint8Array;
  return (row) => values.subarray(offsets[row]!, offsets[row + 1]!);
}
