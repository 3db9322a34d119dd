/**
 * What every detector is: it observes flow records one at a time, in the
 * order they finish, and hands over its alerts at the end. Thresholds come
 * from DetectionConfig (defaults in config.ts).
 * @module
 */
import type { Alert } from './alert.js';
import type { FlowView } from './flow-view.js';

export interface Detector {
  readonly name: string;
  /**
   * One flow record. Flows arrive when they end, so an unanswered probe can
   * come minutes after flows that started later: windows count by each
   * flow's own start time, never by the arrival clock.
   *
   * It runs for every flow, so its common path allocates nothing it can
   * avoid. In particular it declares no closures: V8 allocates the
   * variables a closure captures (a context, and a boxed number for each
   * double) each time the function that declares them is called, whether
   * or not the closure is reached. Detectors report an episode from a
   * method of their own, called only when a threshold is crossed or an
   * episode is open: with EpisodeBook.note and its callbacks, or, where
   * every flow of a flood extends the episode, with continued and begin,
   * which need none.
   *
   * The view is valid only during the call: a detection worker copies the
   * next batches' columns into the same shared memory. Keep numbers and
   * strings read from it, never the view or a subarray of its bytes.
   */
  observe(view: FlowView, row: number): void;
  /**
   * Drops state that can no longer lead to an alert (called now and then,
   * with a clock held back by the latest a flow can arrive),
   * and the oldest per-host state beyond `maxKeys` keys a table; returns
   * how many keys were evicted for the bound.
   */
  prune(clockUs: number, maxKeys: number): number;
  /** All alerts so far; the detector starts afresh. */
  finish(): Alert[];
}
