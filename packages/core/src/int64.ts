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
  // One loop per signedness: a loop reading its high halves from either an
  // Int32Array or a Uint32Array is compiled for the first and deoptimized
  // by the second.
  if (values instanceof BigInt64Array) joinSigned(lo, new Int32Array(values.buffer, values.byteOffset, length * 2), length, into);
  else joinUnsigned(lo, length, into);
  return into;
}

function joinSigned(lo: Uint32Array, hi: Int32Array, length: number, into: Float64Array): void {
  for (let r = 0; r < length; ++r) into[r] = lo[2 * r]! + hi[2 * r + 1]! * 4294967296;
}

function joinUnsigned(halves: Uint32Array, length: number, into: Float64Array): void {
  for (let r = 0; r < length; ++r) into[r] = halves[2 * r]! + halves[2 * r + 1]! * 4294967296;
}
