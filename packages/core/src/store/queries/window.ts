/**
 * The time window most saved queries share: `since` and `until` (UTC), both
 * optional. A flow is in the window when it overlaps it: it ends at or after
 * `since` and starts before `until`.
 *
 * @example
 * import { TIME_WINDOW, IN_WINDOW } from './window.js';
 * const q = { parameters: [...TIME_WINDOW], sql: `SELECT count(*) FROM flows WHERE ${IN_WINDOW}` };
 * @module
 */
import type { QueryParameter } from './parameters.js';

export const TIME_WINDOW: readonly QueryParameter[] = [
  { name: 'since', type: 'timestamp', default: null, description: 'only flows that end at or after this time (UTC)' },
  { name: 'until', type: 'timestamp', default: null, description: 'only flows that start before this time (UTC)' },
];

/** SQL condition on a `flows` row for the window. */
export const IN_WINDOW =
  '($since::TIMESTAMP IS NULL OR end_time >= $since::TIMESTAMP) AND ($until::TIMESTAMP IS NULL OR start_time < $until::TIMESTAMP)';
