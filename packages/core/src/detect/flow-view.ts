/**
 * The few columns detectors read, taken once per batch from the Arrow
 * buffers: numbers as typed arrays, strings decoded per row only when read.
 * The same columns can be copied out (`detachColumns`) and viewed again in
 * a worker thread (`FlowView.fromColumns`).
 * @module
 */
import type { Data, RecordBatch } from 'apache-arrow';

import { bufferOver } from '../bytes.js';
import { isNullBit, nullBitmap } from '../null-bitmap.js';
import { int64AsDoubles } from '../int64.js';
import { reusedPrefix } from '../reused-arrays.js';
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

/** Any typed array: what a column's buffers are. */
type TypedArray = ArrayBufferView & ArrayLike<unknown> & { set(source: ArrayLike<unknown>): void };
type TypedArrayClass<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/**
 * `view` copied into shared memory, which any number of worker threads can
 * read without another copy: into `reuse`'s buffer when it is of the same
 * type and large enough (a new buffer is memory the system must map and
 * zero, about as costly as the copy eight times over), else a new one with
 * a quarter to spare.
 */
function sharedCopy<T extends TypedArray>(view: T, reuse?: ArrayBufferView): T {
  const Ctor = view.constructor as TypedArrayClass<T>;
  let buffer = reuse?.buffer;
  if (!(buffer instanceof SharedArrayBuffer) || reuse!.constructor !== Ctor || buffer.byteLength < view.byteLength) {
    buffer = new SharedArrayBuffer(Math.ceil(view.length * 1.25) * Ctor.BYTES_PER_ELEMENT);
  }
  const copy = new Ctor(buffer, 0, view.length);
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

/** A batch's view columns in shared memory (see detachColumns). */
export interface DetachedBatch {
  rows: number;
  columns: Record<ViewColumn, ColumnBuffers>;
}

/**
 * A batch's view columns copied into shared memory, for detection workers;
 * into the buffers of `reuse` (an earlier batch's, which no thread reads any
 * more) where they are large enough.
 */
export function detachColumns(batch: RecordBatch, reuse?: DetachedBatch): DetachedBatch {
  const rows = batch.numRows;
  const columns = {} as Record<ViewColumn, ColumnBuffers>;
  for (const name of VIEW_COLUMNS) {
    const { values, valueOffsets: offsets, nulls } = buffersOf(batch.getChild(name)!.data[0]!, name, rows);
    const old = reuse?.columns[name];
    if (offsets) {
      // Variable-width columns: only the bytes the rows use (the buffer may be larger), offsets from 0.
      const first = offsets[0]!;
      const copiedOffsets = sharedCopy(offsets.subarray(0, rows + 1), old?.valueOffsets);
      if (first !== 0) for (let r = 0; r <= rows; r++) copiedOffsets[r]! -= first;
      columns[name] = { values: sharedCopy((values as Uint8Array).subarray(first, offsets[rows]!), old?.values), valueOffsets: copiedOffsets };
    } else {
      columns[name] = { values: sharedCopy(values as TypedArray, old?.values), ...(nulls && { nulls: sharedCopy(nulls, old?.nulls) }) };
    }
  }
  return { rows, columns };
}

/*
 * Column readers are classes, read through prototype methods: every view's
 * readers then share their code, and a call site the optimizing compiler
 * inlined for one batch stays valid for the next (per-view closures made
 * it deoptimize at every batch, "wrong call target").
 */

/** A string column's values by row. */
export interface StringReader {
  at(row: number): string;
}

/** An address column's values by row, and their keys (see AddressKey). */
export interface AddressReader extends StringReader {
  key(row: number): AddressKey;
}

/** A string column, each value decoded once per batch however many detectors ask. */
class StringColumn implements StringReader {
  protected readonly offsets: Int32Array;
  protected readonly bytes: Buffer;
  readonly #decoded: (string | undefined)[];

  /** `decoded`: where each row's string goes once decoded, empty for the view's rows. */
  constructor(data: ColumnBuffers, decoded: (string | undefined)[]) {
    this.offsets = data.valueOffsets!;
    this.bytes = bufferOver(data.values);
    this.#decoded = decoded;
  }

  at(row: number): string {
    return (this.#decoded[row] ??= shortString(this.bytes, this.offsets[row]!, this.offsets[row + 1]!));
  }
}

/** An address column: its strings, and its keys (see AddressKey), each made once per batch. */
class AddressColumn extends StringColumn implements AddressReader {
  readonly #keys: Int32Array;
  readonly #kind: Uint8Array; // 0: not made yet, 1: IPv4 in #keys, 2: the text

  /** `kind` zero for the view's rows; `keys` is written before it is read. */
  constructor(data: ColumnBuffers, decoded: (string | undefined)[], keys: Int32Array, kind: Uint8Array) {
    super(data, decoded);
    this.#keys = keys;
    this.#kind = kind;
  }

  key(row: number): AddressKey {
    const k = this.#kind[row];
    if (k === 1) return this.#keys[row]!;
    if (k === 2) return this.at(row);
    const key = ipv4Key(this.bytes, this.offsets[row]!, this.offsets[row + 1]!);
    if (key === undefined) {
      this.#kind[row] = 2;
      return this.at(row);
    }
    this.#keys[row] = key;
    this.#kind[row] = 1;
    return key;
  }
}

/**
 * A binary column: row r's value is `bytes` from `offsets[r]` to
 * `offsets[r + 1]`. `at` makes a view of it; readers that scan every row
 * read the bounds instead (a view is an object per row).
 */
export class BinaryColumn {
  readonly offsets: Int32Array;
  readonly bytes: Buffer;

  constructor(data: ColumnBuffers) {
    this.offsets = data.valueOffsets!;
    this.bytes = bufferOver(data.values);
  }

  at(row: number): Uint8Array {
    return this.bytes.subarray(this.offsets[row]!, this.offsets[row + 1]!);
  }

  /** Whether row's value begins with `prefix`, read in place (no view). */
  startsWith(row: number, prefix: Uint8Array): boolean {
    const start = this.offsets[row]!;
    if (this.offsets[row + 1]! - start < prefix.length) return false;
    for (let i = 0; i < prefix.length; i++) if (this.bytes[start + i] !== prefix[i]) return false;
    return true;
  }
}

/**
 * The arrays a FlowView makes for a batch (64-bit columns as doubles,
 * decoded strings, address keys), kept for the next view made with the same
 * scratch: made anew, they were about 9 MB for a batch of 122 880 flows,
 * memory to map, zero and collect again at every batch. A view made with a
 * scratch is valid until the next one is made with it (see Detector.observe).
 */
export class ViewScratch {
  #doubles: Float64Array[] = [];
  #strings: (string | undefined)[][] = [];
  #keys: Int32Array[] = [];
  #kinds: Uint8Array[] = [];

  /** Array `i` of doubles, `rows` long; the view writes every element. */
  doubles(i: number, rows: number): Float64Array {
    return reusedPrefix(this.#doubles, i, rows, Float64Array);
  }

  /** Array `i` of decoded strings, its first `rows` empty. */
  strings(i: number, rows: number): (string | undefined)[] {
    const a = this.#strings[i];
    if (!a || a.length < rows) return (this.#strings[i] = new Array(rows));
    return a.fill(undefined, 0, rows);
  }

  /** Array `i` of address keys, `rows` long; read only where `kinds(i)` says one was written. */
  keys(i: number, rows: number): Int32Array {
    return reusedPrefix(this.#keys, i, rows, Int32Array);
  }

  /** Array `i` of key kinds, `rows` long, all zero. */
  kinds(i: number, rows: number): Uint8Array {
    return reusedPrefix(this.#kinds, i, rows, Uint8Array).fill(0);
  }
}

const NO_ARP = new Uint8Array(0);

export class FlowView {
  readonly rows: number;
  /*
   * The column readers, for the methods below (use those: communityId
   * knows that ARP rows have none). Public and typed by interfaces: a class
   * with private members is compatible only with itself, and a view built
   * by this module's compiled code must stay usable where its source's
   * types are expected (the tests mix both).
   */
  readonly srcAddresses: AddressReader;
  readonly dstAddresses: AddressReader;
  readonly connStates: StringReader;
  readonly communityIds: StringReader;
  /** First payload bytes sent by src (`payload_fwd`) and by dst (`payload_rev`). */
  readonly payloadsFwd: BinaryColumn;
  readonly payloadsRev: BinaryColumn;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** IANA protocol number; 0 for ARP (see isArp). */
  readonly proto: Uint8Array;
  /** The rows without an IP protocol (ARP), 1 a byte; empty when every row has one. */
  readonly arpRows: Uint8Array;
  /** The 64-bit columns as doubles, converted once per view (see int64.ts): exact, and no BigInt per read. */
  readonly startUs: Float64Array;
  readonly endUs: Float64Array;
  readonly pktsFwd: Float64Array;
  readonly pktsRev: Float64Array;
  readonly payloadFwd: Float64Array;
  readonly payloadRev: Float64Array;
  readonly synCount: Uint32Array;
  /** Mean and population standard deviation of IP packet sizes; meaningless (null in the record) when that side sent nothing. */
  readonly pktSizeMeanFwd: Float64Array;
  readonly pktSizeMeanRev: Float64Array;
  readonly pktSizeStdFwd: Float64Array;
  readonly pktSizeStdRev: Float64Array;

  /** The view of an Arrow batch, without copying; its arrays in `scratch` when given (see ViewScratch). */
  static of(batch: RecordBatch, scratch?: ViewScratch): FlowView {
    return new FlowView(batch.numRows, (name) => buffersOf(batch.getChild(name)!.data[0]!, name, batch.numRows), scratch);
  }

  /** The view of columns detached from a batch (in a worker thread); its arrays in `scratch` when given. */
  static fromColumns(rows: number, columns: Record<ViewColumn, ColumnBuffers>, scratch?: ViewScratch): FlowView {
    return new FlowView(rows, (name) => columns[name], scratch);
  }

  private constructor(rows: number, col: (name: ViewColumn) => ColumnBuffers, scratch = new ViewScratch()) {
    this.rows = rows;
    this.srcAddresses = new AddressColumn(col('src_ip'), scratch.strings(0, rows), scratch.keys(0, rows), scratch.kinds(0, rows));
    this.dstAddresses = new AddressColumn(col('dst_ip'), scratch.strings(1, rows), scratch.keys(1, rows), scratch.kinds(1, rows));
    this.connStates = new StringColumn(col('conn_state'), scratch.strings(2, rows));
    this.communityIds = new StringColumn(col('community_id'), scratch.strings(3, rows));
    this.srcPort = col('src_port').values as Uint16Array;
    this.dstPort = col('dst_port').values as Uint16Array;
    this.proto = col('proto').values as Uint8Array;
    // Always an array (an empty one for no ARP): a field that is sometimes undefined gives views two
    // shapes, and code optimized for one deoptimizes on the other.
    this.arpRows = col('proto').nulls ?? NO_ARP;
    const doubles = (name: ViewColumn, i: number) => int64AsDoubles(col(name).values as BigInt64Array | BigUint64Array, rows, scratch.doubles(i, rows));
    this.startUs = doubles('start_time', 0);
    this.endUs = doubles('end_time', 1);
    this.pktsFwd = doubles('pkts_fwd', 2);
    this.pktsRev = doubles('pkts_rev', 3);
    this.payloadFwd = doubles('payload_bytes_fwd', 4);
    this.payloadRev = doubles('payload_bytes_rev', 5);
    this.synCount = col('syn_count').values as Uint32Array;
    this.payloadsFwd = new BinaryColumn(col('payload_fwd'));
    this.payloadsRev = new BinaryColumn(col('payload_rev'));
    this.pktSizeMeanFwd = col('pkt_size_mean_fwd').values as Float64Array;
    this.pktSizeMeanRev = col('pkt_size_mean_rev').values as Float64Array;
    this.pktSizeStdFwd = col('pkt_size_std_fwd').values as Float64Array;
    this.pktSizeStdRev = col('pkt_size_std_rev').values as Float64Array;
  }

  srcIp(row: number): string {
    return this.srcAddresses.at(row);
  }

  dstIp(row: number): string {
    return this.dstAddresses.at(row);
  }

  /** The addresses as keys for per-address state (AddressKey). */
  srcKey(row: number): AddressKey {
    return this.srcAddresses.key(row);
  }

  dstKey(row: number): AddressKey {
    return this.dstAddresses.key(row);
  }

  connState(row: number): string {
    return this.connStates.at(row);
  }

  /** Undefined for ARP, which Community ID does not cover (the column is null there). */
  communityId(row: number): string | undefined {
    return this.isArp(row) ? undefined : this.communityIds.at(row);
  }

  /** First payload bytes sent by src (`payload_fwd`), without copying. */
  firstPayloadFwd(row: number): Uint8Array {
    return this.payloadsFwd.at(row);
  }

  /** First payload bytes sent by dst (`payload_rev`), without copying. */
  firstPayloadRev(row: number): Uint8Array {
    return this.payloadsRev.at(row);
  }

  /** An ARP exchange (no IP protocol): src asked for dst's hardware address. */
  isArp(row: number): boolean {
    return this.arpRows[row] === 1;
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
