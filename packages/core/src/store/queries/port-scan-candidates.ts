/**
 * `port_scan_candidates`: sources that tried many destination (host, port)
 * pairs, most of them without a completed exchange. A TCP attempt counts as
 * failed unless Zeek's state says the connection was established (SF, S1,
 * S2, S3); a UDP flow fails when nothing came back. Both vertical scans
 * (many ports of one host) and sweeps (one port of many hosts) show up; the
 * `hosts` and `ports` columns tell which.
 *
 * @example
 * mommy-forensics query --saved port_scan_candidates --param min_targets=20
 * @module
 */
import type { SavedQuery } from './parameters.js';
import { IN_WINDOW, TIME_WINDOW } from './window.js';

export const portScanCandidates: SavedQuery = {
  name: 'port_scan_candidates',
  description: 'Sources trying many (host, port) targets, mostly unanswered or refused',
  parameters: [
    { name: 'min_targets', type: 'integer', default: 50, min: 1, description: 'fewest distinct (host, port) targets' },
    { name: 'min_failed_share', type: 'number', default: 0.5, min: 0, max: 1, description: 'fewest share of failed attempts, 0 to 1' },
    { name: 'limit', type: 'integer', default: 20, min: 1, description: 'most sources shown' },
    ...TIME_WINDOW,
  ],
  sql: `WITH attempts AS (
  SELECT src_ip, dst_ip, dst_port, start_time, end_time,
    CASE WHEN proto = 6 THEN conn_state NOT IN ('SF', 'S1', 'S2', 'S3') ELSE pkts_rev = 0 END AS failed
  FROM flows
  WHERE proto IN (6, 17) AND ${IN_WINDOW}
)
SELECT src_ip AS source,
  count(DISTINCT (dst_ip, dst_port)) AS targets,
  count(DISTINCT dst_ip) AS hosts,
  count(DISTINCT dst_port) AS ports,
  count(*) AS flows,
  round(avg(failed::INTEGER), 3) AS failed_share,
  min(start_time) AS first_seen,
  max(end_time) AS last_seen
FROM attempts
GROUP BY src_ip
HAVING count(DISTINCT (dst_ip, dst_port)) >= $min_targets AND avg(failed::INTEGER) >= $min_failed_share
ORDER BY targets DESC, source
LIMIT $limit`,
};
