/**
 * Quantiles with NumPy's default linear interpolation, found by selection
 * (quickselect: Floyd-Rivest) rather than by sorting every value: sorting
 * thirty feature columns of a million rows was half the time of training a
 * forest.
 * @module
 */
import quickselect from 'quickselect';

/**
 * Quantiles `ps` (ascending, each in [0, 1]) of `values`, which are
 * reordered and must hold no NaN. Each is the order statistic at
 * (n − 1)·p, interpolated towards the next one.
 */
export function quantiles(values: Float32Array | Float64Array, ps: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) throw new RangeError('quantiles: no values');
  const items = values as unknown as number[];
  // After selecting index k, no value left of k is above any value right of it:
  // the next (larger) quantile is selected among the values from k on.
  let left = 0;
  return ps.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`quantiles: ${p} is not in [0, 1]`);
    const h = (n - 1) * p;
    const i = Math.floor(h);
    if (i < left) throw new RangeError('quantiles: ps must be ascending');
    quickselect(items, i, left, n - 1);
    left = i;
    const at = values[i]!;
    if (h === i) return at;
    let next = Infinity;
    for (let j = i + 1; j < n; j++) if (values[j]! < next) next = values[j]!;
    return at + (h - i) * (next - at);
  });
}
