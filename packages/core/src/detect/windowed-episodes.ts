/**
 * The shape port_scan, ip_sweep and syn_flood share: per key (a scanner
 * and its target, a sweeper and its service, a target port), distinct
 * values in a sliding window; once the detector's threshold is crossed, an
 * episode that counts every distinct value it sees (up to MAX_COUNTED),
 * starting with those already in the window. Each episode's set goes when
 * the episode closes, so a long run keeps only the open ones.
 * @module
 */
import type { Alert } from './alert.js';
import { type DistinctWindow, evictQuietest, ExpiryBound, MAX_COUNTED, windowOf } from './distinct-window.js';
import { EpisodeBook } from './episodes.js';

export class WindowedEpisodes<K, V> {
  #windows = new Map<K, DistinctWindow<V>>();
  /** When the windows' newest observations (lastTime) can first leave them. */
  #expiry = new ExpiryBound();
  #distinct = new Map<K, Set<V>>(); // per open episode: every value seen
  #episodes: EpisodeBook<K>;

  /** `describe` writes each alert's message as its episode ends (see EpisodeBook). */
  constructor(
    readonly windowUs: number,
    episodeGapUs: number,
    describe: (a: Alert) => string,
  ) {
    this.#episodes = new EpisodeBook<K>(episodeGapUs, describe);
  }

  /** Records `value` for `key` at `timeUs`; the key's window, for the detector's threshold. */
  add(key: K, timeUs: number, value: V): DistinctWindow<V> {
    const window = windowOf(this.#windows, key, this.windowUs);
    window.add(timeUs, value);
    this.#expiry.saw(timeUs);
    return window;
  }

  isOpen(key: K): boolean {
    return this.#episodes.isOpen(key);
  }

  /**
   * The key's open episode, extended to `timeUs` with `value` counted;
   * undefined when none is open (see EpisodeBook.continued). Then `begin`.
   */
  continued(key: K, timeUs: number, value: V): Alert | undefined {
    const alert = this.#episodes.continued(key, timeUs);
    if (alert) this.#count(key, value);
    return alert;
  }

  /** Starts the key's episode with `alert`: its distinct values are those already in the window, and `value`. */
  begin(key: K, timeUs: number, value: V, alert: Alert): Alert {
    this.#distinct.set(key, new Set(this.#windows.get(key)!.values()));
    this.#count(key, value);
    return this.#episodes.begin(key, timeUs, alert);
  }

  /** The distinct values of the key's open episode. */
  distinct(key: K): ReadonlySet<V> {
    return this.#distinct.get(key)!;
  }

  #count(key: K, value: V): void {
    const distinct = this.#distinct.get(key)!;
    if (distinct.size < MAX_COUNTED) distinct.add(value);
  }

  /** Drops expired windows and closed episodes' sets, and the quietest windows beyond `maxKeys`; returns how many were evicted. */
  prune(clockUs: number, maxKeys: number): number {
    this.#expiry.prune(this.#windows, clockUs - this.windowUs, (w) => w.lastTime);
    this.#episodes.closeQuiet(clockUs);
    for (const key of this.#distinct.keys()) if (!this.#episodes.isOpen(key)) this.#distinct.delete(key);
    return evictQuietest(this.#windows, maxKeys, (w) => w.lastTime);
  }

  finish(): Alert[] {
    this.#windows.clear();
    this.#distinct.clear();
    return this.#episodes.drain();
  }
}
