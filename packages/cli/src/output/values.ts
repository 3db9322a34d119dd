/**
 * Query result values for output. DuckDB values become plain cells first:
 * integers stay exact (bigint), DECIMALs keep their digits, timestamps are
 * ISO-8601 UTC (`2025-06-01T12:00:00.000000Z`, nanoseconds where the type
 * has them), BLOBs stay bytes, LIST/STRUCT/MAP become arrays and objects.
 * Then each format writes them:
 *
 * - JSON: exact integers and decimals as JSON numbers (digits as DuckDB has
 *   them, even beyond 2^53), BLOBs base64, NaN and infinities as strings,
 *   values of DuckDB's JSON type embedded as JSON, and every control or
 *   format character inside strings as `\uXXXX`;
 * - text (CSV, table): scalars as text, BLOBs base64 (CSV) or hex (table),
 *   nested values as their JSON.
 *
 * @example
 * const cells = chunk.getRows().map((row) => row.map(toCell));
 * console.log(cellJson(cells[0][0]), cellText(cells[0][1], 'hex'));
 * @module
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { isoSecond } from '@mommynet/core/store';

/** A number written with its exact digits (DECIMAL). */
export class ExactNumber {
  constructor(readonly text: string) {}
}

export type Cell = null | boolean | number | bigint | string | Uint8Array | ExactNumber | Cell[] | { [key: string]: Cell };

const PER_SECOND = { 6: 1_000_000n, 9: 1_000_000_000n } as const;

/** ISO-8601 UTC of a time since the epoch in units of 10^-digits seconds. */
function isoTime(value: bigint, digits: 6 | 9): string {
  const perSecond = PER_SECOND[digits];
  let seconds = value / perSecond;
  let fraction = value % perSecond;
  if (fraction < 0n) (fraction += perSecond), (seconds -= 1n);
  const text = isoSecond(Number(seconds));
  return text === undefined ? String(value) : `${text}.${fraction.toString().padStart(digits, '0')}Z`;
}

export function toCell(v: DuckDBValue): Cell {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return v;
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue)
    return v.isFinite ? isoTime(v.micros, 6) : v.toString();
  if (v instanceof DuckDBTimestampNanosecondsValue) return v.isFinite ? isoTime(v.nanos, 9) : v.toString();
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.isFinite ? isoTime(v.millis * 1000n, 6) : v.toString();
  if (v instanceof DuckDBTimestampSecondsValue) return v.isFinite ? isoTime(v.seconds * 1_000_000n, 6) : v.toString();
  if (v instanceof DuckDBBlobValue) return v.bytes;
  if (v instanceof DuckDBDecimalValue) return new ExactNumber(v.toString());
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toCell);
  if (v instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, toCell(x)]));
  if (v instanceof DuckDBMapValue) return Object.fromEntries(v.entries.map((e) => [cellText(toCell(e.key), 'base64'), toCell(e.value)]));
  if (v instanceof DuckDBUnionValue) return toCell(v.value);
  // DATE, TIME, INTERVAL, UUID, BIT, TIME WITH TIME ZONE, ...: DuckDB's own text.
  return v.toString();
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Characters JSON.stringify leaves raw that a terminal may act on. */
const JSON_UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const jsonEscape = (ch: string) =>
  Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Whether `s` is printable ASCII, which JSON.stringify's own escaping covers (most values: addresses, states, IDs). */
function printableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function jsonString(s: string): string {
  const json = JSON.stringify(s);
  return printableAscii(s) ? json : json.replace(JSON_UNSAFE, jsonEscape);
}

/** A value of DuckDB's JSON type, embedded as it is (DuckDB checked it), with the same escaping. */
export function jsonRaw(text: string): string {
  return text.replace(JSON_UNSAFE, jsonEscape);
}

export function cellJson(c: Cell): string {
  if (c === null) return 'null';
  switch (typeof c) {
    case 'boolean':
      return String(c);
    case 'bigint':
      return c.toString();
    case 'number':
      return Number.isFinite(c) ? String(c) : jsonString(String(c));
    case 'string':
      return jsonString(c);
  }
  if (c instanceof Uint8Array) return jsonString(base64(c));
  if (c instanceof ExactNumber) return c.text;
  if (Array.isArray(c)) return `[${c.map(cellJson).join(',')}]`;
  return `{${Object.entries(c).map(([k, v]) => `${jsonString(k)}:${cellJson(v)}`).join(',')}}`;
}

/** A cell as one text field; BLOBs as base64 or hex. */
export function cellText(c: Cell, bytes: 'base64' | 'hex'): string {
  if (c === null) return '';
  if (typeof c === 'string') return c;
  if (typeof c !== 'object') return String(c);
  if (c instanceof Uint8Array) return bytes === 'hex' ? hex(c) : base64(c);
  if (c instanceof ExactNumber) return c.text;
  return cellJson(c);
}

/** Column names made unique (`n`, `n_1`, ...) for formats that key by name. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let i = 1; seen.has(unique); i += 1) unique = `${name}_${i}`;
    seen.add(unique);
    return unique;
  });
}
