/**
 * Detection over the flow batches of one capture after another, as `ingest`
 * and `evaluate` run it: on worker threads beside the database append
 * (ParallelDetection) for large inputs, on the calling thread for small
 * ones, where starting a worker (a thread, its modules, its detectors) costs
 * more than the detection it would take over. Both give the alerts of a
 * DetectionSession.
 *
 * @example
 * const detection = startDetection(setUpDetection(config), { inputBytes: 5_000_000 });
 * for (const file of files) {
 *   for await (const batch of Capture.openFile(file)) await detection.observe(batch);
 *   const alerts = await detection.finish();
 * }
 * await detection.close();
 * @module
 */
import { statSync } from 'node:fs';

import type { RecordBatch } from 'apache-arrow';

import type { Alert } from './alert.js';
import { ParallelDetection } from './parallel.js';
import { DetectionSession, type DetectionSetup } from './session.js';

/** What ingest needs of detection, wherever it runs. */
export interface BatchDetection {
  /** The batch's flows; resolves when the next batch may come. */
  observe(batch: RecordBatch): Promise<void>;
  /** The capture's alerts, in start order; detection then starts afresh for the next capture. */
  finish(): Promise<Alert[]>;
  /** After the last capture (or an error). */
  close(): Promise<void>;
}

/**
 * Inputs smaller than this (bytes of capture, every file together) are
 * detected on the calling thread. Measured with `ingest` on this project's
 * 2-core machine, detection on the calling thread against a worker: 20 MB
 * of corpus captures 0.50-0.60 s against 0.63-0.72 s, one 50 MB capture
 * 0.50-0.54 s against 0.62 s, one 230 MB capture 1.43-1.49 s against
 * 1.32-1.38 s.
 */
export const INLINE_DETECTION_BYTES = 64 * 1024 * 1024;

/** Detection on the calling thread: a DetectionSession behind the BatchDetection interface. */
export class InlineDetection implements BatchDetection {
  readonly #session: DetectionSession;

  constructor(setup: DetectionSetup) {
    this.#session = new DetectionSession({ setup });
  }

  async observe(batch: RecordBatch): Promise<void> {
    this.#session.observe(batch);
  }

  async finish(): Promise<Alert[]> {
    return this.#session.finish();
  }

  async close(): Promise<void> {}
}

/** The bytes of capture files together, startDetection's `inputBytes`; a file that cannot be read counts 0 (its ingest reports why). */
export function captureBytes(files: readonly string[]): number {
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size;
    } catch {
      // missing or unreadable: ingestCapture says so
    }
  }
  return bytes;
}

/** Detection for `inputBytes` of capture: on the calling thread below INLINE_DETECTION_BYTES, else on workers. */
export function startDetection(setup: DetectionSetup, options: { inputBytes: number }): BatchDetection {
  return options.inputBytes < INLINE_DETECTION_BYTES ? new InlineDetection(setup) : ParallelDetection.start(setup.config);
}
