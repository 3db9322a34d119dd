/**
 * When ingested flows are committed: a DuckDB row group (COMMIT_ROWS flows)
 * at a time, whichever captures they come from, and what is left at the
 * end. DuckDB writes a commit of whole row groups to the file directly;
 * a smaller commit goes through its log and is written again at the next
 * checkpoint, and a commit ending in a part of a row group leaves that part
 * in the file as a small row group of its own. Committing each capture's
 * last flows on their own made a directory of small rotated captures cost
 * more CPU and a database half as big again as the same flows in one file
 * (docs/benchmarks.md, "Several captures").
 *
 * A capture's row in `captures` says what was read (`complete` or
 * `damaged`) only after the commit holding its last flows: until then it
 * reads `incomplete`, and an ingest cut off before that commit ingests it
 * again. The captures a commit completes are written in one statement.
 *
 * A commit is one transaction, opened by begin() for the ingest's other
 * writes before it (a new capture's row, rows of captures read again, their
 * alerts): they are committed with the flows, and each statement is spared
 * a commit of its own (DuckDB writes and syncs its log at every commit).
 *
 * @example
 * const commits = await FlowCommits.open(store);
 * await commits.begin();
 * const captureId = await insertCapture(store, row); // committed with the flows
 * await commits.append(batch, captureId);
 * await commits.captureDone({ id: captureId, status: 'complete', packets, ... });
 * await commits.close(); // commits the rest with its captures' rows
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import { APPENDER_FLUSH_ROWS, COMMIT_ROWS, FlowAppender } from './append.js';
import { type CaptureRead, markCapturesRead } from './captures-table.js';
import type { Store } from './database.js';

export class FlowCommits {
  readonly #store: Store;
  readonly #appender: FlowAppender;
  readonly #commitRows: number;
  #pendingRows = 0;
  /** Captures with flows appended and not yet committed. */
  readonly #pendingCaptures = new Set<number>();
  /** Captures read through whose last flows are pending: their rows are written after the commit. */
  #readThrough: CaptureRead[] = [];

  private constructor(store: Store, appender: FlowAppender, commitRows: number) {
    this.#store = store;
    this.#appender = appender;
    this.#commitRows = commitRows;
  }

  /** `commitRows`: flows per commit (default COMMIT_ROWS), at most what DuckDB's appender holds before it commits by itself. */
  static async open(store: Store, commitRows = COMMIT_ROWS): Promise<FlowCommits> {
    if (!Number.isInteger(commitRows) || commitRows < 1 || commitRows > APPENDER_FLUSH_ROWS)
      throw new RangeError(`commitRows must be an integer from 1 to ${APPENDER_FLUSH_ROWS}, not ${commitRows}`);
    return new FlowCommits(store, await FlowAppender.create(store.connection), commitRows);
  }

  /**
   * Opens the transaction the next commit ends, if none is open: the
   * store's writes until then go in it.
   */
  async begin(): Promise<void> {
    await this.#store.begin();
  }

  /** Appends a batch of `captureId`'s flows, committing each time a commit's worth is pending. */
  async append(batch: RecordBatch, captureId: number, scores?: Float32Array): Promise<void> {
    for (let from = 0; from < batch.numRows; ) {
      const to = Math.min(batch.numRows, from + this.#commitRows - this.#pendingRows);
      this.#appender.append(batch, captureId, scores, from, to);
      this.#pendingRows += to - from;
      this.#pendingCaptures.add(captureId);
      from = to;
      if (this.#pendingRows === this.#commitRows) await this.commit();
    }
  }

  /** Whether flows of `captureId` wait to be committed. */
  holds(captureId: number): boolean {
    return this.#pendingCaptures.has(captureId);
  }

  /**
   * Says every flow of capture `read.id` has been appended: its row is
   * written now if they are all committed, else after the commit that holds
   * the last of them.
   */
  async captureDone(read: CaptureRead): Promise<void> {
    if (this.holds(read.id)) this.#readThrough.push(read);
    else await markCapturesRead(this.#store, [read]);
  }

  /** Commits the pending flows and the rows of the captures that were waiting for them, in one transaction. */
  async commit(): Promise<void> {
    await this.begin();
    if (this.#pendingRows > 0) this.#appender.flush();
    this.#pendingRows = 0;
    this.#pendingCaptures.clear();
    const readThrough = this.#readThrough;
    this.#readThrough = [];
    await markCapturesRead(this.#store, readThrough);
    await this.#store.commit();
  }

  /** Commits what is pending and ends. On a failure, what is not committed is rolled back. */
  async close(): Promise<void> {
    try {
      await this.commit();
    } catch (err) {
      // What the failed commit held is dropped, not committed by the appender's close on its own.
      // The same failure again (a full disk) is possible: the first error is the one to report.
      await this.#store.rollback().catch(() => {});
      try {
        this.#appender.discard();
        this.#appender.close();
      } catch {
        // As above.
      }
      throw err;
    }
    this.#appender.close();
  }
}
