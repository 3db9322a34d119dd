/**
 * Detection on a worker thread. `ingest` appends each batch to DuckDB on
 * its own thread; the detectors' columns are copied out and sent here, so
 * both run at once (on a 2-core machine the capture thread shares the
 * cores too). At most `MAX_IN_FLIGHT` batches wait for the worker: `observe`
 * resolves once there is room, which holds the capture back instead of
 * queueing batches without bound.
 *
 * @example
 * const detection = ParallelDetection.start(config);
 * for await (const batch of capture) await detection.observe(batch);
 * const alerts = await detection.finish();
 * @module
 */
import { Worker } from 'node:worker_threads';

import type { RecordBatch } from 'apache-arrow';

import type { Alert } from './alert.js';
import type { DetectionConfig } from './config.js';
import { detachColumns } from './flow-view.js';
import type { FromWorker, ToWorker } from './worker.js';

const MAX_IN_FLIGHT = 2;

export class ParallelDetection {
  #worker: Worker;
  #inFlight = 0;
  #room: (() => void)[] = [];
  #finished?: { resolve: (r: { alerts: Alert[]; evictedKeys: number }) => void; reject: (e: Error) => void };
  #failure?: Error;
  #ending = false;
  #evictedKeys = 0;

  private constructor(config: DetectionConfig) {
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { config } });
    this.#worker.on('message', (m: FromWorker) => {
      if (m.type === 'observed') {
        this.#inFlight--;
        this.#room.shift()?.();
      } else {
        this.#evictedKeys = m.evictedKeys;
        this.#finished?.resolve(m);
      }
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => {
      if (!this.#ending) this.#fail(new Error(`detection worker exited with code ${code}`));
    });
  }

  /** A worker running every detector with `config` (lists and pattern files read again there; check them first with setUpDetection). */
  static start(config: DetectionConfig): ParallelDetection {
    return new ParallelDetection(config);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const wake of this.#room.splice(0)) wake();
    this.#finished?.reject(this.#failure);
  }

  /** Sends the batch's flows to the worker; resolves when the worker has room for more. */
  async observe(batch: RecordBatch): Promise<void> {
    if (this.#failure) throw this.#failure;
    const { rows, columns } = detachColumns(batch);
    const transfer = Object.values(columns).flatMap((c) => [c.values.buffer, ...(c.valueOffsets ? [c.valueOffsets.buffer] : [])]);
    this.#inFlight++;
    this.#worker.postMessage({ type: 'flows', rows, columns } satisfies ToWorker, transfer as ArrayBuffer[]);
    while (this.#inFlight >= MAX_IN_FLIGHT && !this.#failure) await new Promise<void>((wake) => this.#room.push(wake));
    if (this.#failure) throw this.#failure;
  }

  /** Every alert, in start order, once the worker has seen every batch; the worker then ends. */
  async finish(): Promise<Alert[]> {
    if (this.#failure) throw this.#failure;
    const result = await new Promise<{ alerts: Alert[]; evictedKeys: number }>((resolve, reject) => {
      this.#finished = { resolve, reject };
      this.#worker.postMessage({ type: 'finish' } satisfies ToWorker);
    });
    await this.close();
    return result.alerts;
  }

  /** Keys of per-host state the worker's detectors evicted for their bound (known after finish). */
  get evictedKeys(): number {
    return this.#evictedKeys;
  }

  /** Stops the worker without waiting for its alerts (after an ingest error). */
  async close(): Promise<void> {
    this.#ending = true;
    await this.#worker.terminate();
  }
}
