/**
 * Short strings that recur across flows (addresses, conn_state), each kept
 * once however many rows hold it, and found by a small-integer key without
 * decoding the bytes: decoding costs a call into the engine and a new
 * string per row (a third of detection's string work and garbage).
 * - A dotted IPv4 address in canonical form (four decimal octets of at
 *   most 255, no leading zeros) is keyed by its 32-bit value: one string
 *   per address. Anything else falls through.
 * - An ASCII string of up to 8 bytes is keyed by its length, its first byte
 *   and its last two, and compared with the string found under that key; one
 *   that differs is decoded as it is.
 * The tables are cleared when full, so a flood of addresses costs decoding,
 * not memory.
 * @module
 */
import { ipv4Key } from './address-key.js';

const MAX_INTERNED = 1 << 18;
const ipv4Strings = new Map<number, string>();
const asciiStrings = new Map<number, string>();

function remember(table: Map<number, string>, key: number, value: string): string {
  if (ipv4Strings.size + asciiStrings.size >= MAX_INTERNED) {
    ipv4Strings.clear();
    asciiStrings.clear();
  }
  table.set(key, value);
  return value;
}

function sameBytes(s: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; ++i) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** The string of bytes [start, end), one character a byte: interned when short, else decoded. */
export function shortString(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length >= 7 && length <= 15) {
    const key = ipv4Key(bytes, start, end);
    if (key !== undefined) return ipv4Strings.get(key) ?? remember(ipv4Strings, key, bytes.toString('latin1', start, end));
  }
  if (length > 0 && length <= 8) {
    const key = length | (bytes[start]! << 4) | (bytes[end - (length > 1 ? 2 : 1)]! << 12) | (bytes[end - 1]! << 20);
    const known = asciiStrings.get(key);
    if (known !== undefined && known.length === length && sameBytes(known, bytes, start)) return known;
    const decoded = bytes.toString('latin1', start, end);
    return known === undefined ? remember(asciiStrings, key, decoded) : decoded;
  }
  return bytes.toString('latin1', start, end);
}
