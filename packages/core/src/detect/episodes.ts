/**
 * Episodes: one alert per attacker/victim/category while the evidence keeps
 * coming. The first evidence opens the episode, later evidence updates it
 * (end, counts, samples), and a quiet gap closes it.
 * @module
 */
import type { Alert } from './alert.js';
import type { FlowView } from './flow-view.js';

/** Sample Community IDs kept per alert, enough to pull up the flows. */
export const SAMPLE_FLOWS = 5;

/**
 * Episodes by key: whatever names an attacker/victim pair for the detector (a string, an address key).
 *
 * An alert's message is written once, when its episode is over (closed, or
 * drained at the end), by `describe` from the alert's final figures: an
 * episode of a flood is updated by every flow, and writing the message each
 * time was a fifth of the ddos detector's time.
 */
export class EpisodeBook<K = string> {
  #open = new Map<K, Alert>();
  #closed: Alert[] = [];

  /** Evidence quieter than `gapUs` ends an episode. Without `describe`, the message is the one the detector set. */
  constructor(
    readonly gapUs: number,
    private readonly describe?: (a: Alert) => string,
  ) {}

  /** Opens the episode of `key` with `open()` or extends it; `update` applies the new evidence. */
  note(key: K, timeUs: number, open: () => Alert, update: (a: Alert) => void): void {
    update(this.continued(key, timeUs) ?? this.begin(key, timeUs, open()));
  }

  /**
   * The open episode of `key`, its end moved to `timeUs`; undefined when
   * there is none, or when the evidence comes after the gap (that episode
   * is then closed): the caller then calls `begin`, which takes its place.
   * Together, what `note` does without its callbacks: for the paths every
   * flow of a flood takes, where closures would be allocated flow after flow.
   */
  continued(key: K, timeUs: number): Alert | undefined {
    const alert = this.#open.get(key);
    if (alert === undefined) return undefined;
    if (timeUs - alert.end > this.gapUs) {
      this.#close(alert);
      return undefined;
    }
    if (timeUs > alert.end) alert.end = timeUs;
    return alert;
  }

  /** Starts the episode of `key` with `alert` (when `continued` found none). */
  begin(key: K, timeUs: number, alert: Alert): Alert {
    this.#open.set(key, alert);
    if (timeUs > alert.end) alert.end = timeUs;
    return alert;
  }

  isOpen(key: K): boolean {
    return this.#open.has(key);
  }

  /** Closes episodes quiet for longer than the gap at `nowUs`. */
  closeQuiet(nowUs: number): void {
    for (const [key, alert] of this.#open) {
      if (nowUs - alert.end > this.gapUs) {
        this.#close(alert);
        this.#open.delete(key);
      }
    }
  }

  #close(alert: Alert): void {
    if (this.describe) alert.message = this.describe(alert);
    this.#closed.push(alert);
  }

  /** Every alert, closed and open, in start order; the book is then empty. */
  drain(): Alert[] {
    for (const alert of this.#open.values()) this.#close(alert);
    const all = this.#closed.sort((a, b) => a.start - b.start);
    this.#closed = [];
    this.#open.clear();
    return all;
  }
}

/** Adds a flow's Community ID to the alert's samples; a flow without one (ARP) adds nothing. */
export function addSample(alert: Alert, communityId: string | undefined): void {
  if (communityId === undefined) return;
  const samples = (alert.details.sample_flows ??= []) as string[];
  if (samples.length < SAMPLE_FLOWS && !samples.includes(communityId)) samples.push(communityId);
}

/**
 * addSample for a row of a view, its Community ID read only while the
 * alert has room: a flood's episode sees every flow, and decoding each ID
 * was a tenth of detection's time.
 */
export function addFlowSample(alert: Alert, v: FlowView, row: number): void {
  if (((alert.details.sample_flows as string[] | undefined)?.length ?? 0) < SAMPLE_FLOWS) addSample(alert, v.communityId(row));
}
