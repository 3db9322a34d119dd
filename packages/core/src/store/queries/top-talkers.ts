/**
 * `top_talkers`: the hosts that sent and received the most bytes. Every
 * flow counts for both of its endpoints (forward bytes are sent by src_ip,
 * reverse bytes by dst_ip), so a host's `bytes` is the sum of the IP lengths
 * of every packet it sent or received, as tshark's `ip.len` would add up,
 * plus 28 for each ARP message (ARP exchanges are flows too).
 *
 * @example
 * mommy-forensics query --saved top_talkers --param limit=5 --param since=2025-06-01
 * @module
 */
import type { SavedQuery } from './parameters.js';
import { IN_WINDOW, TIME_WINDOW } from './window.js';

export const topTalkers: SavedQuery = {
  name: 'top_talkers',
  description: 'Hosts by IP bytes sent and received, with packets, flows and distinct peers',
  parameters: [{ name: 'limit', type: 'integer', default: 10, min: 1, description: 'how many hosts' }, ...TIME_WINDOW],
  sql: `WITH f AS (
  SELECT src_ip, dst_ip, bytes_fwd, bytes_rev, pkts_fwd, pkts_rev FROM flows WHERE ${IN_WINDOW}
), sides AS (
  SELECT src_ip AS host, dst_ip AS peer, bytes_fwd AS sent, bytes_rev AS received, pkts_fwd AS pkts_sent, pkts_rev AS pkts_received FROM f
  UNION ALL
  SELECT dst_ip, src_ip, bytes_rev, bytes_fwd, pkts_rev, pkts_fwd FROM f WHERE dst_ip <> src_ip
)
SELECT host,
  sum(sent + received)::UBIGINT AS bytes,
  sum(sent)::UBIGINT AS bytes_sent,
  sum(received)::UBIGINT AS bytes_received,
  sum(pkts_sent + pkts_received)::UBIGINT AS packets,
  count(*) AS flows,
  count(DISTINCT peer) AS peers
FROM sides
GROUP BY host
ORDER BY bytes DESC, host
LIMIT $limit`,
};
