/**
 * Flow batches into the `flows` table without per-row JavaScript work on
 * numbers: each Arrow batch is cut into DuckDB data chunks (2048 rows), the
 * fixed-width columns are copied byte for byte from the Arrow buffers into
 * the chunk's vectors (copy_data_to_vector; same layouts: little-endian
 * integers, doubles, TIMESTAMP as int64 microseconds), validity bitmaps
 * likewise, and strings are assigned from their UTF-8 bytes.
 *
 * Appending only buffers the rows; flush() hands them to DuckDB, committed
 * at once or with the connection's open transaction (DuckDB's appender also
 * flushes by itself past APPENDER_FLUSH_ROWS).
 * When the store commits is FlowCommits' choice (flow-commits.ts).
 * (Measured alternatives, slower here: two connections committing in turn on
 * Node's pool. Appending off the JavaScript thread gains nothing, because
 * the capture thread never waits for this one, and a worker thread cannot
 * share the database: see docs/benchmarks.md.)
 *
 * @example
 * const appender = await FlowAppender.create(store.connection);
 * for await (const batch of capture) appender.append(batch, captureId);
 * appender.flush();
 * appender.close();
 * @module
 */
import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { Data, RecordBatch } from 'apache-arrow';

import { reusedPrefix } from '../reused-arrays.js';
import { FLOW_COLUMNS, type FlowColumnType } from '../flow-columns.js';
import { FLOW_TABLE_COLUMNS } from './schema.js';

const WIDTH: Partial<Record<FlowColumnType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, f64: 8, timestamp_us: 8 };

/**
 * Flows per batch when ingesting, and the least a transaction should hold:
 * one DuckDB row group. DuckDB writes a commit of that size to the file
 * directly; a smaller one goes through its write-ahead log and is written
 * again at the next checkpoint.
 */
export const COMMIT_ROWS = 122_880;

/** Rows after which DuckDB's appender commits on its own (100 vectors: its DEFAULT_FLUSH_COUNT). */
export const APPENDER_FLUSH_ROWS = 100 * duckdb.vector_size();

export class FlowAppender {
  #appender: DuckDBAppender;
  #chunk: DuckDBDataChunk;
  #rowsPerChunk = duckdb.vector_size();

  private constructor(appender: DuckDBAppender) {
    this.#appender = appender;
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    this.#chunk = DuckDBDataChunk.create(types);
  }

  static async create(connection: DuckDBConnection): Promise<FlowAppender> {
    const appender = await connection.createAppender('flows');
    if (appender.columnCount !== FLOW_TABLE_COLUMNS.length)
      throw new Error(`flows table has ${appender.columnCount} columns; this MommyNet writes ${FLOW_TABLE_COLUMNS.length}`);
    return new FlowAppender(appender);
  }

  /**
   * Appends a batch's flows `from`.. `to` (default: all), with each flow's
   * anomaly score when scored (else NULL; `scores` covers the whole batch),
   * to be handed to DuckDB by flush().
   */
  append(batch: RecordBatch, captureId: number, scores?: Float32Array, from = 0, to = batch.numRows): void {
    if (scores && scores.length !== batch.numRows) throw new RangeError(`${scores.length} anomaly scores for ${batch.numRows} flows`);
    const columns = FLOW_COLUMNS.map((_, i) => batch.getChildAt(i)!.data[0]!);
    for (let start = from; start < to; start += this.#rowsPerChunk) {
      const rows = Math.min(this.#rowsPerChunk, to - start);
      this.#fillChunk(columns, captureId, start, rows, scores);
      this.#appender.appendDataChunk(this.#chunk);
    }
  }

  /**
   * Hands what was appended since to DuckDB: committed at once, or with the
   * connection's open transaction.
   */
  flush(): void {
    this.#appender.flushSync();
  }

  /** Drops what was appended since the last flush. */
  discard(): void {
    this.#appender.clear();
  }

  /** Flushes what is left, and ends the appender. */
  close(): void {
    this.#appender.closeSync();
  }

  #fillChunk(columns: Data[], captureId: number, start: number, rows: number, scores: Float32Array | undefined): void {
    const chunk = this.#chunk.chunk;
    duckdb.data_chunk_reset(chunk);
    const ids = new Uint32Array(rows).fill(captureId);
    duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk, 0), 0, ids.buffer, 0, ids.byteLength);
    FLOW_COLUMNS.forEach((col, i) => {
      const data = columns[i]!;
      const vector = duckdb.data_chunk_get_vector(chunk, i + 1);
      const width = WIDTH[col.type];
      if (width) {
        const values = data.values as Uint8Array;
        const from = values.byteOffset + (data.offset + start) * width;
        duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, from, rows * width);
      } else {
        copyStrings(vector, data, start, rows);
      }
      if (data.nullCount > 0) copyValidity(vector, data, start, rows);
    });
    const scoreVector = duckdb.data_chunk_get_vector(chunk, FLOW_COLUMNS.length + 1);
    if (scores) {
      duckdb.copy_data_to_vector(scoreVector, 0, scores.buffer as ArrayBuffer, scores.byteOffset + start * 4, rows * 4);
    } else {
      duckdb.vector_ensure_validity_writable(scoreVector);
      const none = new Uint8Array(Math.ceil(rows / 8));
      duckdb.copy_data_to_vector_validity(scoreVector, 0, none.buffer, 0, none.byteLength);
    }
    duckdb.data_chunk_set_size(chunk, rows);
  }
}

// duckdb_string_t (duckdb.h): 16 bytes; a string of up to 12 bytes is stored
// inline as {uint32 length, 12 bytes}. Those (states, reasons, most IPv4
// addresses, empty payloads) are written in one copy; longer ones need
// DuckDB to allocate, one call each.
const STRING_T = 16;
const INLINE_MAX = 12;
/** The inline string_t's of one chunk's column, reused chunk after chunk. */
const inlineScratch: Uint8Array<ArrayBuffer>[] = [];

function copyStrings(vector: duckdb.Vector, data: Data, start: number, rows: number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const base = data.offset + start;
  const slots = reusedPrefix(inlineScratch, 0, rows * STRING_T, Uint8Array).fill(0);
  const long = packInlineStrings(slots, offsets, bytes, base, rows);
  duckdb.copy_data_to_vector(vector, 0, slots.buffer, slots.byteOffset, slots.byteLength);
  for (const r of long) {
    duckdb.vector_assign_string_element_len(vector, r, bytes.subarray(offsets[base + r]!, offsets[base + r + 1]!));
  }
}

/**
 * Writes rows `base`.. `base + rows` of a string column into `slots` as
 * inline string_t's; returns the rows too long for that. A function of its
 * own, ending with its loop: V8 compiles a hot loop on its own ("on-stack
 * replacement") in the first call, before the code after the loop has ever
 * run, and re-enters that compiled loop in every later call; code after the
 * loop in the same function would then deoptimize each time it is reached.
 */
function packInlineStrings(slots: Uint8Array, offsets: Int32Array, bytes: Uint8Array, base: number, rows: number): number[] {
  const long: number[] = [];
  for (let r = 0; r < rows; r++) {
    const from = offsets[base + r]!;
    const length = offsets[base + r + 1]! - from;
    if (length > INLINE_MAX) {
      long.push(r);
      continue;
    }
    const at = r * STRING_T;
    slots[at] = length; // little-endian uint32; length <= 12
    for (let k = 0; k < length; k++) slots[at + 4 + k] = bytes[from + k]!;
  }
  return long;
}

/**
 * Arrow and DuckDB both use LSB-first validity bits: a chunk that starts on
 * a byte boundary of the batch is copied as it is; one that does not (a
 * commit boundary inside a batch) is shifted into place first.
 */
function copyValidity(vector: duckdb.Vector, data: Data, start: number, rows: number): void {
  const bit = data.offset + start;
  const bitmap = data.nullBitmap as Uint8Array;
  const bytes = Math.ceil(rows / 8);
  duckdb.vector_ensure_validity_writable(vector);
  if (bit % 8 === 0) {
    duckdb.copy_data_to_vector_validity(vector, 0, bitmap.buffer as ArrayBuffer, bitmap.byteOffset + bit / 8, bytes);
    return;
  }
  const first = bit >> 3;
  const shift = bit & 7;
  const shifted = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) shifted[i] = (bitmap[first + i]! >> shift) | ((bitmap[first + i + 1] ?? 0) << (8 - shift));
  duckdb.copy_data_to_vector_validity(vector, 0, shifted.buffer, 0, bytes);
}
