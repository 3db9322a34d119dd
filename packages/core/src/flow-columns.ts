/**
 * The flow record, defined once: column names, types and meanings. Names
 * follow IPFIX, Suricata EVE and Zeek conn.log; "fwd" is the side that sent
 * the first packet. The native addon builds its columns from its own list,
 * and a test checks that both lists agree in names, types and order.
 * Arrow's schema of the record is in schema.ts: this module loads nothing,
 * for the code that needs only the names and types.
 *
 * @example
 * import { FLOW_COLUMNS } from '@mommynet/core';
 * console.log(FLOW_COLUMNS.map((c) => `${c.name}: ${c.type}`));
 * @module
 */
export type FlowColumnType = 'u8' | 'u16' | 'u32' | 'u64' | 'f64' | 'timestamp_us' | 'utf8' | 'binary';

export interface FlowColumn {
  readonly name: string;
  readonly type: FlowColumnType;
  /** Null where the value has no meaning (e.g. reverse sizes of a one-way flow). */
  readonly nullable: boolean;
  readonly description: string;
}

const col = (name: string, type: FlowColumnType, description: string, nullable = false): FlowColumn => ({
  name,
  type,
  nullable,
  description,
});

const flagCount = (flag: string) =>
  col(`${flag.toLowerCase().replace('-', '')}_count`, 'u32', `Packets with ${flag} set (both directions)`);

const sizeStats = (dir: 'fwd' | 'rev', side: string) => [
  col(`pkt_size_min_${dir}`, 'u32', `Smallest IP packet ${side}, bytes`, true),
  col(`pkt_size_max_${dir}`, 'u32', `Largest IP packet ${side}, bytes`, true),
  col(`pkt_size_mean_${dir}`, 'f64', `Mean IP packet size ${side}, bytes`, true),
  col(`pkt_size_std_${dir}`, 'f64', `Population standard deviation of IP packet size ${side}`, true),
];

export const FLOW_COLUMNS: readonly FlowColumn[] = [
  col('src_ip', 'utf8', 'Address that sent the first packet'),
  col('src_port', 'u16', 'Its port (ICMP: type of the first packet)'),
  col('dst_ip', 'utf8', 'The other address'),
  col('dst_port', 'u16', 'Its port (ICMP: code of the first packet)'),
  col('proto', 'u8', 'IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...); null for ARP (requester → target address)', true),
  col('ip_version', 'u8', '4 or 6'),
  col('vlan', 'u16', 'Outer 802.1Q/802.1ad VLAN ID, 0 when untagged'),
  col('inner_vlan', 'u16', 'Inner VLAN ID (QinQ), 0 when none'),
  col('start_time', 'timestamp_us', 'Time of the first packet of this record (UTC)'),
  col('end_time', 'timestamp_us', 'Time of the last packet of this record (UTC)'),
  col('pkts_fwd', 'u64', 'Packets from src to dst'),
  col('pkts_rev', 'u64', 'Packets from dst to src'),
  col('bytes_fwd', 'u64', 'IP bytes (header and payload) from src to dst'),
  col('bytes_rev', 'u64', 'IP bytes from dst to src'),
  col('payload_bytes_fwd', 'u64', 'Transport payload bytes from src to dst'),
  col('payload_bytes_rev', 'u64', 'Transport payload bytes from dst to src'),
  col('tcp_flags_fwd', 'u8', 'Union of TCP flags sent by src (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128)'),
  col('tcp_flags_rev', 'u8', 'Union of TCP flags sent by dst'),
  col('syn_count', 'u32', 'Packets with SYN and without ACK'),
  col('synack_count', 'u32', 'Packets with SYN and ACK'),
  flagCount('FIN'),
  flagCount('RST'),
  flagCount('PSH'),
  flagCount('ACK'),
  flagCount('URG'),
  flagCount('ECE'),
  flagCount('CWR'),
  col('conn_state', 'utf8', "Zeek's connection state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH"),
  col('end_reason', 'utf8', 'Why the record ended: fin rst idle active (interim record) eof evicted'),
  ...sizeStats('fwd', 'from src'),
  ...sizeStats('rev', 'from dst'),
  col('iat_min_us', 'f64', 'Shortest gap between packets (both directions), microseconds', true),
  col('iat_max_us', 'f64', 'Longest gap between packets, microseconds', true),
  col('iat_mean_us', 'f64', 'Mean gap between packets, microseconds', true),
  col('iat_std_us', 'f64', 'Population standard deviation of the gaps, microseconds', true),
  col('ttl_min', 'u8', 'Lowest IPv4 TTL / IPv6 hop limit seen'),
  col('ttl_max', 'u8', 'Highest IPv4 TTL / IPv6 hop limit seen'),
  col('community_id', 'utf8', 'Community ID v1 (seed 0); null for ARP, which it does not cover', true),
  col('payload_fwd', 'binary', 'First payload bytes sent by src (payloadBytes option, default 128)'),
  col('payload_rev', 'binary', 'First payload bytes sent by dst'),
];

/** The DuckDB column type that holds each flow column type. */
export const DUCKDB_TYPES: Readonly<Record<FlowColumnType, string>> = {
  u8: 'UTINYINT',
  u16: 'USMALLINT',
  u32: 'UINTEGER',
  u64: 'UBIGINT',
  f64: 'DOUBLE',
  timestamp_us: 'TIMESTAMP',
  utf8: 'VARCHAR',
  binary: 'BLOB',
};
