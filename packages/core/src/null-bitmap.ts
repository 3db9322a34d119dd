/**
 * Reads an Arrow column's nulls for the code that walks its buffers
 * directly. Imports only Arrow's types: detection workers load this module,
 * and loading apache-arrow itself costs a thread ~0.1 s of CPU.
 * @module
 */
import type { Data } from 'apache-arrow';

/** The column's validity bitmap when it has nulls (arrow-js indexes it from `data.offset`), else undefined. */
export function nullBitmap(data: Data): Uint8Array | undefined {
  return data.nullCount !== 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : undefined;
}

/** Whether the value at `bit` of a validity bitmap is null (Arrow's bits are LSB first, 1 = valid). */
export function isNullBit(bitmap: Uint8Array, bit: number): boolean {
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0;
}
