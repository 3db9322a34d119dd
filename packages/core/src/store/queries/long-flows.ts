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
  sql: `WITH records AS (
  SELECT *, lag(end_reason) OVER key_in_time AS previous_reason
  FROM flows
  WHERE ${IN_WINDOW}
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
    sum(pkts_fwd + pkts_rev)::UBIGINT AS packets,
    sum(bytes_fwd + bytes_rev)::UBIGINT AS bytes,
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
