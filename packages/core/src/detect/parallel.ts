/**
 * Detection on worker threads. `ingest` appends each batch to DuckDB on its
 * own thread; the detectors' columns are copied once into shared memory and
 * handed to every worker, each running its share of the detectors, so the
 * append and detection run at once. At most `MAX_IN_FLIGHT` batches wait
 * for the workers: `observe` resolves once there is room, which holds the
 * capture back instead of queueing batches without bound.
 *
 * The workers outlive a capture: `finish` gives its alerts and starts every
 * detector afresh for the next one, so an ingest of many files starts its
 * threads, reads its lists and compiles the detectors' code once (a cold
 * worker spends about a second of CPU compiling before it runs at full
 * speed). `close` ends them.
 *
 * @example
 * const detection = ParallelDetection.start(config);
 * for (const file of files) {
 *   for await (const batch of Capture.openFile(file)) await detection.observe(batch);
 *   const alerts = await detection.finish();
 * }
 * await detection.close();
 * @module
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { RecordBatch } from 'apache-arrow';

import { type Alert, alertOrder } from './alert.js';
import type { DetectionConfig } from './config.js';
import { type DetachedBatch, detachColumns } from './flow-view.js';
import { DETECTOR_NAMES } from './session.js';
import type { FromWorker, ToWorker } from './worker.js';

const MAX_IN_FLIGHT = 2;

/**
 * Relative cost of each detector per flow (`pnpm bench:detect`, its share of
 * all detectors' time at cc9776e), to split them evenly between workers
 * (DETECTOR_NAMES lists them all; one missing here counts as 0.1).
 */
const DETECTOR_COST: Readonly<Record<string, number>> = {
  ddos: 0.19, traffic_spike: 0.15, payload_signature: 0.14, dns_tunnel: 0.13, port_scan: 0.09, ip_sweep: 0.08,
  syn_flood: 0.06, dhcp_flood: 0.05, brute_force: 0.04, icmp_tunnel: 0.04, beaconing: 0.03, threat_intel: 0.01,
};

/** The detectors, split into `n` groups of about equal cost (largest first, each to the lightest group). */
export function splitDetectors(names: readonly string[], n: number): string[][] {
  const groups = Array.from({ length: Math.max(1, Math.min(n, names.length)) }, () => ({ names: [] as string[], cost: 0 }));
  const cost = (name: string) => DETECTOR_COST[name] ?? 0.1;
  for (const name of [...names].sort((a, b) => cost(b) - cost(a))) {
    const lightest = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.names.push(name);
    lightest.cost += cost(name);
  }
  return groups.map((g) => g.names);
}

/** Two workers where there are cores for them beside the ingesting thread, else one. */
export const DEFAULT_DETECTION_WORKERS = Math.min(2, Math.max(1, availableParallelism() - 1));

interface Share {
  worker: Worker;
  /** Batches this worker has observed (it answers in the order they were sent). */
  observed: number;
  finished?: { resolve: (r: { alerts: Alert[]; evictedKeys: number }) => void; reject: (e: Error) => void };
}

/** A batch the workers have been sent: its number (counting from 0), and the shared columns they read. */
interface InFlight {
  seq: number;
  columns: DetachedBatch;
}

export class ParallelDetection {
  #shares: Share[];
  /** Batches in flight, oldest first. */
  #pending: InFlight[] = [];
  #sent = 0;
  /**
   * Shared columns of batches every worker has finished with, to copy the
   * next batches into: mapping and zeroing new shared memory for each batch
   * cost the ingesting thread eight times the copy.
   */
  #free: DetachedBatch[] = [];
  #room: (() => void)[] = [];
  #failure?: Error;
  #ending = false;
  #evictedKeys = 0;

  private constructor(config: DetectionConfig, groups: string[][]) {
    this.#shares = groups.map((only) => {
      const share: Share = { worker: new Worker(new URL('./worker.js', import.meta.url), { workerData: { config, only } }), observed: 0 };
      share.worker.on('message', (m: FromWorker) => {
        if (m.type === 'observed') this.#acknowledged(share);
        else share.finished?.resolve(m);
      });
      share.worker.on('error', (err) => this.#fail(err));
      share.worker.on('exit', (code) => {
        if (!this.#ending) this.#fail(new Error(`detection worker exited with code ${code}`));
      });
      return share;
    });
  }

  /**
   * Workers running every detector with `config`, split between `workers`
   * threads (lists and pattern files are read again there; check them first
   * with setUpDetection).
   */
  static start(config: DetectionConfig, options: { workers?: number; detectors?: readonly string[] } = {}): ParallelDetection {
    const names = options.detectors ?? DETECTOR_NAMES;
    return new ParallelDetection(config, splitDetectors(names, options.workers ?? DEFAULT_DETECTION_WORKERS));
  }

  /**
   * A worker has observed its next batch. A batch is done when every worker
   * has (one may be several batches ahead of another): its columns can then
   * take a later batch's, and waiting callers may send more.
   */
  #acknowledged(share: Share): void {
    share.observed++;
    const everyone = Math.min(...this.#shares.map((s) => s.observed));
    while (this.#pending.length > 0 && this.#pending[0]!.seq < everyone) this.#free.push(this.#pending.shift()!.columns);
    // Every waiting caller looks again (several may call observe without awaiting the previous one).
    if (this.#pending.length < MAX_IN_FLIGHT) for (const wake of this.#room.splice(0)) wake();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const wake of this.#room.splice(0)) wake();
    for (const s of this.#shares) s.finished?.reject(this.#failure);
  }

  /** Shares the batch's flows with every worker; resolves when they have room for more. */
  async observe(batch: RecordBatch): Promise<void> {
    if (this.#failure) throw this.#failure;
    const detached = detachColumns(batch, this.#free.pop());
    this.#pending.push({ seq: this.#sent++, columns: detached });
    for (const s of this.#shares) s.worker.postMessage({ type: 'flows', rows: detached.rows, columns: detached.columns } satisfies ToWorker);
    while (this.#pending.length >= MAX_IN_FLIGHT && !this.#failure) await new Promise<void>((wake) => this.#room.push(wake));
    if (this.#failure) throw this.#failure;
  }

  /** Every alert of the capture so far, in start order, once the workers have seen every batch; they then start afresh. */
  async finish(): Promise<Alert[]> {
    if (this.#failure) throw this.#failure;
    const results = await Promise.all(
      this.#shares.map(
        (s) =>
          new Promise<{ alerts: Alert[]; evictedKeys: number }>((resolve, reject) => {
            s.finished = { resolve, reject };
            s.worker.postMessage({ type: 'finish' } satisfies ToWorker);
          }),
      ),
    );
    for (const s of this.#shares) s.finished = undefined;
    this.#evictedKeys = results.reduce((n, r) => n + r.evictedKeys, 0);
    return results.flatMap((r) => r.alerts).sort(alertOrder);
  }

  /** Keys of per-host state the workers' detectors evicted for their bound in the capture last finished. */
  get evictedKeys(): number {
    return this.#evictedKeys;
  }

  /** Stops the workers (after the last capture, or an ingest error). */
  async close(): Promise<void> {
    this.#ending = true;
    await Promise.all(this.#shares.map((s) => s.worker.terminate()));
  }
}
