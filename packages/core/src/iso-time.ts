/**
 * Times as MommyNet prints them. A module of its own so that code loaded by
 * detection workers does not load Arrow with the flow records.
 * @module
 */

// Consecutive flows mostly start and end within the same second: its text is
// made once (a Date and toISOString per time were a tenth of writing flows as JSON).
let cachedSecond = NaN;
let cachedPrefix = '';

/** ISO-8601 UTC with microseconds, from (whole) microseconds since the epoch. */
export function isoMicros(us: number): string {
  const second = Math.floor(us / 1e6);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20); // YYYY-MM-DDTHH:MM:SS.
    cachedSecond = second;
  }
  return `${cachedPrefix}${String(us - second * 1e6).padStart(6, '0')}Z`;
}
