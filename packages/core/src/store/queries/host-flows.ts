/**
 * `host_flows`: every flow of one host, in time order, with the direction
 * seen from that host (`out` when it sent the first packet) and its peer.
 *
 * @example
 * mommy-forensics query --saved host_flows --param host=10.0.0.5 -f csv
 * @module
 */
import type { SavedQuery } from './parameters.js';
import { IN_WINDOW, TIME_WINDOW } from './window.js';

export const hostFlows: SavedQuery = {
  name: 'host_flows',
  description: 'The flows of one host in time order, with direction and peer',
  parameters: [
    { name: 'host', type: 'ip', description: 'the host address' },
    { name: 'limit', type: 'integer', default: 1000, min: 1, description: 'most flows shown' },
    ...TIME_WINDOW,
  ],
  sql: `SELECT start_time, end_time,
  CASE WHEN src_ip = $host THEN 'out' ELSE 'in' END AS direction,
  CASE WHEN src_ip = $host THEN dst_ip ELSE src_ip END AS peer,
  src_ip, src_port, dst_ip, dst_port, proto, conn_state, end_reason,
  pkts_fwd, pkts_rev, bytes_fwd, bytes_rev, community_id
FROM flows
WHERE (src_ip = $host OR dst_ip = $host) AND ${IN_WINDOW}
ORDER BY start_time, src_ip, src_port, dst_ip, dst_port
LIMIT $limit`,
};
