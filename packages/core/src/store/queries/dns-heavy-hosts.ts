/**
 * `dns_heavy_hosts`: the clients sending the most packets to DNS servers
 * (port 53 by default, UDP and TCP): tunnels, malware beacons and
 * misconfigured resolvers stand out. A flow whose first packet came from the
 * server (the capture started mid-exchange) is turned around.
 *
 * @example
 * mommy-forensics query --saved dns_heavy_hosts --param limit=20
 * @module
 */
import type { SavedQuery } from './parameters.js';
import { IN_WINDOW, TIME_WINDOW } from './window.js';

export const dnsHeavyHosts: SavedQuery = {
  name: 'dns_heavy_hosts',
  description: 'Clients by packets sent to DNS servers, with flows, servers and bytes',
  parameters: [
    { name: 'port', type: 'integer', default: 53, min: 0, max: 65535, description: 'the DNS server port' },
    { name: 'min_packets', type: 'integer', default: 1, min: 1, description: 'fewest packets to DNS servers' },
    { name: 'limit', type: 'integer', default: 10, min: 1, description: 'most hosts shown' },
    ...TIME_WINDOW,
  ],
  sql: `WITH dns AS (
  SELECT dst_port = $port AS forward, *
  FROM flows
  WHERE proto IN (6, 17) AND (dst_port = $port OR src_port = $port) AND ${IN_WINDOW}
), sides AS (
  SELECT
    CASE WHEN forward THEN src_ip ELSE dst_ip END AS host,
    CASE WHEN forward THEN dst_ip ELSE src_ip END AS server,
    CASE WHEN forward THEN pkts_fwd ELSE pkts_rev END AS packets_out,
    CASE WHEN forward THEN bytes_fwd ELSE bytes_rev END AS bytes_out,
    CASE WHEN forward THEN bytes_rev ELSE bytes_fwd END AS bytes_in,
    start_time, end_time
  FROM dns
)
SELECT host,
  sum(packets_out)::UBIGINT AS packets,
  count(*) AS flows,
  count(DISTINCT server) AS servers,
  sum(bytes_out)::UBIGINT AS bytes_out,
  sum(bytes_in)::UBIGINT AS bytes_in,
  min(start_time) AS first_seen,
  max(end_time) AS last_seen
FROM sides
GROUP BY host
HAVING sum(packets_out) >= $min_packets
ORDER BY packets DESC, host
LIMIT $limit`,
};
