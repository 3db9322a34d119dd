/**
 * The saved queries for daily forensics, by name. Each is one file in this
 * folder: a description, typed parameters with defaults, and SQL that uses
 * only the flow columns, so it runs the same on a store and on a lake.
 *
 * @example
 * import { SAVED_QUERIES, savedQuery } from '@mommynet/core';
 * for (const q of SAVED_QUERIES) console.log(q.name, q.description);
 * const talkers = savedQuery('top_talkers');
 * @module
 */
import { dnsHeavyHosts } from './dns-heavy-hosts.js';
import { QueryError } from './errors.js';
import { hostFlows } from './host-flows.js';
import { longFlows } from './long-flows.js';
import { newPeers } from './new-peers.js';
import type { SavedQuery } from './parameters.js';
import { portScanCandidates } from './port-scan-candidates.js';
import { topTalkers } from './top-talkers.js';

export const SAVED_QUERIES: readonly SavedQuery[] = [topTalkers, hostFlows, longFlows, portScanCandidates, dnsHeavyHosts, newPeers];

/** The saved query of that name; a QueryError ('unknown_query') naming the others if there is none. */
export function savedQuery(name: string): SavedQuery {
  const query = SAVED_QUERIES.find((q) => q.name === name);
  if (!query)
    throw new QueryError(
      `no saved query ${JSON.stringify(name)} (saved queries: ${SAVED_QUERIES.map((q) => q.name).join(', ')})`,
      'unknown_query',
    );
  return query;
}
