/** Flow batches with just the columns per-host window aggregation reads, built from plain objects. */
import { type Data, makeData, RecordBatch, TimestampMicrosecond, Uint16, Uint64, Uint8, Utf8, vectorFromArray } from 'apache-arrow';

export interface HostFlow {
  src: string;
  dst: string;
  port: number;
  proto: number;
  start: number;
  duration?: number;
  pkts?: [number, number];
  bytes?: [number, number];
  state?: string;
}

/** One Arrow batch, rows in the order given; strings as utf8 or dictionary-encoded. */
export function hostFlowBatch(flows: readonly HostFlow[], strings: 'utf8' | 'dictionary' = 'utf8'): RecordBatch {
  const n = flows.length;
  const numbers = <T>(type: T, data: ArrayLike<number> | ArrayLike<bigint>): Data => makeData({ type, length: n, nullCount: 0, data } as never);
  const u64 = (f: (x: HostFlow) => number) => numbers(new Uint64(), BigUint64Array.from(flows, (x) => BigInt(f(x))));
  const time = (f: (x: HostFlow) => number) => numbers(new TimestampMicrosecond('UTC'), BigInt64Array.from(flows, (x) => BigInt(f(x))));
  const text = (f: (x: HostFlow) => string) => (strings === 'utf8' ? vectorFromArray(flows.map(f), new Utf8()) : vectorFromArray(flows.map(f))).data[0]!;
  return new RecordBatch({
    src_ip: text((x) => x.src),
    dst_ip: text((x) => x.dst),
    dst_port: numbers(new Uint16(), Uint16Array.from(flows, (x) => x.port)),
    proto: numbers(new Uint8(), Uint8Array.from(flows, (x) => x.proto)),
    start_time: time((x) => x.start),
    end_time: time((x) => x.start + (x.duration ?? 0)),
    pkts_fwd: u64((x) => x.pkts?.[0] ?? 1),
    pkts_rev: u64((x) => x.pkts?.[1] ?? 1),
    bytes_fwd: u64((x) => x.bytes?.[0] ?? 60),
    bytes_rev: u64((x) => x.bytes?.[1] ?? 60),
    conn_state: text((x) => x.state ?? 'SF'),
  });
}
