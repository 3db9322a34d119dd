/**
 * Isolation Forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008):
 * anomalies are few and different, so random splits isolate them in fewer
 * steps than normal points.
 *
 * Training: each of `trees` trees is grown on `sampleSize` (ψ) rows drawn
 * without replacement, down to a height limit of ceil(log2 ψ). A node picks
 * a feature at random and a split value uniformly between that feature's
 * minimum and maximum in the node's sample; rows below the value go left.
 * A feature that is constant in the node's sample cannot split it, so
 * another is drawn (as scikit-learn does); a node where every feature is
 * constant, or with one row, or at the height limit, is an external node
 * and keeps its size.
 *
 * Scoring: the path length of x in a tree is h(x) = depth + c(size) of the
 * external node it reaches, where c(n) is the average path length of an
 * unsuccessful search in a binary search tree of n keys (`averagePathLength`);
 * the score is s(x) = 2^(−E[h(x)] / c(ψ)), near 1 for anomalies and below
 * 0.5 for ordinary rows.
 *
 * Training is reproducible: the same seed and matrix give the same forest.
 * Split values are float32, like the features, so the ONNX export takes
 * exactly the same paths.
 *
 * @example
 * const forest = IsolationForest.train(train, { seed: 7, featureNames: FLOW_FEATURES.map((f) => f.name) });
 * const scores = forest.score(flowsMatrix);
 * const why = forest.explain(flowsMatrix, row); // [{ feature: 'rst_ratio', index: 27, share: 0.41, bits: 2.9 }, ...]
 * @module
 */
import { assertMatrix, type FeatureMatrix } from './features.js';
import { seededRandom } from '../random.js';

const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n) = 2H(n − 1) − 2(n − 1)/n with H(i) ≈ ln(i) + γ; c(n) = 0 for n ≤ 1,
 * and c(2) = 1, the exact value (H(1) = 1), where the approximation is far
 * off. scikit-learn uses the same three cases.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees t (default 100). */
  trees?: number;
  /** Subsample size ψ per tree (default 256); the number of rows when there are fewer. */
  sampleSize?: number;
  /** PRNG seed, an integer 0 … 2^32 − 1 (default 1). */
  seed?: number;
  /** A name per feature column, recorded in the model (default f0, f1, …). */
  featureNames?: readonly string[];
}

export const DEFAULT_FOREST = { trees: 100, sampleSize: 256, seed: 1 } as const;

/**
 * All trees' nodes in flat arrays, each tree in preorder: a node's left
 * child is the next node, its right child is at `right`. External nodes have
 * `feature` −1 and their path length depth + c(size) in `pathLength`.
 */
export interface ForestNodes {
  /** Index of each tree's root. */
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  /** Internal nodes: rows with value < threshold go left. */
  readonly threshold: Float32Array;
  readonly right: Int32Array;
  /** Training rows (of the tree's subsample) that reached the node. */
  readonly size: Int32Array;
  readonly pathLength: Float64Array;
}

export interface IsolationForestJson {
  kind: 'isolation-forest';
  /** ψ actually used (smaller than asked when training had fewer rows). */
  sampleSize: number;
  seed: number;
  features: string[];
  nodes: { roots: number[]; feature: number[]; threshold: number[]; right: number[]; size: number[]; pathLength: number[] };
}

/** A feature's part in setting a row apart (see `IsolationForest.explain`). */
export interface FeatureContribution {
  feature: string;
  index: number;
  /** Mean bits of isolation per tree from splits on this feature. */
  bits: number;
  /** Its fraction of all features' bits. */
  share: number;
}

function integerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`IsolationForest: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Grows the trees of one forest into preallocated flat arrays. */
class ForestBuilder {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly right: Int32Array;
  readonly size: Int32Array;
  readonly pathLength: Float64Array;
  count = 0;
  readonly #featureOrder: Int32Array;

  constructor(
    private readonly m: FeatureMatrix,
    private readonly sample: Int32Array,
    private readonly heightLimit: number,
    private readonly random: () => number,
    maxNodes: number,
  ) {
    this.feature = new Int32Array(maxNodes);
    this.threshold = new Float32Array(maxNodes);
    this.right = new Int32Array(maxNodes);
    this.size = new Int32Array(maxNodes);
    this.pathLength = new Float64Array(maxNodes);
    this.#featureOrder = Int32Array.from({ length: m.cols }, (_, i) => i);
  }

  /** Grows the subtree of sample[lo, hi) at `depth`; returns its root. */
  grow(lo: number, hi: number, depth: number): number {
    const node = this.count++;
    const n = hi - lo;
    this.size[node] = n;
    const split = n > 1 && depth < this.heightLimit ? this.#chooseSplit(lo, hi) : undefined;
    if (!split) {
      this.feature[node] = -1;
      this.pathLength[node] = depth + averagePathLength(n);
      return node;
    }
    const [feature, threshold] = split;
    this.feature[node] = feature;
    this.threshold[node] = threshold;
    const mid = this.#partition(lo, hi, feature, threshold);
    this.grow(lo, mid, depth + 1);
    this.right[node] = this.grow(mid, hi, depth + 1);
    return node;
  }

  /** A random feature that varies in sample[lo, hi) and a float32 split value in (min, max]; undefined when none varies. */
  #chooseSplit(lo: number, hi: number): [number, number] | undefined {
    const { data, cols } = this.m;
    const order = this.#featureOrder;
    // Draw features without replacement (a partial Fisher–Yates shuffle) until one varies.
    for (let k = 0; k < cols; ++k) {
      const j = k + Math.floor(this.random() * (cols - k));
      const feature = order[j]!;
      order[j] = order[k]!;
      order[k] = feature;
      let min = Infinity;
      let max = -Infinity;
      for (let i = lo; i < hi; ++i) {
        const v = data[this.sample[i]! * cols + feature]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        // Rounding to float32 can land on min, which would send every row right.
        const t = Math.fround(min + this.random() * (max - min));
        return [feature, t > min ? t : max];
      }
    }
    return undefined;
  }

  /** Moves rows with value < threshold to the front of sample[lo, hi); returns where the rest start. */
  #partition(lo: number, hi: number, feature: number, threshold: number): number {
    const { data, cols } = this.m;
    const s = this.sample;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if (data[s[i]! * cols + feature]! < threshold) ++i;
      else {
        const t = s[i]!;
        s[i] = s[j]!;
        s[j--] = t;
      }
    }
    return i;
  }
}

export class IsolationForest {
  /** c(ψ), the mean path length that normalises scores. */
  readonly normaliser: number;

  private constructor(
    readonly nodes: ForestNodes,
    readonly sampleSize: number,
    readonly seed: number,
    readonly featureNames: readonly string[],
  ) {
    this.normaliser = averagePathLength(sampleSize);
  }

  /** Trains on the rows of `m` (at least 2, no NaN). */
  static train(m: FeatureMatrix, options: IsolationForestOptions = {}): IsolationForest {
    assertMatrix(m, m.cols, 'IsolationForest.train');
    const trees = integerOption('trees', options.trees ?? DEFAULT_FOREST.trees, 1, 100_000);
    const asked = integerOption('sampleSize', options.sampleSize ?? DEFAULT_FOREST.sampleSize, 2, 1 << 24);
    const seed = integerOption('seed', options.seed ?? DEFAULT_FOREST.seed, 0, 2 ** 32 - 1);
    if (m.cols < 1) throw new RangeError('IsolationForest.train: the matrix has no feature columns (cols)');
    if (m.rows < 2) throw new RangeError(`IsolationForest.train: at least 2 rows are needed (rows), got ${m.rows}`);
    const featureNames = options.featureNames ?? Array.from({ length: m.cols }, (_, i) => `f${i}`);
    if (featureNames.length !== m.cols) {
      throw new RangeError(`IsolationForest.train: ${featureNames.length} featureNames for ${m.cols} feature columns (cols)`);
    }
    const bad = m.data.findIndex(Number.isNaN);
    if (bad >= 0) throw new RangeError(`IsolationForest.train: row ${Math.floor(bad / m.cols)}, feature ${featureNames[bad % m.cols]} is NaN`);

    const psi = Math.min(asked, m.rows);
    const random = seededRandom(seed);
    const rows = Int32Array.from({ length: m.rows }, (_, i) => i);
    const sample = new Int32Array(psi);
    const builder = new ForestBuilder(m, sample, Math.ceil(Math.log2(psi)), random, trees * (2 * psi - 1));
    const roots = new Int32Array(trees);
    for (let t = 0; t < trees; ++t) {
      // The first ψ places of a partial Fisher–Yates shuffle: ψ distinct rows, uniformly.
      for (let k = 0; k < psi; ++k) {
        const j = k + Math.floor(random() * (m.rows - k));
        const row = rows[j]!;
        rows[j] = rows[k]!;
        rows[k] = row;
        sample[k] = row;
      }
      roots[t] = builder.grow(0, psi, 0);
    }
    const n = builder.count;
    const nodes: ForestNodes = {
      roots,
      feature: builder.feature.slice(0, n),
      threshold: builder.threshold.slice(0, n),
      right: builder.right.slice(0, n),
      size: builder.size.slice(0, n),
      pathLength: builder.pathLength.slice(0, n),
    };
    return new IsolationForest(nodes, psi, seed, [...featureNames]);
  }

  static fromJSON(json: IsolationForestJson): IsolationForest {
    if (json?.kind !== 'isolation-forest') throw new TypeError(`forest JSON: kind is ${String(json?.kind)}, expected isolation-forest`);
    const { nodes: n, features } = json;
    integerOption('sampleSize', json.sampleSize, 2, 1 << 24);
    integerOption('seed', json.seed, 0, 2 ** 32 - 1);
    const count = n.feature.length;
    for (const key of ['threshold', 'right', 'size', 'pathLength'] as const) {
      if (n[key].length !== count) throw new TypeError(`forest JSON: nodes.${key} has ${n[key].length} entries, nodes.feature ${count}`);
    }
    const nodes: ForestNodes = {
      roots: Int32Array.from(n.roots),
      feature: Int32Array.from(n.feature),
      threshold: Float32Array.from(n.threshold),
      right: Int32Array.from(n.right),
      size: Int32Array.from(n.size),
      pathLength: Float64Array.from(n.pathLength),
    };
    // Every walk must end: children lie after their parent and inside the arrays.
    for (let i = 0; i < count; ++i) {
      const f = nodes.feature[i]!;
      if (f >= features.length || f < -1) throw new TypeError(`forest JSON: node ${i} splits on feature ${f} of ${features.length}`);
      if (f >= 0 && !(i + 1 < count && nodes.right[i]! > i + 1 && nodes.right[i]! < count)) {
        throw new TypeError(`forest JSON: node ${i} has children out of order or out of range`);
      }
    }
    if (!nodes.roots.every((r) => r >= 0 && r < count)) throw new TypeError('forest JSON: a root is out of range');
    return new IsolationForest(nodes, json.sampleSize, json.seed, [...features]);
  }

  get trees(): number {
    return this.nodes.roots.length;
  }

  get features(): number {
    return this.featureNames.length;
  }

  /** E[h(x)] for every row: the mean path length over the trees. */
  meanPathLengths(m: FeatureMatrix): Float64Array {
    assertMatrix(m, this.features, 'IsolationForest');
    const { roots, feature, threshold, right, pathLength } = this.nodes;
    const { data, rows, cols } = m;
    const out = new Float64Array(rows);
    for (let r = 0, base = 0; r < rows; ++r, base += cols) {
      let sum = 0;
      for (let t = 0; t < roots.length; ++t) {
        let i = roots[t]!;
        let f: number;
        while ((f = feature[i]!) >= 0) i = data[base + f]! < threshold[i]! ? i + 1 : right[i]!;
        sum += pathLength[i]!;
      }
      out[r] = sum / roots.length;
    }
    return out;
  }

  /** The anomaly score s(x) = 2^(−E[h(x)] / c(ψ)) of every row, in (0, 1]. */
  score(m: FeatureMatrix): Float32Array {
    const lengths = this.meanPathLengths(m);
    const out = new Float32Array(lengths.length);
    for (let r = 0; r < lengths.length; ++r) out[r] = 2 ** (-lengths[r]! / this.normaliser);
    return out;
  }

  /**
   * The features that set row `row` of `m` apart, most first (at most `top`).
   *
   * Rule: along the row's path in each tree, a split on feature f that
   * takes the row from a node of n training rows to a child of n' rows
   * credits f with log2(n / n') bits. The bits of a path add up to
   * log2(ψ / size of its external node), so every tree has the same say;
   * within a tree, a split that cuts the row off from most of its node at
   * once (early isolation) earns many bits, while the splits an ordinary row
   * takes, each halving its node or so, earn about one bit each, spread
   * over whichever features were drawn. Bits are averaged over the trees.
   */
  explain(m: FeatureMatrix, row: number, top = 5): FeatureContribution[] {
    assertMatrix(m, this.features, 'IsolationForest.explain');
    if (!Number.isInteger(row) || row < 0 || row >= m.rows) throw new RangeError(`IsolationForest.explain: row ${row} is not a row of the matrix (0 … ${m.rows - 1})`);
    const { roots, feature, threshold, right, size } = this.nodes;
    const base = row * m.cols;
    const bits = new Float64Array(this.features);
    for (let t = 0; t < roots.length; ++t) {
      let i = roots[t]!;
      let f: number;
      while ((f = feature[i]!) >= 0) {
        const child = m.data[base + f]! < threshold[i]! ? i + 1 : right[i]!;
        bits[f] += Math.log2(size[i]! / size[child]!);
        i = child;
      }
    }
    const total = bits.reduce((a, b) => a + b, 0);
    return Array.from(bits, (b, index) => ({ feature: this.featureNames[index]!, index, bits: b / roots.length, share: total > 0 ? b / total : 0 }))
      .filter((c) => c.bits > 0)
      .sort((a, b) => b.bits - a.bits || a.index - b.index)
      .slice(0, top);
  }

  toJSON(): IsolationForestJson {
    const n = this.nodes;
    return {
      kind: 'isolation-forest',
      sampleSize: this.sampleSize,
      seed: this.seed,
      features: [...this.featureNames],
      nodes: {
        roots: Array.from(n.roots),
        feature: Array.from(n.feature),
        threshold: Array.from(n.threshold),
        right: Array.from(n.right),
        size: Array.from(n.size),
        pathLength: Array.from(n.pathLength),
      },
    };
  }
}
