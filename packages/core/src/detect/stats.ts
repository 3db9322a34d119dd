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
