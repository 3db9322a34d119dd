/**
 * Measures of how well scores separate labelled anomalies from the rest.
 *
 * @example
 * rocAuc([0.9, 0.2, 0.7], [1, 0, 0]); // 1: every anomaly scored above every normal row
 * @module
 */

/** Rank of each value among all (1 = smallest); tied values share the mean of their ranks. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]!] === values[order[i]!]) ++j;
    const rank = (i + 1 + j) / 2; // mean of ranks i + 1 … j
    for (let k = i; k < j; ++k) ranks[order[k]!] = rank;
    i = j;
  }
  return ranks;
}

/**
 * Area under the ROC curve of `scores` (higher = more anomalous) against
 * `labels` (truthy = anomaly): the probability that a random anomaly scores
 * above a random normal row, ties counting one half. Computed from ranks
 * (Mann–Whitney U), so it is exact with ties and O(n log n).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  if (scores.length !== labels.length) throw new RangeError(`rocAuc: ${scores.length} scores but ${labels.length} labels`);
  for (let i = 0; i < scores.length; ++i) if (Number.isNaN(scores[i])) throw new RangeError(`rocAuc: score ${i} is NaN`);
  const ranks = averageRanks(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; ++i) {
    if (labels[i]) {
      ++positives;
      rankSum += ranks[i]!;
    }
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) throw new RangeError(`rocAuc: labels need both classes (anomalies: ${positives}, normal: ${negatives})`);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
