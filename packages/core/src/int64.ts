/**
 * 64-bit integer columns as doubles. Reading a BigInt64Array or
 * BigUint64Array makes a BigInt per value (an allocation, and slow
 * arithmetic); assembling each value from its two 32-bit halves gives the
 * same number, exactly, below 2^53 (counters and microsecond times stay far
 * below it) at the cost of one pass.
 * @module
 */

/** The first `length` values of `values` as doubles, in `into` when given (at least `length` long). */
export function int64AsDoubles(values: BigInt64Array | BigUint64Array, length: number, into: Float64Array = new Float64Array(length)): Float64Array {
  const lo = new Uint32Array(values.buffer, values.byteOffset, length * 2);
  const hi = values instanceof BigInt64Array ? new Int32Array(values.buffer, values.byteOffset, length * 2) : lo;
  for (let r = 0; r < length; ++r) into[r] = lo[2 * r]! + hi[2 * r + 1]! * 4294967296;
  return into;
}
