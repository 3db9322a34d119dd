/**
 * Typed arrays kept from one batch to the next: code that makes an array
 * per column per batch (tens of thousands of rows) keeps one per slot and
 * uses a prefix of it, so batches stop costing memory to map, zero and
 * collect.
 * @module
 */

type Prefixable = Float64Array | Int32Array | Uint8Array;

/** The first `length` elements of `arrays[slot]`, which is replaced by a new (zeroed) array when shorter. */
export function reusedPrefix<T extends Prefixable>(arrays: T[], slot: number, length: number, Ctor: new (length: number) => T): T {
  let a = arrays[slot];
  if (a === undefined || a.length < length) arrays[slot] = a = new Ctor(length);
  return a.subarray(0, length) as T;
}
