/**
 * Distinct values seen within a sliding time window, in amortized constant
 * time per observation: a queue of (time, value) in arrival order and a
 * count per value. Values older than the window drop out as time moves on.
 * @module
 */
/**
 * Most observations one window holds, and most distinct values an episode
 * counts: a flood of a million sources within one window must not hold a
 * million entries. Every threshold lies far below it.
 */
export const MAX_COUNTED = 100_000;

export class DistinctWindow<T> {
  #times: number[] = [];
  #values: T[] = [];
  #head = 0;
  #counts = new Map<T, number>();

  /** Beyond `maxEntries` observations, the oldest leave early: the window then spans less time. */
  constructor(
    readonly windowUs: number,
    readonly maxEntries = MAX_COUNTED,
  ) {}

  /** Records `value` at `timeUs` (non-decreasing, as flows arrive) and returns the distinct count. */
  add(timeUs: number, value: T): number {
    this.#times.push(timeUs);
    this.#values.push(value);
    this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
    if (this.entries > this.maxEntries) this.#dropOldest();
    this.expire(timeUs);
    return this.#counts.size;
  }

  #dropOldest(): void {
    const v = this.#values[this.#head]!;
    const n = this.#counts.get(v)! - 1;
    if (n === 0) this.#counts.delete(v);
    else this.#counts.set(v, n);
    this.#head++;
  }

  expire(nowUs: number): void {
    while (this.#head < this.#times.length && this.#times[this.#head]! <= nowUs - this.windowUs) this.#dropOldest();
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#head = 0;
    }
  }

  get size(): number {
    return this.#counts.size;
  }

  /** Observations still in the window. */
  get entries(): number {
    return this.#times.length - this.#head;
  }

  /** The distinct values in the window. */
  values(): IterableIterator<T> {
    return this.#counts.keys();
  }

  get firstTime(): number {
    return this.#times.length > this.#head ? this.#times[this.#head]! : Infinity;
  }

  get lastTime(): number {
    return this.#times.length > this.#head ? this.#times[this.#times.length - 1]! : -Infinity;
  }
}

/** The window of `key` in `windows`, created on first use. */
export function windowOf<K, T>(windows: Map<K, DistinctWindow<T>>, key: K, windowUs: number): DistinctWindow<T> {
  let w = windows.get(key);
  if (!w) windows.set(key, (w = new DistinctWindow<T>(windowUs)));
  return w;
}

/** Drops the windows whose newest observation has left them. */
export function dropExpired<K>(windows: Map<K, { readonly lastTime: number; readonly windowUs: number }>, clockUs: number): void {
  for (const [key, w] of windows) if (w.lastTime < clockUs - w.windowUs) windows.delete(key);
}

/**
 * The bound on a detector's per-host state: past `max` keys, deletes the
 * entries used least recently (by `lastUse`) until nine tenths of `max`
 * remain, so the sort runs once per tenth of new keys; returns how many
 * went. A flood of new addresses then costs the quietest state, not the
 * scanner's window in use, and never unbounded memory.
 */
export function evictQuietest<K, V>(map: Map<K, V>, max: number, lastUse: (v: V) => number): number {
  if (map.size <= max) return 0;
  const before = map.size;
  const times = Array.from(map.values(), lastUse).sort((a, b) => a - b);
  const cutoff = times[before - Math.floor(max * 0.9) - 1]!;
  for (const [key, v] of map) if (lastUse(v) <= cutoff) map.delete(key);
  return before - map.size;
}
