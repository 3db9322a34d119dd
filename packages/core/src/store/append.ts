/**
 * Flow batches into the `flows` table without per-row JavaScript work on
 * numbers: each Arrow batch is cut into DuckDB data chunks (2048 rows), the
 * fixed-width columns are copied byte for byte from the Arrow buffers into
 * the chunk's vectors (same layouts: little-endian integers, doubles,
 * TIMESTAMP as int64 microseconds), validity bitmaps likewise, and strings
 * are assigned from their UTF-8 bytes. One flush per batch: DuckDB commits
 * it as one transaction, so a batch is either all in the table or not at all.
 *
 * @example
 * const appender = await FlowAppender.create(store.connection);
 * for await (const batch of capture) appender.append(batch, captureId);
 * appender.close();
 * @module
 */
import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { Data, RecordBatch } from 'apache-arrow';

import { FLOW_COLUMNS, type FlowColumnType } from '../schema.js';

const WIDTH: Partial<Record<FlowColumnType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, f64: 8, timestamp_us: 8 };

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
    if (appender.columnCount !== FLOW_COLUMNS.length + 1)
      throw new Error(`flows table has ${appender.columnCount} columns; this MommyNet writes ${FLOW_COLUMNS.length + 1}`);
    return new FlowAppender(appender);
  }

  /** Appends a batch and commits it. */
  append(batch: RecordBatch, captureId: number): void {
    const columns = FLOW_COLUMNS.map((_, i) => batch.getChildAt(i)!.data[0]!);
    for (let start = 0; start < batch.numRows; start += this.#rowsPerChunk) {
      const rows = Math.min(this.#rowsPerChunk, batch.numRows - start);
      this.#fillChunk(columns, captureId, start, rows);
      this.#appender.appendDataChunk(this.#chunk);
    }
    this.#appender.flushSync();
  }

  close(): void {
    this.#appender.closeSync();
  }

  #fillChunk(columns: Data[], captureId: number, start: number, rows: number): void {
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
    duckdb.data_chunk_set_size(chunk, rows);
  }
}

function copyStrings(vector: duckdb.Vector, data: Data, start: number, rows: number): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const base = data.offset + start;
  for (let r = 0; r < rows; r++) {
    duckdb.vector_assign_string_element_len(vector, r, bytes.subarray(offsets[base + r]!, offsets[base + r + 1]!));
  }
}

/** Arrow and DuckDB both use LSB-first validity bits; chunks start on byte boundaries. */
function copyValidity(vector: duckdb.Vector, data: Data, start: number, rows: number): void {
  const bit = data.offset + start;
  if (bit % 8 !== 0) throw new Error('flow batch validity is not byte-aligned');
  duckdb.vector_ensure_validity_writable(vector);
  const bitmap = data.nullBitmap as Uint8Array;
  duckdb.copy_data_to_vector_validity(vector, 0, bitmap.buffer as ArrayBuffer, bitmap.byteOffset + bit / 8, Math.ceil(rows / 8));
}
