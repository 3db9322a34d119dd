/**
 * Distinct values seen within a sliding time window, in amortized constant
 * time per observation: a queue of (time, value) in arrival order and a
 * count per value. Values older than the window drop out as time moves on.
 * @module
 */
import { kthSmallest } from './stats.js';

/**
 * Most observations one window holds, and most distinct values an episode
 * counts: a flood of a million sources within one window must not hold a
 * million entries. Every threshold lies far below it.
 */
export const MAX_COUNTED = 100_000;

export class DistinctWindow<T> {
  /*
   * Observations in arrival order, read from #head: made on the second
   * observation, and kept (emptied, not replaced) once made. Until then the
   * one observation is #soleTime and #only: most windows (a host probed
   * once) only ever hold one, kept until they expire, and two arrays for
   * each were most of the garbage per window.
   */
  #times: number[] | undefined;
  #values: T[] | undefined;
  #head = 0;
  /** The time of the only observation before the arrays are made; NaN when there is none. */
  #soleTime = NaN;
  /**
   * Count per value, made on the second distinct value: most windows (a
   * target seen from one client) only ever hold one, and a Map for each of
   * them was a fifth of detection's garbage.
   */
  #counts: Map<T, number> | undefined;
  #only: T | undefined;
  #onlyCount = 0;

  /** Beyond `maxEntries` observations, the oldest leave early: the window then spans less time. */
  constructor(
    readonly windowUs: number,
    readonly maxEntries = MAX_COUNTED,
  ) {}

  /** Records `value` at `timeUs` (non-decreasing, as flows arrive) and returns the distinct count. */
  add(timeUs: number, value: T): number {
    if (this.#times) {
      this.#times.push(timeUs);
      this.#values!.push(value);
    } else if (!this.#hasSole()) {
      this.#soleTime = timeUs;
    } else {
      // The second observation. Literals of two (rather than pushes onto
      // empty arrays, which reserve room for seventeen); written out here
      // and in the other per-key queues rather than in a shared helper: each
      // literal is an allocation site of its own, so these times stay an
      // array of unboxed doubles.
      this.#times = [this.#soleTime, timeUs];
      this.#values = [this.#only as T, value];
      this.#soleTime = NaN;
    }
    if (this.#counts) this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
    else if (this.#onlyCount === 0 || this.#only === value) {
      this.#only = value;
      this.#onlyCount++;
    } else {
      this.#counts = new Map([[this.#only as T, this.#onlyCount], [value, 1]]);
    }
    if (this.entries > this.maxEntries) this.#dropOldest();
    this.expire(timeUs);
    return this.size;
  }

  #hasSole(): boolean {
    return !Number.isNaN(this.#soleTime);
  }

  /** Drops the oldest observation of the arrays (the sole one never goes this way: a window holds at least one). */
  #dropOldest(): void {
    const v = this.#values![this.#head]!;
    this.#head++;
    if (!this.#counts) {
      this.#onlyCount--;
      return;
    }
    const n = this.#counts.get(v)! - 1;
    if (n === 0) this.#counts.delete(v);
    else this.#counts.set(v, n);
  }

  expire(nowUs: number): void {
    const times = this.#times;
    if (!times) {
      if (this.#soleTime <= nowUs - this.windowUs) {
        this.#soleTime = NaN;
        this.#onlyCount = 0;
      }
      return;
    }
    while (this.#head < times.length && times[this.#head]! <= nowUs - this.windowUs) this.#dropOldest();
    if (this.#head === times.length && this.#head > 0) {
      // Empty: the arrays start afresh rather than grow.
      times.length = 0;
      this.#values!.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head);
      this.#values = this.#values!.slice(this.#head);
      this.#head = 0;
    }
  }

  get size(): number {
    return this.#counts ? this.#counts.size : this.#onlyCount > 0 ? 1 : 0;
  }

  /** Observations still in the window. */
  get entries(): number {
    if (this.#times) return this.#times.length - this.#head;
    return this.#hasSole() ? 1 : 0;
  }

  /** The distinct values in the window. */
  values(): IterableIterator<T> {
    if (this.#counts) return this.#counts.keys();
    return (this.#onlyCount > 0 ? [this.#only as T] : []).values();
  }

  get firstTime(): number {
    const times = this.#times;
    if (times) return times.length > this.#head ? times[this.#head]! : Infinity;
    return this.#hasSole() ? this.#soleTime : Infinity;
  }

  get lastTime(): number {
    const times = this.#times;
    if (times) return times.length > this.#head ? times[times.length - 1]! : -Infinity;
    return this.#hasSole() ? this.#soleTime : -Infinity;
  }
}

/** The window of `key` in `windows`, created on first use. */
export function windowOf<K, T>(windows: Map<K, DistinctWindow<T>>, key: K, windowUs: number): DistinctWindow<T> {
  let w = windows.get(key);
  if (!w) windows.set(key, (w = new DistinctWindow<T>(windowUs)));
  return w;
}

/**
 * Deletes the entries whose value `expired` says are. Through forEach: a
 * for…of over the entries makes an array per entry, and a prune goes over
 * up to maxKeys of them every few thousand flows.
 */
export function deleteWhere<K, V>(map: Map<K, V>, expired: (value: V) => boolean): void {
  map.forEach((value, key) => {
    if (expired(value)) map.delete(key);
  });
}

/**
 * A lower bound on the times by which a map's entries expire, so that a
 * prune skips its pass over every entry when none can be old enough. That
 * pass was most of a prune's cost, every few thousand flows, and usually
 * found nothing: windows last a minute and more.
 */
export class ExpiryBound {
  #oldest = Infinity;

  /** An entry's time became `timeUs` (a new entry, or a time that may have gone back: flows arrive as they end). */
  saw(timeUs: number): void {
    if (timeUs < this.#oldest) this.#oldest = timeUs;
  }

  /**
   * Deletes the entries that `expired` says are, which it may only say of
   * entries whose `time` is before `cutoff`; none are looked at when no
   * time is. Entries deleted otherwise (evictions) keep the bound valid.
   */
  prune<K, V>(map: Map<K, V>, cutoff: number, time: (v: V) => number, expired: (v: V) => boolean = (v) => time(v) < cutoff): void {
    if (this.#oldest >= cutoff) return;
    let oldest = Infinity;
    map.forEach((v, key) => {
      if (expired(v)) map.delete(key);
      else if (time(v) < oldest) oldest = time(v);
    });
    this.#oldest = oldest;
  }
}

/**
 * The bound on a detector's per-host state: past `max` keys, deletes the
 * entries used least recently (by `lastUse`) until nine tenths of `max`
 * remain, so this runs once per tenth of new keys; returns how many
 * went. A flood of new addresses then costs the quietest state, not the
 * scanner's window in use, and never unbounded memory.
 */
export function evictQuietest<K, V>(map: Map<K, V>, max: number, lastUse: (v: V) => number): number {
  if (map.size <= max) return 0;
  const before = map.size;
  const times = new Float64Array(before);
  let i = 0;
  map.forEach((v) => {
    times[i++] = lastUse(v);
  });
  const cutoff = kthSmallest(times, before - Math.floor(max * 0.9) - 1);
  deleteWhere(map, (v) => lastUse(v) <= cutoff);
  return before - map.size;
}
