/**
 * `new_peers`: pairs of hosts that first talked recently. A pair is new when
 * the earliest flow between them, over all the data, started inside the last
 * `hours` hours of the data (or after `since`). With `host`, only that host's
 * peers. `host` is the side that sent the first packet of the first flow.
 *
 * @example
 * mommy-forensics query --saved new_peers --param host=10.0.0.5 --param hours=6
 * @module
 */
import type { SavedQuery } from './parameters.js';

export const newPeers: SavedQuery = {
  name: 'new_peers',
  description: 'Host pairs first seen in the last hours of the data (or since a time)',
  parameters: [
    { name: 'host', type: 'ip', default: null, description: 'only the peers of this host' },
    { name: 'hours', type: 'number', default: 24, min: 0, description: 'window at the end of the data, hours' },
    { name: 'since', type: 'timestamp', default: null, description: 'start of the window instead (UTC)' },
    { name: 'limit', type: 'integer', default: 100, min: 1, description: 'most pairs shown' },
  ],
  sql: `WITH pairs AS (
  SELECT least(src_ip, dst_ip) AS a, greatest(src_ip, dst_ip) AS b,
    arg_min(src_ip, start_time) AS initiator,
    min(start_time) AS first_seen,
    max(end_time) AS last_seen,
    count(*) AS flows,
    sum(bytes_fwd + bytes_rev)::UBIGINT AS bytes
  FROM flows
  WHERE $host::VARCHAR IS NULL OR src_ip = $host OR dst_ip = $host
  GROUP BY ALL
), window_start AS (
  SELECT coalesce($since::TIMESTAMP, max(start_time) - to_microseconds(($hours * 3600e6)::BIGINT)) AS since FROM flows
)
SELECT
  coalesce($host, initiator) AS host,
  CASE WHEN coalesce($host, initiator) = a THEN b ELSE a END AS peer,
  first_seen, last_seen, flows, bytes
FROM pairs, window_start
WHERE first_seen >= window_start.since
ORDER BY first_seen, host, peer
LIMIT $limit`,
};
