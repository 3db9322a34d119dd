/**
 * Query results as an aligned table for a terminal: a header, a rule, one
 * line per row, numbers right-aligned, and a row count. Every cell and
 * column name goes through escapeText (control characters and escape
 * sequences as `\xNN`, a backslash as `\\`), BLOBs are shown as hex,
 * LIST/STRUCT/MAP values as JSON (escaped the JSON way), NULL as `NULL`, and cells
 * longer than `maxWidth` characters are cut with `…`. At most `maxRows` rows
 * are kept; the others are only counted.
 *
 * @example
 * const table = new TableResultWriter({ format: 'table', columns, maxWidth: 40, maxRows: 1000 });
 * await table.write(chunk);
 * await table.close();
 * @module
 */
import { type DuckDBDataChunk, DuckDBTypeId, type DuckDBValue } from '@duckdb/node-api';

import { escapeText } from './escape.js';
import type { ResultWriter, ResultWriterOptions } from './results.js';
import { TextSink } from './sink.js';
import { cellJson, cellText, toCell } from './values.js';

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.BIGNUM,
]);

/** One escape sequence, or one character, of escaped text. */
const UNIT = /\\x[0-9a-f]{2}|\\u\{[0-9a-f]+\}|\\\\|[\s\S]/gu;

/** Escaped text cut to `max` characters, never inside an escape sequence. */
export function fit(text: string, max: number): string {
  if (max <= 0 || [...text].length <= max) return text;
  let out = '';
  let length = 0;
  for (const [unit] of text.matchAll(UNIT)) {
    const width = [...unit].length;
    if (length + width > max - 1) break;
    out += unit;
    length += width;
  }
  return `${out}…`;
}

const width = (s: string) => [...s].length;

/** A value as table text: escaped scalars, BLOBs in hex, nested values as JSON (already escaped). */
function tableText(v: DuckDBValue): string {
  if (v === null) return 'NULL';
  const cell = toCell(v);
  if (Array.isArray(cell) || (typeof cell === 'object' && cell !== null && cell.constructor === Object)) return cellJson(cell);
  return escapeText(cellText(cell, 'hex'));
}

export class TableResultWriter implements ResultWriter {
  readonly #sink: TextSink;
  readonly #names: string[];
  readonly #numeric: boolean[];
  readonly #rows: string[][] = [];
  readonly #options: ResultWriterOptions;
  #total = 0;

  constructor(options: ResultWriterOptions) {
    this.#options = options;
    this.#sink = new TextSink(options.output);
    this.#names = options.columns.names.map((n) => fit(escapeText(n), options.maxWidth));
    this.#numeric = options.columns.types.map((t) => NUMERIC.has(t.typeId));
  }

  get gone() {
    return this.#sink.gone;
  }

  async write(chunk: DuckDBDataChunk): Promise<void> {
    const { maxRows, maxWidth } = this.#options;
    this.#total += chunk.rowCount;
    const room = maxRows > 0 ? maxRows - this.#rows.length : chunk.rowCount;
    if (room <= 0) return;
    for (const row of chunk.getRows().slice(0, room)) this.#rows.push(row.map((v) => fit(tableText(v), maxWidth)));
  }

  async abort(): Promise<void> {
    await this.#sink.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    const widths = this.#names.map(width);
    for (const row of this.#rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, width(cell))));
    const pad = (s: string, i: number) => {
      const fill = ' '.repeat(widths[i]! - width(s));
      return this.#numeric[i] ? fill + s : s + fill;
    };
    const line = (cells: string[]) => cells.map(pad).join('  ').trimEnd() + '\n';
    let text = line(this.#names) + line(widths.map((w) => '-'.repeat(w)));
    for (const row of this.#rows) text += line(row);
    const shown = this.#rows.length;
    text +=
      shown < this.#total
        ? `(${shown} of ${this.#total} rows shown: raise --max-rows, or use -f csv)\n`
        : `(${this.#total} ${this.#total === 1 ? 'row' : 'rows'})\n`;
    await this.#sink.write(text);
    await this.#sink.close();
  }
}
