/**
 * The few columns detectors read, taken once per batch from the Arrow
 * buffers: numbers as typed arrays, strings decoded per row only when read.
 * @module
 */
import type { Data, RecordBatch } from 'apache-arrow';

const latin1 = new TextDecoder('latin1');

/** A string column's values, each decoded once per batch however many detectors ask. */
function strings(data: Data): (row: number) => string {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const decoded: (string | undefined)[] = new Array(data.length);
  return (row) => (decoded[row] ??= latin1.decode(bytes.subarray(offsets[row]!, offsets[row + 1]!)));
}

const col = (batch: RecordBatch, name: string) => batch.getChild(name)!.data[0]!;

export class FlowView {
  readonly rows: number;
  readonly srcIp: (row: number) => string;
  readonly dstIp: (row: number) => string;
  readonly connState: (row: number) => string;
  readonly communityId: (row: number) => string;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  readonly proto: Uint8Array;
  readonly startUs: BigInt64Array;
  readonly endUs: BigInt64Array;
  readonly pktsFwd: BigUint64Array;
  readonly pktsRev: BigUint64Array;
  readonly payloadFwd: BigUint64Array;
  readonly payloadRev: BigUint64Array;
  readonly synCount: Uint32Array;
  /** First payload bytes sent by src (`payload_fwd`) and by dst (`payload_rev`), without copying. */
  readonly firstPayloadFwd: (row: number) => Uint8Array;
  readonly firstPayloadRev: (row: number) => Uint8Array;
  /** Mean and population standard deviation of IP packet sizes; meaningless (null in the record) when that side sent nothing. */
  readonly pktSizeMeanFwd: Float64Array;
  readonly pktSizeMeanRev: Float64Array;
  readonly pktSizeStdFwd: Float64Array;
  readonly pktSizeStdRev: Float64Array;

  constructor(batch: RecordBatch) {
    this.rows = batch.numRows;
    this.srcIp = strings(col(batch, 'src_ip'));
    this.dstIp = strings(col(batch, 'dst_ip'));
    this.connState = strings(col(batch, 'conn_state'));
    this.communityId = strings(col(batch, 'community_id'));
    this.srcPort = col(batch, 'src_port').values as Uint16Array;
    this.dstPort = col(batch, 'dst_port').values as Uint16Array;
    this.proto = col(batch, 'proto').values as Uint8Array;
    this.startUs = col(batch, 'start_time').values as BigInt64Array;
    this.endUs = col(batch, 'end_time').values as BigInt64Array;
    this.pktsFwd = col(batch, 'pkts_fwd').values as BigUint64Array;
    this.pktsRev = col(batch, 'pkts_rev').values as BigUint64Array;
    this.payloadFwd = col(batch, 'payload_bytes_fwd').values as BigUint64Array;
    this.payloadRev = col(batch, 'payload_bytes_rev').values as BigUint64Array;
    this.synCount = col(batch, 'syn_count').values as Uint32Array;
    this.firstPayloadFwd = bytes(col(batch, 'payload_fwd'));
    this.firstPayloadRev = bytes(col(batch, 'payload_rev'));
    this.pktSizeMeanFwd = col(batch, 'pkt_size_mean_fwd').values as Float64Array;
    this.pktSizeMeanRev = col(batch, 'pkt_size_mean_rev').values as Float64Array;
    this.pktSizeStdFwd = col(batch, 'pkt_size_std_fwd').values as Float64Array;
    this.pktSizeStdRev = col(batch, 'pkt_size_std_rev').values as Float64Array;
  }

  start(row: number): number {
    return Number(this.startUs[row]!);
  }

  /** No payload either way and no completed handshake: a probe, not service use. */
  isProbe(row: number): boolean {
    if (this.payloadFwd[row]! > 0n || this.payloadRev[row]! > 0n) return false;
    const proto = this.proto[row]!;
    if (proto === 17) return this.pktsRev[row]! === 0n; // UDP: unanswered
    if (proto !== 6) return false;
    const state = this.connState(row);
    return state === 'S0' || state === 'REJ' || state === 'RSTOS0' || state === 'RSTO' || state === 'RSTR' || state === 'SH' || state === 'OTH';
  }
}

/** A binary column's values, each a view into the Arrow buffer. */
function bytes(data: Data): (row: number) => Uint8Array {
  const offsets = data.valueOffsets as Int32Array;
  const values = data.values as Uint8Array;
  return (row) => values.subarray(offsets[row]!, offsets[row + 1]!);
}
