/**
 * The ingest's reads and writes of the `captures` table: the rows of the
 * paths about to be read (to skip a file unchanged since, or recognise one
 * that grew), a row for a new file (found absent by its SHA-256 in the same
 * statement), the row of a file ingested again, and what was read, written
 * once its flows are committed, in one statement for every capture a
 * commit completes. A
 * directory of small rotated captures completes hundreds in one commit,
 * and each statement costs one to three milliseconds, more than such a
 * capture's flows: so, as few statements per capture as can be.
 * @module
 */
import type { Store } from './database.js';
import type { CaptureStatus } from './schema.js';

export interface ExistingCapture {
  capture_id: number;
  status: CaptureStatus;
}

/** The store's capture of this SHA-256, if any. */
export async function findCapture(store: Store, sha256: string): Promise<ExistingCapture | undefined> {
  const [existing] = await store.all<ExistingCapture>(
    'SELECT capture_id, status FROM captures WHERE sha256 = $sha ORDER BY capture_id LIMIT 1',
    { sha: sha256 },
  );
  return existing;
}

/** The latest ingest of a path: what the file was then. */
export interface EarlierCapture {
  capture_id: number;
  size: number;
  /** Modification time, microseconds since the epoch; null in rows of store schema 3 and before. */
  mtime: number | null;
  sha256: string;
  status: CaptureStatus;
}

/**
 * For each of these paths (absolute) the store has ingested, its latest
 * ingest: one statement for any number of paths.
 */
export async function earlierCaptures(store: Store, paths: readonly string[]): Promise<Map<string, EarlierCapture>> {
  const rows = await store.all<{ path: string; capture_id: number; size: bigint; mtime: bigint | null; sha256: string; status: CaptureStatus }>(
    `SELECT DISTINCT ON (path) path, capture_id, size, epoch_us(mtime) AS mtime, sha256, status FROM captures
     WHERE path IN (SELECT unnest(from_json($paths::JSON, '["VARCHAR"]')))
     ORDER BY path, ingest_started DESC, capture_id DESC`,
    { paths: JSON.stringify(paths) },
  );
  return new Map(
    rows.map((r) => [r.path, { ...r, size: Number(r.size), mtime: r.mtime === null ? null : Number(r.mtime) }]),
  );
}

export interface NewCapture {
  path: string;
  size: number;
  /** Modification time when it was opened, microseconds since the epoch. */
  mtime: number;
  sha256: string;
  sensor: string;
}

/**
 * A new `incomplete` row for a file the store does not hold (by SHA-256),
 * looked for and written in one statement: its capture_id, or undefined
 * when the store holds the file.
 */
export async function insertCapture(store: Store, row: NewCapture): Promise<number | undefined> {
  const rows = await store.all<{ capture_id: number }>(
    `INSERT INTO captures (path, size, mtime, sha256, status, sensor, ingest_started)
     SELECT $path, $size, make_timestamp($mtime::BIGINT), $sha256, 'incomplete', $sensor, now()::TIMESTAMP
     WHERE NOT EXISTS (SELECT 1 FROM captures WHERE sha256 = $sha256)
     RETURNING capture_id`,
    { ...row },
  );
  return rows[0]?.capture_id;
}

/**
 * Capture `id` made `incomplete` again for a new ingest of its file (the
 * same, or grown since), with what an earlier one left removed.
 */
export async function reclaimCapture(store: Store, id: number, row: NewCapture): Promise<number> {
  await store.run('DELETE FROM flows WHERE capture_id = $id', { id });
  await store.run('DELETE FROM alerts WHERE capture_id = $id', { id });
  await store.run(
    `UPDATE captures SET path = $path, size = $size, mtime = make_timestamp($mtime::BIGINT), sha256 = $sha256,
       status = 'incomplete', error = NULL, sensor = $sensor, ingest_started = now()::TIMESTAMP, ingest_finished = NULL
     WHERE capture_id = $id`,
    { ...row, id },
  );
  return id;
}

/**
 * A file found identical (by SHA-256) to capture `id` from the same path
 * and of the same size: its modification time noted, so that the next
 * ingest skips it unread (a file touched, or copied back in place).
 */
export async function noteUnchanged(store: Store, id: number, row: NewCapture): Promise<void> {
  await store.run(
    'UPDATE captures SET mtime = make_timestamp($mtime::BIGINT) WHERE capture_id = $id AND path = $path AND size = $size',
    { id, path: row.path, size: row.size, mtime: row.mtime },
  );
}

/** What reading a capture found, for its `captures` row. */
export interface CaptureRead {
  id: number;
  format: string;
  /** LINKTYPE_ numbers, as a list literal: "[1,113]". */
  link_types: string;
  /** First and last packet, microseconds since the epoch (ignored without packets). */
  first: number;
  last: number;
  packets: number;
  decoded: number;
  skipped: number;
  /** skipped_by_reason as a JSON object. */
  reasons: string;
  flows: number;
  status: Extract<CaptureStatus, 'complete' | 'damaged'>;
  error: string | null;
}

const READ_ROW = JSON.stringify({
  id: 'UINTEGER', format: 'VARCHAR', link_types: 'VARCHAR', first: 'BIGINT', last: 'BIGINT', packets: 'UBIGINT',
  decoded: 'UBIGINT', skipped: 'UBIGINT', reasons: 'VARCHAR', flows: 'UBIGINT', status: 'VARCHAR', error: 'VARCHAR',
});

/** Writes what was read into the captures' rows, ending their ingest: one statement for all. */
export async function markCapturesRead(store: Store, reads: readonly CaptureRead[]): Promise<void> {
  if (reads.length === 0) return;
  await store.run(
    `UPDATE captures SET format = r.format, link_types = r.link_types::USMALLINT[],
       first_packet = CASE WHEN r.packets > 0 THEN make_timestamp(r.first) END,
       last_packet = CASE WHEN r.packets > 0 THEN make_timestamp(r.last) END,
       packets = r.packets, decoded = r.decoded, skipped = r.skipped, skipped_by_reason = r.reasons::JSON,
       flows = r.flows, status = r.status, error = r.error, ingest_finished = now()::TIMESTAMP
     FROM (SELECT unnest(from_json($reads::JSON, '[${READ_ROW}]'), recursive := true)) r
     WHERE captures.capture_id = r.id`,
    { reads: JSON.stringify(reads) },
  );
}
