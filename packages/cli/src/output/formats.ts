/**
 * Flow output formats. JSON lines and CSV are written as batches arrive;
 * Parquet goes through DuckDB. Timestamps are ISO-8601 UTC with
 * microseconds; payload prefixes (attacker-controlled bytes) are written
 * base64-encoded, and only when asked for.
 * @module
 */
import { FLOW_COLUMNS, flowRecords, type FlowValue, isoMicros } from '@mommynet/core/flows';
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
    let text = '';
    for (const r of flowRecords(batch)) {
      const out: Record<string, unknown> = {};
      for (const c of this.#columns) out[c.name] = display(c.type, r[c.name]!);
      text += JSON.stringify(out) + '\n';
    }
    await this.#sink.write(text);
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
    let text = '';
    for (const r of flowRecords(batch))
      text += this.#columns.map((c) => csvField(display(c.type, r[c.name]!))).join(',') + '\n';
    await this.#sink.write(text);
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
