/**
 * 64-bit columns read as doubles (int64.ts): exact below 2^53, for signed
 * columns (times, which may precede 1970) and unsigned ones (counters),
 * one after the other as a FlowView reads them.
 */
import { describe, expect, it } from 'vitest';

import { int64AsDoubles } from '../packages/core/src/int64.js';

const SIGNED = [0n, 1n, -1n, 4294967295n, 4294967296n, -4294967297n, 1_700_000_000_123_456n, -(2n ** 53n) + 1n, 2n ** 53n - 1n];
const UNSIGNED = [0n, 1n, 4294967295n, 4294967296n, 2n ** 32n * 3n + 7n, 1_700_000_000_123_456n, 2n ** 53n - 1n];

describe('int64AsDoubles', () => {
  it('gives every signed and unsigned value below 2^53 exactly, whichever comes first', () => {
    for (let round = 0; round < 2; round++) {
      expect([...int64AsDoubles(BigInt64Array.from(SIGNED), SIGNED.length)]).toEqual(SIGNED.map(Number));
      expect([...int64AsDoubles(BigUint64Array.from(UNSIGNED), UNSIGNED.length)]).toEqual(UNSIGNED.map(Number));
    }
  });

  it('reads only the first `length` values, from the view’s offset, into `into` when given', () => {
    const buffer = BigInt64Array.from([99n, -5n, 2n ** 40n, 99n]);
    const view = new BigInt64Array(buffer.buffer, 8, 2);
    const into = new Float64Array(3).fill(7);
    expect(int64AsDoubles(view, 2, into)).toBe(into);
    expect([...into]).toEqual([-5, 2 ** 40, 7]);
  });
});
