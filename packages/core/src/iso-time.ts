/**
 * Times as MommyNet prints them. A module of its own so that code loaded by
 * detection workers does not load Arrow with the flow records.
 * @module
 */

// Times written one after another mostly fall in the same second: its text is
// made once (a Date and toISOString per time were a tenth of writing flows as JSON).
let cachedSecond = NaN;
let cachedText = '';

/** `YYYY-MM-DDTHH:MM:SS` (UTC) of a whole second since the epoch; undefined outside the range of a Date. */
export function isoSecond(second: number): string | undefined {
  if (second !== cachedSecond) {
    const date = new Date(second * 1000);
    if (Number.isNaN(date.getTime())) return undefined;
    cachedText = date.toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return cachedText;
}

/** ISO-8601 UTC with microseconds, from microseconds since the epoch (rounded to whole ones). */
export function isoMicros(us: number): string {
  const whole = Math.round(us);
  const second = Math.floor(whole / 1e6);
  const text = isoSecond(second);
  if (text === undefined) throw new RangeError(`isoMicros: ${us} µs since the epoch is not a time a Date can hold`);
  return `${text}.${String(whole - second * 1e6).padStart(6, '0')}Z`;
}
