/**
 * Times as MommyNet prints them. A module of its own so that code loaded by
 * detection workers does not load Arrow with the flow records.
 * @module
 */

/** ISO-8601 UTC with microseconds, from microseconds since the epoch. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = String(Math.round(us - ms * 1000)).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, 23)}${micros}Z`;
}
