/**
 * A detection worker thread: a DetectionSession over its share of the
 * detectors, fed the flow columns the ingesting thread shares with every
 * worker (see parallel.ts), so detection runs beside the database append
 * instead of after it on the same thread. One worker serves capture after
 * capture: `finish` ends one capture's session and starts the next.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';

import type { DetectionConfig } from './config.js';
import { type ColumnBuffers, FlowView, type ViewColumn, ViewScratch } from './flow-view.js';
import { DetectionSession, setUpDetection } from './session.js';

export type ToWorker = { type: 'flows'; rows: number; columns: Record<ViewColumn, ColumnBuffers> } | { type: 'finish' };
export type FromWorker = { type: 'observed' } | { type: 'finished'; alerts: ReturnType<DetectionSession['finish']>; evictedKeys: number };

const port = parentPort!;
const { config, only } = workerData as { config: DetectionConfig; only: string[] };
const setup = setUpDetection(config);
const session = new DetectionSession({ setup, only });
/** The views' arrays, reused batch after batch (a view is done with once observed). */
const scratch = new ViewScratch();

port.on('message', (message: ToWorker) => {
  if (message.type === 'flows') {
    session.observeView(FlowView.fromColumns(message.rows, message.columns, scratch));
    port.postMessage({ type: 'observed' } satisfies FromWorker);
  } else {
    const evictedKeys = session.evictedKeys;
    // The session starts afresh for the next capture, in a thread whose code is already compiled.
    port.postMessage({ type: 'finished', alerts: session.finish(), evictedKeys } satisfies FromWorker);
  }
});
