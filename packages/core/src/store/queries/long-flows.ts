/**
 * `long_flows`: connections that lasted long. A flow open longer than the
 * active timeout is written as interim records (`end_reason = 'active'`),
 * each continued by the next record of the same 5-tuple and VLANs; this
 * query joins such chains back into one connection before measuring it.
 *
 * @example
 * mommy-forensics query --saved long_flows --param min_seconds=600
 * @module
 */
import type { SavedQuery } from './parameters.js';
import { IN_WINDOW, TIME_WINDOW } from './window.js';

export const longFlows: SavedQuery = {
  name: 'long_flows',
  description: 'Connections lasting at least min_seconds (interim records joined), longest first',
  parameters: [
    { name: 'min_seconds', type: 'number', default: 3600, min: 0, description: 'shortest duration shown, seconds' },
    { name: 'limit', type: 'integer', default: 50, min: 1, description: 'most connections shown' },
    ...TIME_WINDOW,
  ],
  // Only two kinds of record can make a long connection: those on a 5-tuple
  // that has an interim record (a chain to join), and single records long on
  // their own. Windowing just those, with just the columns needed, keeps the
  // query under a second at ten million flows. ARP records have no proto
  // (NULL), which a join never matches: the joins use proto_key instead.
  sql: `WITH windowed AS (
  SELECT src_ip, src_port, dst_ip, dst_port, proto, coalesce(proto, 256) AS proto_key, vlan, inner_vlan, start_time, end_time,
    end_reason, conn_state, pkts_fwd + pkts_rev AS packets, bytes_fwd + bytes_rev AS bytes, community_id
  FROM flows
  WHERE ${IN_WINDOW}
), chained_keys AS (
  SELECT DISTINCT src_ip, src_port, dst_ip, dst_port, proto_key, vlan, inner_vlan FROM windowed WHERE end_reason = 'active'
), candidates AS (
  SELECT * FROM windowed SEMI JOIN chained_keys USING (src_ip, src_port, dst_ip, dst_port, proto_key, vlan, inner_vlan)
  UNION ALL
  SELECT * FROM windowed ANTI JOIN chained_keys USING (src_ip, src_port, dst_ip, dst_port, proto_key, vlan, inner_vlan)
  WHERE epoch(end_time - start_time) >= $min_seconds
), records AS (
  SELECT *, lag(end_reason) OVER key_in_time AS previous_reason
  FROM candidates
  WINDOW key_in_time AS (PARTITION BY src_ip, src_port, dst_ip, dst_port, proto, vlan, inner_vlan ORDER BY start_time)
), chained AS (
  SELECT *, sum(CASE WHEN previous_reason = 'active' THEN 0 ELSE 1 END) OVER (
    PARTITION BY src_ip, src_port, dst_ip, dst_port, proto, vlan, inner_vlan ORDER BY start_time ROWS UNBOUNDED PRECEDING
  ) AS connection
  FROM records
), connections AS (
  SELECT src_ip, src_port, dst_ip, dst_port, proto, vlan,
    min(start_time) AS start_time,
    max(end_time) AS end_time,
    round(epoch(max(end_time) - min(start_time)), 6) AS seconds,
    count(*) AS records,
    sum(packets)::UBIGINT AS packets,
    sum(bytes)::UBIGINT AS bytes,
    arg_max(conn_state, end_time) AS conn_state,
    arg_max(end_reason, end_time) AS end_reason,
    any_value(community_id) AS community_id
  FROM chained
  GROUP BY src_ip, src_port, dst_ip, dst_port, proto, vlan, inner_vlan, connection
)
SELECT * FROM connections
WHERE seconds >= $min_seconds
ORDER BY seconds DESC, start_time
LIMIT $limit`,
};
