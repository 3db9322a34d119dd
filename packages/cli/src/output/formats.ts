/**
 * Flow output formats. JSON lines and CSV are written as batches arrive;
 * Parquet goes through DuckDB. Timestamps are ISO-8601 UTC with
 * microseconds; payload prefixes (attacker-controlled bytes) are written
 * base64-encoded, and only when asked for.
 * @module
 */
import { FLOW_COLUMNS, type FlowValue, flowValueReaders, isoMicros } from '@mommynet/core/flows';
import type { RecordBatch } from 'apache-arrow';

import { csvField } from './csv.js';
import { TextSink } from './sink.js';

export type FlowFormat = 'jsonl' | 'csv' | 'parquet';
export const FLOW_FORMATS: readonly FlowFormat[] = ['jsonl', 'csv', 'parquet'];

export interface FlowWriter {
  write(batch: RecordBatch): Promise<void>;
  close(): Promise<void>;
  /** True when the reader of standard output went away. */
  readonly gone: boolean;
}

export interface FlowWriterOptions {
  format: FlowFormat;
  output?: string;
  /** Include payload_fwd/payload_rev (base64). */
  payload: boolean;
}

function outputColumns(payload: boolean) {
  return FLOW_COLUMNS.filter((c) => payload || c.type !== 'binary');
}

function display(type: string, v: FlowValue): string | number | null {
  if (v === null) return null;
  if (type === 'timestamp_us') return isoMicros(v as number);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v;
}

/**
 * The output columns of a batch, each as a function from row to its
 * displayed value: rows are written straight from the columns, without a
 * record object per row.
 */
function displayedColumns(batch: RecordBatch, columns: ReturnType<typeof outputColumns>): ((row: number) => string | number | null)[] {
  const readers = flowValueReaders(batch);
  return columns.map((c) => {
    const read = readers[FLOW_COLUMNS.indexOf(c)]!;
    return (row: number) => display(c.type, read(row));
  });
}

const CHUNK_ROWS = 1024;

/**
 * The lines of `rows` rows, written a chunk of rows at a time: a batch's text
 * as one string (100 MB for 122 880 flows as JSON) kept the collector busy for
 * a third of the time, and a reader of a pipe waited for the whole batch.
 */
async function writeInChunks(sink: TextSink, rows: number, line: (row: number) => string): Promise<void> {
  for (let start = 0; start < rows && !sink.gone; start += CHUNK_ROWS) {
    let text = '';
    for (let row = start, end = Math.min(rows, start + CHUNK_ROWS); row < end; row++) text += line(row);
    await sink.write(text);
  }
}

/** A value as JSON: numbers as JSON.stringify writes them (null when not finite), strings quoted and escaped. */
function jsonValue(v: string | number | null): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return v === null ? 'null' : JSON.stringify(v);
}

class JsonLinesWriter implements FlowWriter {
  #sink: TextSink;
  #columns;
  constructor(options: FlowWriterOptions) {
    this.#sink = new TextSink(options.output);
    this.#columns = outputColumns(options.payload);
  }
  get gone() {
    return this.#sink.gone;
  }
  async write(batch: RecordBatch) {
    // Each line as JSON.stringify would write the record, built from its parts.
    const values = displayedColumns(batch, this.#columns);
    const keys = this.#columns.map((c, i) => `${i ? ',' : '{'}${JSON.stringify(c.name)}:`);
    await writeInChunks(this.#sink, batch.numRows, (row) => {
      let line = '';
      for (let i = 0; i < values.length; i++) line += keys[i] + jsonValue(values[i]!(row));
      return line + '}\n';
    });
  }
  close() {
    return this.#sink.close();
  }
}

class CsvWriter implements FlowWriter {
  #sink: TextSink;
  #columns;
  #header = false;
  constructor(options: FlowWriterOptions) {
    this.#sink = new TextSink(options.output);
    this.#columns = outputColumns(options.payload);
  }
  get gone() {
    return this.#sink.gone;
  }
  async #writeHeader() {
    if (this.#header) return;
    this.#header = true;
    await this.#sink.write(this.#columns.map((c) => c.name).join(',') + '\n');
  }
  async write(batch: RecordBatch) {
    await this.#writeHeader();
    const values = displayedColumns(batch, this.#columns);
    await writeInChunks(this.#sink, batch.numRows, (row) => {
      let line = '';
      for (let i = 0; i < values.length; i++) line += (i ? ',' : '') + csvField(values[i]!(row));
      return line + '\n';
    });
  }
  async close() {
    await this.#writeHeader();
    await this.#sink.close();
  }
}

export function formatFromPath(path: string | undefined): FlowFormat | undefined {
  if (!path) return undefined;
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.jsonl?$/i.test(path)) return 'jsonl';
  return undefined;
}

export async function openFlowWriter(options: FlowWriterOptions): Promise<FlowWriter> {
  switch (options.format) {
    case 'jsonl':
      return new JsonLinesWriter(options);
    case 'csv':
      return new CsvWriter(options);
    case 'parquet': {
      // DuckDB is large: load it only when Parquet is asked for.
      const { ParquetFlowWriter } = await import('./parquet.js');
      return ParquetFlowWriter.open(options.output!, outputColumns(options.payload));
    }
  }
}
