/**
 * The capture addon's flat surface, one declaration per exported function.
 * `@mommynet/core` wraps it in typed classes with defaults and validation;
 * use that, not this, from application code.
 * @module
 */

/** Opaque: only functions of this module make and accept it. */
export type CaptureHandle = { readonly __brand: 'mommynet.CaptureHandle' };

export type NativeColumnType = 'u8' | 'u16' | 'u32' | 'u64' | 'f64' | 'timestamp_us' | 'utf8' | 'binary';

export interface NativeColumnSpec {
  name: string;
  type: NativeColumnType;
}

/** One column of a batch: buffers in Arrow layout, owned by JS from now on. */
export interface NativeColumn {
  values: ArrayBuffer;
  /** utf8/binary: rows + 1 int32 offsets into `values`. */
  offsets?: ArrayBuffer;
  /** LSB-first validity bitmap; absent when nullCount is 0. */
  validity?: ArrayBuffer;
  nullCount: number;
}

export interface NativeBatch {
  rows: number;
  columns: NativeColumn[];
}

export interface NativeFlowOptions {
  tcpIdleTimeout?: number;
  udpIdleTimeout?: number;
  icmpIdleTimeout?: number;
  otherIdleTimeout?: number;
  tcpCloseTimeout?: number;
  activeTimeout?: number;
  maxFlows?: number;
  payloadBytes?: number;
  batchRows?: number;
  batchInterval?: number;
  queueDepth?: number;
}

export interface NativeLiveOptions extends NativeFlowOptions {
  interface: string;
  filter?: string;
  snaplen?: number;
  promisc?: boolean;
  bufferSize?: number;
  immediate?: boolean;
  workers?: number;
}

export interface NativeStats {
  /** Frames read from the file or the interface. */
  packets: number;
  /** Their length on the wire, bytes. */
  bytes: number;
  /** Frames that became part of a flow. */
  decoded: number;
  /** Frames the decoder refused; `skippedByReason` says why (anomaly names). */
  skipped: number;
  skippedByReason: Record<string, number>;
  /** Flow records delivered or about to be (finished flows and interim records). */
  flows: number;
  flowsCreated: number;
  /** Flows ended early because the table was full. */
  evictions: number;
  activeFlows: number;
  flowTableBytes: number;
  batches: number;
  /** Live only: batches dropped because JavaScript fell behind. */
  batchesDropped: number;
  /** Seconds since the epoch (0 before the first packet). */
  firstPacketTime: number;
  lastPacketTime: number;
  /** Live only: libpcap's pcap_stats, summed over workers. */
  psRecv: number;
  psDrop: number;
  psIfDrop: number;
}

export interface NativeInfo {
  format: 'pcap' | 'pcap-ns' | 'pcapng' | 'live';
  compressed?: boolean;
  /** Bytes of the capture stream read so far (decompressed, for .gz). */
  bytesRead?: number;
  /** Bytes of the file itself read so far: compressed bytes for .gz, else bytesRead. */
  fileBytesRead?: number;
  /** LINKTYPE_ numbers seen (pcapng interfaces may differ). */
  linktypes: number[];
  /** Files: the capture thread is done (file read, flows flushed); what is not yet taken waits in the queue. */
  finished?: boolean;
}

/** An Error with the capture's stable code and, for files, the byte offset. */
export interface NativeCaptureError extends Error {
  code: string;
  offset?: number;
}

export interface DecodedFrame {
  status: string;
  src?: string;
  dst?: string;
  ipVersion?: number;
  proto?: number;
  srcPort?: number;
  dstPort?: number;
  hasPorts?: boolean;
  vlan?: number;
  innerVlan?: number;
  ttl?: number;
  tcpFlags?: number;
  ipBytes?: number;
  payloadLen?: number;
  payloadCaptured?: number;
  fragment?: boolean;
  firstFragment?: boolean;
  /** An ARP request or reply: src and dst are the sender's and target's addresses, proto 0. */
  arp?: boolean;
}

export function schema(): NativeColumnSpec[];
export function anomalies(): { name: string; class: string }[];
export function openFile(path: string, options?: NativeFlowOptions): CaptureHandle;
export function openLive(options: NativeLiveOptions): CaptureHandle;
/** Resolves with the next batch, or null at the end. One call at a time. */
export function next(handle: CaptureHandle): Promise<NativeBatch | null>;
export function stats(handle: CaptureHandle): NativeStats;
export function info(handle: CaptureHandle): NativeInfo;
/** The failure that ended the capture, or null. Meaningful once next() gave null. */
export function failure(handle: CaptureHandle): NativeCaptureError | null;
/** Ends the capture early; open flows are still delivered. */
export function stop(handle: CaptureHandle): void;
/** Ends the capture and drops what was not delivered. */
export function close(handle: CaptureHandle): void;
/** Test-only: decode one frame of the given link type. */
export function decodeFrame(linktype: number, frame: Uint8Array, wireLength?: number): DecodedFrame;
/** Test-only: Community ID v1 of one flow tuple. */
export function communityId(tuple: {
  src: string;
  dst: string;
  proto: number;
  srcPort?: number;
  dstPort?: number;
  seed?: number;
}): string;

/** One flow record to extract, with the fields the flows table stores. */
export interface NativeExtractSelection {
  src: string;
  dst: string;
  /** 0 with `arp`. */
  proto: number;
  /** An ARP exchange (its record's proto is null). */
  arp?: boolean;
  /** The record's src_port (ICMP: type of its first packet). */
  srcPort: number;
  /** The record's dst_port (ICMP: code). */
  dstPort: number;
  vlan?: number;
  innerVlan?: number;
  /** The record's start_time and end_time, microseconds since the epoch, inclusive. */
  start: number;
  end: number;
}

export interface NativeExtractInput {
  path: string;
  selections: NativeExtractSelection[];
}

export interface NativeExtractResult {
  packets: number;
  /** Captured frame bytes written (without file and record headers). */
  bytes: number;
  /** Classic pcap (µs or ns), or pcapng when the frames have several link types. */
  format: 'pcap' | 'pcap-ns' | 'pcapng';
  linktypes: number[];
  inputs: {
    path: string;
    format: 'pcap' | 'pcap-ns' | 'pcapng';
    frames: number;
    packets: number;
    /** Damage met while reading; frames before it were written. */
    error?: NativeCaptureError;
  }[];
}

/**
 * Reads the captures again, off the JS thread, and writes the frames of the
 * selected flow records to `outputPath`, inputs in the order given. Rejects
 * with a NativeCaptureError (code open_failed, not_a_capture, ...,
 * output_failed); the output may then be left partly written.
 */
export function extractPackets(inputs: NativeExtractInput[], outputPath: string): Promise<NativeExtractResult>;
export interface NativeFileDigests {
  /** Of the whole file, or of its first `length` bytes (all of a shorter file). */
  sha256: string;
  /** Of the first `prefixLength` bytes, when asked for and the bytes hashed reach that far. */
  prefixSha256?: string;
}

/**
 * The file's SHA-256 in lower-case hex, computed on a thread of Node's pool:
 * of its first `length` bytes when given, and also of its first
 * `prefixLength`. Rejects with a NativeCaptureError (open_failed).
 */
export function sha256File(path: string, length?: number, prefixLength?: number): Promise<NativeFileDigests>;
