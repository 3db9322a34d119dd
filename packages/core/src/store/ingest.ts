/**
 * Ingest: one capture file into the store. The file's SHA-256 identifies it:
 * a file already ingested completely is skipped (unless forced); one whose
 * ingest was cut off (status `incomplete`) is ingested again from the start
 * under the same capture_id, its earlier rows removed first, so nothing is
 * counted twice. Two rules spare a sensor's directory, ingested again and
 * again, from reading or counting twice: a file whose path, size and
 * modification time are those of its last ingest is skipped unread, and a
 * file that grew since (its first bytes are the file ingested then: a
 * capture still being written) replaces that capture. Flows are committed
 * a DuckDB row group at a time (see flow-commits.ts): a killed ingest
 * leaves every commit, and a capture row that says `incomplete`. Several files go in one after the other with
 * ingestCaptures, which reads each next file while the one before is being
 * stored, and commits the flows of small files together.
 *
 * @example
 * const store = await openStore('mommy.duckdb');
 * const result = await ingestCapture(store, 'trace.pcap', { onProgress: (p) => console.error(p.packets) });
 * for await (const r of ingestCaptures(store, ['mon-00.pcap', 'mon-01.pcap'])) console.log(r.path, r.status);
 * @module
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

import type { RecordBatch } from 'apache-arrow';

import { Capture } from '../capture.js';
import { CaptureError } from '../errors.js';
import { fileDigests, type FileDigests } from '../file-sha256.js';
import type { FileOptions } from '../options.js';
import { COMMIT_ROWS } from './append.js';
import { earlierCaptures, type EarlierCapture, findCapture, insertCapture, type NewCapture, noteUnchanged, reclaimCapture } from './captures-table.js';
import type { Store } from './database.js';
import { FlowCommits } from './flow-commits.js';
import type { CaptureStatus } from './schema.js';

export interface IngestProgress {
  path: string;
  /** Bytes of the capture stream read so far (decompressed, for .gz: it can pass `size`). */
  bytesRead: number;
  /** Bytes of the file read so far (compressed, for .gz): the part of `size` done. */
  fileBytesRead: number;
  size: number;
  /** Seconds since the file began to be read: since it was opened, which for a file read ahead is before its turn. */
  seconds: number;
  packets: number;
  flows: number;
}

export interface IngestOptions extends FileOptions {
  /** Ingest again even if the same file (SHA-256) is already complete. */
  force?: boolean;
  /**
   * Flows per commit, from any number of captures: a kill leaves every
   * commit. Default COMMIT_ROWS (a DuckDB row group, which it writes to the
   * file directly); smaller commits cost more.
   */
  commitRows?: number;
  /** Name of this machine in the store. Default: the host name. */
  sensor?: string;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Stops the ingest (Ctrl-C): the capture being read is closed at once and
   * stays `incomplete` (ingesting it again finishes it), the flows of the
   * captures read before it are committed, and the ingest rejects with the
   * signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Sees every flow batch (detectors run here). Called as the batch
   * arrives, before it is appended, so that work it hands to other threads
   * runs beside the append; the next batch waits until it has settled.
   */
  onBatch?: (batch: RecordBatch, captureId: number) => void | Promise<void>;
  /** Each flow's anomaly score, stored in `flows.anomaly_score` (absent: NULL). */
  scoreBatch?: (batch: RecordBatch) => Promise<Float32Array>;
  /**
   * Called once, when the capture's thread has finished (the file read, its
   * flows flushed into batches) or the ingest ends first: only the store's
   * work on its last batches is left, and the next file can be read beside it.
   */
  onFileRead?: () => void;
}

export interface IngestResult {
  path: string;
  captureId?: number;
  /**
   * complete or damaged: read through (damaged: up to the damage), its
   * flows appended; `captures` says so once the last of them are committed,
   * which ingestCaptures may do with the next file's. skipped: already in
   * the store; failed: not ingested at all (see error).
   */
  status: CaptureStatus | 'skipped' | 'failed';
  packets: number;
  decoded: number;
  skipped: number;
  flows: number;
  seconds: number;
  error?: Error;
  /** For skipped: why; for a file that grew since its last ingest: that it replaced that capture. */
  note?: string;
}

/** The options of the capture itself, out of an ingest's. */
function captureOptionsOf(options: IngestOptions): FileOptions {
  const { force, commitRows, sensor, onProgress, signal, onBatch, scoreBatch, onFileRead, ...capture } = options;
  return capture;
}

/** What the store knows of a path, for OpenedCapture.open. */
export interface FileHistory {
  /** Its latest ingest, if any. */
  earlier?: EarlierCapture;
  /** Read it even if unchanged since (an ingest with force). */
  force?: boolean;
}

/** A file being read for ingest: its capture, and its digests as they come. */
export interface ReadingFile {
  size: number;
  /** Modification time when opened, microseconds since the epoch. */
  mtime: number;
  capture: Capture;
  /** Of its first `size` bytes; prefixSha256 of the first `earlier.size`, when it is longer. */
  digests: Promise<FileDigests>;
  earlier?: EarlierCapture;
}

/** A file left unread: its path, size and modification time are those of its latest ingest. */
export interface UnchangedFile {
  unchangedSince: EarlierCapture;
}

/**
 * A capture file opened for ingest before its turn: its thread reads and
 * builds flows (as far as its queue of batches lets it) and its SHA-256 is
 * computed, while the store is still busy with the file before it. A file
 * that cannot be opened keeps its error for its ingest to report; one
 * unchanged since its latest ingest is not opened at all.
 */
export class OpenedCapture {
  readonly path: string;
  /** When it was opened (performance.now()): its ingest's seconds count from here. */
  readonly started = performance.now();
  readonly #opened: ReadingFile | UnchangedFile | { error: Error };

  private constructor(file: string, options: FileOptions, history: FileHistory) {
    this.path = resolve(file);
    this.#opened = OpenedCapture.#open(this.path, options, history);
  }

  /** Opens `file` with the capture options it will be ingested with. */
  static open(file: string, options: FileOptions = {}, history: FileHistory = {}): OpenedCapture {
    return new OpenedCapture(file, options, history);
  }

  static #open(path: string, options: FileOptions, { earlier, force = false }: FileHistory): ReadingFile | UnchangedFile | { error: Error } {
    let size: number, mtime: number;
    try {
      const st = statSync(path, { bigint: true });
      if (!st.isFile()) throw new CaptureError(`${path}: not a regular file`, 'open_failed', path);
      size = Number(st.size);
      mtime = Number(st.mtimeNs / 1000n);
    } catch (err) {
      return { error: err instanceof CaptureError ? err : new CaptureError(`${path}: ${(err as Error).message}`, 'open_failed', path) };
    }
    if (!force && earlier && earlier.status !== 'incomplete' && earlier.size === size && earlier.mtime === mtime) {
      return { unchangedSince: earlier };
    }
    // Opened first: its thread reads and builds flows while this one hashes.
    let capture: Capture;
    try {
      capture = Capture.openFile(path, { batchRows: COMMIT_ROWS, ...options });
    } catch (err) {
      return { error: err as Error };
    }
    // The bytes there were when it was opened: what a later ingest of a file still being written compares.
    const digests = fileDigests(path, { length: size, ...(earlier && earlier.size < size && { prefixLength: earlier.size }) });
    digests.catch(() => {}); // awaited by the ingest; a capture closed unread must not leave it unhandled
    return { size, mtime, capture, digests, ...(earlier && { earlier }) };
  }

  /** What the ingest needs; throws the error of a file that could not be opened. */
  get opened(): ReadingFile | UnchangedFile {
    if ('error' in this.#opened) throw this.#opened.error;
    return this.#opened;
  }

  /** Stops reading it (a capture not ingested after all). Idempotent. */
  close(): void {
    if ('capture' in this.#opened) this.#opened.capture.close();
  }
}

/**
 * Ingests one capture: a path, or a file opened ahead with OpenedCapture
 * (then the capture options it was opened with apply, not those given here).
 */
export async function ingestCapture(store: Store, file: string | OpenedCapture, options: IngestOptions = {}): Promise<IngestResult> {
  let source = file;
  if (typeof source === 'string') {
    const history = await PathHistory.read(store, [source], options);
    source = OpenedCapture.open(source, captureOptionsOf(options), history.of(source));
  }
  const commits = await FlowCommits.open(store, options.commitRows);
  let failed = false;
  try {
    return await ingestInto(store, commits, source, options);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await closeCommits(commits, failed);
  }
}

/**
 * What the store knows of each path of an ingest: read in one statement
 * before the first file, and kept up to date as files are claimed (a path
 * given twice, the file grown in between, is then recognised too).
 */
class PathHistory {
  private constructor(
    readonly latest: Map<string, EarlierCapture>,
    readonly force: boolean,
  ) {}

  static async read(store: Store, files: readonly string[], { force = false }: IngestOptions): Promise<PathHistory> {
    return new PathHistory(await earlierCaptures(store, files.map((f) => resolve(f))), force);
  }

  of(file: string): FileHistory {
    const earlier = this.latest.get(resolve(file));
    return { force: this.force, ...(earlier && { earlier }) };
  }

  /** `path` is being ingested as `capture` (incomplete until its flows are committed). */
  claimed(path: string, capture: EarlierCapture): void {
    this.latest.set(path, capture);
  }
}

/** How the store takes a file it is about to read, once hashed. */
type Claim = { captureId: number; note?: string } | { skippedAs: number; note: string };

/**
 * The capture a file's flows go to: a new one, or the one it replaces
 * (the same file left incomplete or forced; or the file's latest ingest,
 * when it has grown since); or none, when the store holds it already.
 */
async function claimCapture(store: Store, commits: FlowCommits, row: NewCapture, file: ReadingFile, digests: FileDigests, force: boolean): Promise<Claim> {
  const { earlier } = file;
  const grown = earlier !== undefined && digests.prefixSha256 === earlier.sha256;
  // A file the store does not hold gets its row in one statement; one it holds is looked at first.
  const inserted = grown ? undefined : await insertCapture(store, row);
  if (inserted !== undefined) return { captureId: inserted };
  // This connection is the store's only writer: what it looks up stays so.
  let existing = await findCapture(store, row.sha256);
  // The same file earlier in this ingest, its last flows not committed yet: commit them first.
  const replaced = existing?.capture_id ?? earlier!.capture_id;
  if (commits.holds(replaced)) {
    await commits.commit();
    await commits.begin();
    existing &&= await findCapture(store, row.sha256);
  }
  if (existing === undefined) {
    // Grown, and new as a whole: it replaces what its first bytes were ingested as.
    return { captureId: await reclaimCapture(store, replaced, row), note: `grew since it was ingested as capture ${replaced}: read again whole` };
  }
  if (existing.status !== 'incomplete' && !force) {
    await noteUnchanged(store, existing.capture_id, row);
    return { skippedAs: existing.capture_id, note: `already ingested as capture ${existing.capture_id}` };
  }
  return { captureId: await reclaimCapture(store, existing.capture_id, row) };
}

/**
 * Commits what an ingest left pending and marks the captures it holds.
 * After a failure it still tries, so that what was read is kept, but the
 * failure is what is reported.
 */
async function closeCommits(commits: FlowCommits, failed: boolean): Promise<void> {
  if (!failed) return commits.close();
  await commits.close().catch(() => {});
}

async function ingestInto(store: Store, commits: FlowCommits, source: OpenedCapture, options: IngestOptions, history?: PathHistory): Promise<IngestResult> {
  const { force = false, sensor = hostname(), onProgress, signal, onBatch, scoreBatch, onFileRead } = options;
  const { path, started } = source;
  const result: IngestResult = { path, status: 'failed', packets: 0, decoded: 0, skipped: 0, flows: 0, seconds: 0 };
  const seconds = () => (performance.now() - started) / 1000;
  let fileReadAnnounced = false;
  const announceFileRead = () => {
    if (fileReadAnnounced) return;
    fileReadAnnounced = true;
    onFileRead?.();
  };
  // Every way out that returns has done with the file (a store failure throws, and ends the ingest).
  const done = () => {
    announceFileRead();
    return { ...result, seconds: seconds() };
  };

  let opened: ReadingFile | UnchangedFile, digests: FileDigests;
  try {
    opened = source.opened;
  } catch (err) {
    result.error = err as Error;
    return done();
  }
  if ('unchangedSince' in opened) {
    const id = opened.unchangedSince.capture_id;
    Object.assign(result, { status: 'skipped', captureId: id, note: `unchanged since it was ingested as capture ${id} (same path, size and modification time)` });
    return done();
  }
  const { size, capture } = opened;
  try {
    digests = await opened.digests;
  } catch (err) {
    // Unreadable after all (removed, permissions changed since it was opened): this file fails, the others go on.
    capture.close();
    result.error = err as Error;
    return done();
  }
  if (signal?.aborted) {
    capture.close();
    throw signal.reason;
  }
  const row = { path, size, mtime: opened.mtime, sha256: digests.sha256, sensor };
  await commits.begin(); // what claiming writes is committed with the capture's first flows
  const claim = await claimCapture(store, commits, row, opened, digests, force);
  if ('skippedAs' in claim) {
    capture.close();
    Object.assign(result, { status: 'skipped', captureId: claim.skippedAs, note: claim.note });
    return done();
  }
  const { captureId } = claim;
  result.captureId = captureId;
  history?.claimed(path, { capture_id: captureId, size, mtime: row.mtime, sha256: row.sha256, status: 'incomplete' });
  if (claim.note !== undefined) result.note = claim.note;

  let failure: Error | undefined;
  const stopReading = () => capture.close(); // the batch being awaited settles as the end
  signal?.addEventListener('abort', stopReading, { once: true });
  if (signal?.aborted) stopReading();
  try {
    for await (const batch of capture) {
      const info = capture.info();
      if (info.finished) announceFileRead();
      const seen = Promise.resolve(onBatch?.(batch, captureId));
      seen.catch(() => {}); // settled below: a failure while appending is not unhandled
      await commits.append(batch, captureId, await scoreBatch?.(batch));
      await seen;
      result.flows += batch.numRows;
      const s = capture.stats();
      onProgress?.({
        path, bytesRead: info.bytesRead ?? 0, fileBytesRead: info.fileBytesRead ?? 0, size, seconds: seconds(), packets: s.packets, flows: result.flows,
      });
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) {
      capture.close();
      throw err; // the store or a detector failed: the row stays 'incomplete', committed batches stay
    }
    failure = err;
  } finally {
    signal?.removeEventListener('abort', stopReading);
    capture.close();
  }
  // Read only in part: the row stays 'incomplete', and what was appended is removed when it is ingested again.
  signal?.throwIfAborted();

  const s = capture.stats();
  const info = capture.info();
  Object.assign(result, { packets: s.packets, decoded: s.decoded, skipped: s.skipped });
  const status = failure ? 'damaged' : 'complete';
  result.status = status;
  result.error = failure;
  // Written once the capture's last flows are committed: until then it reads 'incomplete'.
  await commits.captureDone({
    id: captureId,
    format: info.format,
    link_types: `[${info.linktypes.join(',')}]`,
    first: Math.round(s.firstPacketTime * 1e6),
    last: Math.round(s.lastPacketTime * 1e6),
    packets: s.packets,
    decoded: s.decoded,
    skipped: s.skipped,
    reasons: JSON.stringify(s.skippedByReason),
    flows: result.flows,
    status,
    error: failure?.message ?? null,
  });
  return done();
}

export interface IngestEachOptions extends IngestOptions {
  /** Called as each file's turn comes, before its result is awaited. */
  onFileStart?: (path: string, index: number) => void;
}

/**
 * Ingests `files` one after the other, yielding each result. Each file is
 * opened as soon as the one before it has been read through, so that its
 * reading, flow building and hashing run beside that file's last appends
 * to the store (on two cores, beside DuckDB's work on this thread) rather
 * than after them. Their flows are committed together, a row group at a
 * time: a result can come before the last flows of its capture are in the
 * store (its `captures` row says `incomplete` until then); all are in, and
 * marked, once the iteration ends. Stopping the iteration closes a file
 * opened ahead, and commits what was read.
 */
export async function* ingestCaptures(store: Store, files: readonly string[], options: IngestEachOptions = {}): AsyncGenerator<IngestResult> {
  const { onFileStart, onFileRead, ...ingestOptions } = options;
  const captureOptions = captureOptionsOf(ingestOptions);
  const history = await PathHistory.read(store, files, options);
  const commits = await FlowCommits.open(store, options.commitRows);
  let ahead: OpenedCapture | undefined;
  let failed = false;
  try {
    for (const [index, file] of files.entries()) {
      const source = ahead ?? OpenedCapture.open(file, captureOptions, history.of(file));
      ahead = undefined;
      const openNext = () => {
        onFileRead?.();
        if (index + 1 < files.length) ahead = OpenedCapture.open(files[index + 1]!, captureOptions, history.of(files[index + 1]!));
      };
      onFileStart?.(resolve(file), index);
      yield await ingestInto(store, commits, source, { ...ingestOptions, onFileRead: openNext }, history);
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    ahead?.close();
    await closeCommits(commits, failed);
  }
}
