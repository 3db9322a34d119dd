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
 * A capture is marked done in `captures` (its `finish`) only after the
 * commit holding its last flows: until then it reads `incomplete`, and an
 * ingest cut off before that commit ingests it again.
 *
 * @example
 * const commits = await FlowCommits.open(store);
 * await commits.append(batch, captureId);
 * await commits.captureDone(captureId, () => markComplete(captureId));
 * await commits.close(); // commits the rest, then marks its captures
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import { APPENDER_FLUSH_ROWS, COMMIT_ROWS, FlowAppender } from './append.js';
import type { Store } from './database.js';

export class FlowCommits {
  readonly #appender: FlowAppender;
  readonly #commitRows: number;
  #pendingRows = 0;
  /** Captures with flows appended and not yet committed. */
  readonly #pendingCaptures = new Set<number>();
  /** What to do once the pending flows are committed: mark captures read through. */
  #afterCommit: (() => Promise<void>)[] = [];

  private constructor(appender: FlowAppender, commitRows: number) {
    this.#appender = appender;
    this.#commitRows = commitRows;
  }

  /** `commitRows`: flows per commit (default COMMIT_ROWS), at most what DuckDB's appender holds before it commits by itself. */
  static async open(store: Store, commitRows = COMMIT_ROWS): Promise<FlowCommits> {
    if (!Number.isInteger(commitRows) || commitRows < 1 || commitRows > APPENDER_FLUSH_ROWS)
      throw new RangeError(`commitRows must be an integer from 1 to ${APPENDER_FLUSH_ROWS}, not ${commitRows}`);
    return new FlowCommits(await FlowAppender.create(store.connection), commitRows);
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
   * Says every flow of `captureId` has been appended: `finish` (which marks
   * it in `captures`) runs now if they are all committed, else after the
   * commit that holds the last of them.
   */
  async captureDone(captureId: number, finish: () => Promise<void>): Promise<void> {
    if (this.holds(captureId)) this.#afterCommit.push(finish);
    else await finish();
  }

  /** Commits the pending flows, then marks the captures that were waiting for it. */
  async commit(): Promise<void> {
    if (this.#pendingRows > 0) this.#appender.commit();
    this.#pendingRows = 0;
    this.#pendingCaptures.clear();
    const waiting = this.#afterCommit;
    this.#afterCommit = [];
    for (const finish of waiting) await finish();
  }

  /** Commits what is pending and ends. */
  async close(): Promise<void> {
    try {
      await this.commit();
    } catch (err) {
      try {
        this.#appender.close();
      } catch {
        // The same failure again (a full disk): the first error is the one to report.
      }
      throw err;
    }
    this.#appender.close();
  }
}
