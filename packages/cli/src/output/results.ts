/**
 * Writers for query results (any columns, unlike the flow writers in
 * formats.ts): CSV with a header, a JSON array, JSON lines, an aligned
 * table for people (table.ts) and Parquet (result-parquet.ts). Rows come as
 * DuckDB data chunks and are written as they arrive, except the table, which
 * needs every shown row to size its columns.
 *
 * @example
 * const writer = await openResultWriter({ format: 'jsonl', columns, maxWidth: 40, maxRows: 1000 });
 * for (let c = await result.fetchChunk(); c && c.rowCount; c = await result.fetchChunk()) await writer.write(c);
 * await writer.close();
 * @module
 */
import type { DuckDBDataChunk, DuckDBType, DuckDBValue } from '@duckdb/node-api';

import { escapeText } from './escape.js';
import { csvField } from './csv.js';
import { TextSink } from './sink.js';
import { cellJson, cellText, jsonRaw, jsonString, toCell, uniqueNames } from './values.js';

export type ResultFormat = 'table' | 'csv' | 'json' | 'jsonl' | 'parquet';
export const RESULT_FORMATS: readonly ResultFormat[] = ['table', 'csv', 'json', 'jsonl', 'parquet'];

export interface ResultColumns {
  readonly names: readonly string[];
  readonly types: readonly DuckDBType[];
}

export interface ResultWriter {
  write(chunk: DuckDBDataChunk): Promise<void>;
  /** Finishes the output. */
  close(): Promise<void>;
  /** Stops after an error: text already written stays, nothing more is added. */
  abort(): Promise<void>;
  /** True when the reader of standard output went away. */
  readonly gone: boolean;
}

export interface ResultWriterOptions {
  format: ResultFormat;
  /** A file; standard output when absent or '-'. */
  output?: string;
  columns: ResultColumns;
  /** Table: longest cell shown, in characters (0: no limit). */
  maxWidth: number;
  /** Table: most rows shown (0: no limit); the rest are counted. */
  maxRows: number;
}

export function resultFormatFromPath(path: string | undefined): ResultFormat | undefined {
  if (!path) return undefined;
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.json$/i.test(path)) return 'json';
  return undefined;
}

abstract class TextResultWriter implements ResultWriter {
  protected readonly sink: TextSink;
  protected readonly names: string[];
  constructor(options: ResultWriterOptions) {
    this.sink = new TextSink(options.output);
    this.names = uniqueNames(options.columns.names);
  }
  get gone() {
    return this.sink.gone;
  }
  abstract write(chunk: DuckDBDataChunk): Promise<void>;
  async close() {
    await this.sink.close();
  }
  async abort() {
    await this.sink.close().catch(() => undefined);
  }
}

/** RFC 4180. Raw values, except on a terminal, where control characters are escaped. */
class CsvResultWriter extends TextResultWriter {
  readonly #field: (s: string) => string;
  #header = false;
  constructor(options: ResultWriterOptions) {
    super(options);
    const terminal = (!options.output || options.output === '-') && process.stdout.isTTY;
    this.#field = terminal ? (s) => csvField(escapeText(s)) : (s) => csvField(s);
  }
  #headerLine(): string {
    if (this.#header) return '';
    this.#header = true;
    return this.names.map(this.#field).join(',') + '\n';
  }
  async write(chunk: DuckDBDataChunk) {
    let text = this.#headerLine();
    for (const row of chunk.getRows()) text += row.map((v) => (v === null ? '' : this.#field(cellText(toCell(v), 'base64')))).join(',') + '\n';
    await this.sink.write(text);
  }
  override async close() {
    await this.sink.write(this.#headerLine());
    await super.close();
  }
}

class JsonLinesResultWriter extends TextResultWriter {
  readonly #keys = this.names.map(jsonString);
  readonly #json: boolean[];
  constructor(options: ResultWriterOptions) {
    super(options);
    this.#json = options.columns.types.map((t) => t.alias === 'JSON');
  }
  protected line(row: readonly DuckDBValue[]): string {
    const value = (v: DuckDBValue, i: number) => (this.#json[i] && typeof v === 'string' ? jsonRaw(v) : cellJson(toCell(v)));
    return `{${row.map((v, i) => `${this.#keys[i]}:${value(v, i)}`).join(',')}}`;
  }
  async write(chunk: DuckDBDataChunk) {
    let text = '';
    for (const row of chunk.getRows()) text += this.line(row) + '\n';
    await this.sink.write(text);
  }
}

/** One JSON array, one object per line, so it streams and still parses as a whole. */
class JsonArrayResultWriter extends JsonLinesResultWriter {
  #rows = 0;
  override async write(chunk: DuckDBDataChunk) {
    let text = '';
    for (const row of chunk.getRows()) text += (this.#rows++ === 0 ? '[\n' : ',\n') + this.line(row);
    await this.sink.write(text);
  }
  override async close() {
    await this.sink.write(this.#rows === 0 ? '[]\n' : '\n]\n');
    await super.close();
  }
}

export async function openResultWriter(options: ResultWriterOptions): Promise<ResultWriter> {
  switch (options.format) {
    case 'csv':
      return new CsvResultWriter(options);
    case 'jsonl':
      return new JsonLinesResultWriter(options);
    case 'json':
      return new JsonArrayResultWriter(options);
    case 'table': {
      const { TableResultWriter } = await import('./table.js');
      return new TableResultWriter(options);
    }
    case 'parquet': {
      const { ParquetResultWriter } = await import('./result-parquet.js');
      return ParquetResultWriter.open(options);
    }
  }
}

/**
 * Streams a result set to a writer. The first chunk is fetched before the
 * output exists, so a query that fails at once leaves no file behind.
 * `fetch` returns the next non-empty chunk or null, mapping errors.
 */
export async function writeResult(
  result: { columnNames(): string[]; columnTypes(): DuckDBType[] },
  fetch: () => Promise<DuckDBDataChunk | null>,
  options: Omit<ResultWriterOptions, 'columns'>,
): Promise<void> {
  let chunk = await fetch();
  const writer = await openResultWriter({ ...options, columns: { names: result.columnNames(), types: result.columnTypes() } });
  try {
    for (; chunk && !writer.gone; chunk = await fetch()) await writer.write(chunk);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
}
