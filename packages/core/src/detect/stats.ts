/** Small robust statistics for detectors. */

/** The median of `xs` (not modified); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const byteCounts = new Uint32Array(256);
const byteOrder = new Uint8Array(256);

/**
 * Shannon entropy of `bytes`, bits per byte (0..8). The terms are summed in
 * the order each byte value first occurs (any fixed order would do; this
 * one keeps results bit for bit as they were with a Map), counting in a
 * reused table: it runs for every DNS question and ICMP payload.
 */
export function entropyBits(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  let distinct = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (byteCounts[b]!++ === 0) byteOrder[distinct++] = b;
  }
  let h = 0;
  for (let i = 0; i < distinct; i++) {
    const b = byteOrder[i]!;
    const p = byteCounts[b]! / bytes.length;
    h -= p * Math.log2(p);
    byteCounts[b] = 0;
  }
  return h;
}

/** Quickselect passes before kthSmallest gives up on its pivots and sorts: values built against them cannot make it quadratic. */
const MAX_SELECT_PASSES = 64;

/**
 * The k-th smallest of `values` (0-based), reordering them in place:
 * quickselect with a median-of-three pivot, linear on average (a full sort
 * of the 100 000 times a state bound judges took several milliseconds).
 */
export function kthSmallest(values: Float64Array, k: number): number {
  if (k < 0 || k >= values.length) throw new RangeError(`no element ${k} among ${values.length}`);
  let lo = 0;
  let hi = values.length - 1;
  for (let pass = 0; lo < hi; pass++) {
    if (pass === MAX_SELECT_PASSES) return values.subarray(lo, hi + 1).sort()[k - lo]!;
    const a = values[lo]!;
    const b = values[(lo + hi) >>> 1]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    // Now values[lo..j] <= pivot <= values[i..hi], and any between equal the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}
