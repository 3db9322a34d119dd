/**
 * Isolation Forest, scaler, ROC-AUC and the ONNX export: c(n) at known
 * values, the tree shape the paper prescribes, reproducibility by seed,
 * anomalies ranked above a seeded Gaussian cluster, explanations naming the
 * feature made anomalous, and onnxruntime giving the TypeScript scores on
 * synthetic rows and on the sample capture's flows.
 */
import { join } from 'node:path';

import {
  averagePathLength,
  averageRanks,
  Capture,
  type FeatureMatrix,
  FLOW_FEATURES,
  flowFeatures,
  floatValue,
  IsolationForest,
  isolationForestOnnx,
  modelBytes,
  OnnxForestScorer,
  quantiles,
  RobustScaler,
  rocAuc,
} from '@mommynet/core';
import { seededRandom } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from './support/corpus.js';

/** Standard normal draws (Box–Muller) from a seeded generator. */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * `inliers` rows from one Gaussian per feature (feature j has mean 10·j and
 * standard deviation j + 1, so scales differ), then `outliers` rows each at
 * 6 to 10 standard deviations on every feature. Labels: 1 for outliers.
 */
function dataset(seed: number, inliers: number, outliers: number, cols = 8): { m: FeatureMatrix; labels: Uint8Array } {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const rows = inliers + outliers;
  const data = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; ++r) {
    const outlier = r >= inliers;
    labels[r] = Number(outlier);
    for (let j = 0; j < cols; ++j) {
      const z = outlier ? (random() < 0.5 ? -1 : 1) * (6 + 4 * random()) : normal();
      data[r * cols + j] = 10 * j + (j + 1) * z;
    }
  }
  return { m: { data, rows, cols }, labels };
}

const copy = (m: FeatureMatrix): FeatureMatrix => ({ ...m, data: new Float32Array(m.data) });

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);
}

describe('averagePathLength c(n)', () => {
  it('has the known values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649) - 4 / 3, 9);
    expect(averagePathLength(256)).toBeCloseTo(10.244770, 5);
  });

  it('is within 1e-3 of 2H(n − 1) − 2(n − 1)/n with the exact harmonic number at n = 10 000', () => {
    let harmonic = 0;
    for (let i = 1; i < 10_000; ++i) harmonic += 1 / i;
    expect(averagePathLength(10_000)).toBeCloseTo(2 * harmonic - (2 * 9999) / 10_000, 3);
  });
});

describe('IsolationForest', () => {
  const { m, labels } = dataset(1, 4000, 100);

  it('grows t trees on ψ rows each, within the height limit ceil(log2 ψ)', () => {
    const forest = IsolationForest.train(m, { trees: 20, sampleSize: 100 });
    const { roots, feature, size, pathLength } = forest.nodes;
    expect([forest.trees, forest.sampleSize, forest.features]).toEqual([20, 100, 8]);
    expect(forest.normaliser).toBe(averagePathLength(100));
    for (let t = 0; t < roots.length; ++t) {
      const end = roots[t + 1] ?? feature.length;
      expect(size[roots[t]!]).toBe(100);
      let leafRows = 0;
      for (let i = roots[t]!; i < end; ++i) {
        if (feature[i]! >= 0) continue;
        leafRows += size[i]!;
        const depth = pathLength[i]! - averagePathLength(size[i]!);
        expect(Math.abs(depth - Math.round(depth))).toBeLessThan(1e-9);
        expect(Math.round(depth)).toBeLessThanOrEqual(Math.ceil(Math.log2(100)));
      }
      expect(leafRows).toBe(100);
    }
  });

  it('uses every row when there are fewer than ψ', () => {
    const small = { data: m.data.subarray(0, 50 * 8), rows: 50, cols: 8 };
    const forest = IsolationForest.train(small, { trees: 5 });
    expect(forest.sampleSize).toBe(50);
    expect(forest.normaliser).toBe(averagePathLength(50));
  });

  it('is reproducible by seed', () => {
    const a = IsolationForest.train(m, { seed: 42 });
    const b = IsolationForest.train(m, { seed: 42 });
    const c = IsolationForest.train(m, { seed: 43 });
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(c.toJSON()).not.toEqual(a.toJSON());
    expect(b.score(m)).toEqual(a.score(m));
  });

  it('scores the outliers above the Gaussian cluster (AUC > 0.95)', () => {
    const scores = IsolationForest.train(m, { seed: 3 }).score(m);
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.95);
    for (const s of scores) expect(s > 0 && s <= 1).toBe(true);
    // Inliers sit below 0.5 on average, outliers above, as the paper describes.
    const mean = (outlier: boolean) => scores.filter((_, i) => Boolean(labels[i]) === outlier).reduce((a, b) => a + b, 0) / (outlier ? 100 : 4000);
    expect(mean(false)).toBeLessThan(0.5);
    expect(mean(true)).toBeGreaterThan(0.6);
  });

  it('survives JSON with the same scores', () => {
    const forest = IsolationForest.train(m, { seed: 5, trees: 30 });
    const again = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest)));
    expect(again.score(m)).toEqual(forest.score(m));
    expect(again.featureNames).toEqual(forest.featureNames);
  });

  it('rejects JSON whose nodes would not lead to a leaf', () => {
    const json = IsolationForest.train(m, { trees: 2 }).toJSON();
    const looping = structuredClone(json);
    looping.nodes.right[0] = 0;
    expect(() => IsolationForest.fromJSON(looping)).toThrow(/node 0 has children out of order/);
    const short = structuredClone(json);
    short.nodes.size.pop();
    expect(() => IsolationForest.fromJSON(short)).toThrow(/nodes.size has/);
    expect(() => IsolationForest.fromJSON({ ...json, kind: 'lstm' } as never)).toThrow(/expected isolation-forest/);
  });

  it('names the invalid hyper-parameter or input', () => {
    expect(() => IsolationForest.train(m, { trees: 0 })).toThrow(/trees must be an integer from 1/);
    expect(() => IsolationForest.train(m, { sampleSize: 1 })).toThrow(/sampleSize must be an integer from 2/);
    expect(() => IsolationForest.train(m, { sampleSize: 2.5 })).toThrow(/sampleSize/);
    expect(() => IsolationForest.train(m, { seed: -1 })).toThrow(/seed must be an integer from 0 to 4294967295/);
    expect(() => IsolationForest.train(m, { featureNames: ['a'] })).toThrow(/1 featureNames for 8 feature columns/);
    expect(() => IsolationForest.train({ data: m.data.subarray(0, 8), rows: 1, cols: 8 })).toThrow(/at least 2 rows/);
    expect(() => IsolationForest.train({ data: m.data, rows: 10, cols: 8 })).toThrow(/not rows × cols/);
    const nan = copy(m);
    nan.data[3 * 8 + 2] = NaN;
    expect(() => IsolationForest.train(nan)).toThrow(/row 3, feature f2 is NaN/);
    const forest = IsolationForest.train(m, { trees: 3 });
    expect(() => forest.score({ data: new Float32Array(70), rows: 10, cols: 7 })).toThrow(/7 feature columns \(cols\), expected 8/);
    expect(() => forest.explain(m, m.rows)).toThrow(/row 4100 is not a row/);
  });

  it('explains an outlier by the feature made anomalous', () => {
    const names = Array.from({ length: 8 }, (_, j) => `x${j}`);
    const forest = IsolationForest.train(m, { seed: 9, featureNames: names });
    for (let j = 0; j < 8; ++j) {
      // An ordinary row (near the means) with feature j pushed 8 standard deviations out.
      const row = Float32Array.from({ length: 8 }, (_, k) => 10 * k + (k + 1) * 0.1);
      row[j] = 10 * j + (j + 1) * 8;
      const top = forest.explain({ data: row, rows: 1, cols: 8 }, 0, 3);
      expect(top[0]!.feature, `feature ${j}`).toBe(`x${j}`);
      expect(top[0]!.index).toBe(j);
      expect(top[0]!.share).toBeGreaterThan(0.3);
      expect(top[0]!.bits).toBeGreaterThan(top[1]!.bits);
    }
    const inlier = forest.explain(m, 0, 8);
    expect(inlier.reduce((a, c) => a + c.share, 0)).toBeCloseTo(1, 9);
  });
});

describe('RobustScaler', () => {
  const m: FeatureMatrix = {
    data: Float32Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? 9 - i / 2 : 4)),
    rows: 9,
    cols: 2,
  };

  it('centres on the median and divides by the IQR, or by 1 when that is 0', () => {
    const scaler = RobustScaler.fit(m);
    expect(Array.from(scaler.center)).toEqual([5, 4]);
    expect(Array.from(scaler.scale)).toEqual([4, 1]);
    const scaled = scaler.transform(copy(m));
    expect(Array.from(scaled.data.subarray(0, 4))).toEqual([1, 0, 0.75, 0]);
  });

  it('survives JSON and rejects a bad one', () => {
    const scaler = RobustScaler.fit(dataset(2, 500, 0).m);
    const again = RobustScaler.fromJSON(JSON.parse(JSON.stringify(scaler)));
    expect(again.center).toEqual(scaler.center);
    expect(again.scale).toEqual(scaler.scale);
    expect(() => RobustScaler.fromJSON({ kind: 'robust', center: [0, 1], scale: [1] })).toThrow(/same length/);
    expect(() => RobustScaler.fromJSON({ kind: 'robust', center: [0], scale: [0] })).toThrow(/not a positive number/);
  });

  it('names a feature-count mismatch', () => {
    expect(() => RobustScaler.fit(m).transform({ data: new Float32Array(3), rows: 1, cols: 3 })).toThrow(/3 feature columns \(cols\), expected 2/);
  });
});

describe('quantiles', () => {
  /** NumPy's default quantile over a full sort: what selection must give. */
  const bySort = (values: ArrayLike<number>, p: number) => {
    const sorted = Float64Array.from(values).sort();
    const h = (sorted.length - 1) * p;
    const i = Math.floor(h);
    return sorted[i]! + (h - i) * (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!);
  };

  it('equals a sort on random values, heavy ties and tiny arrays', () => {
    const random = seededRandom(7);
    const ps = [0, 0.001, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];
    const cases: number[][] = [
      [3],
      [2, 1],
      Array.from({ length: 5_000 }, () => random() * 100 - 50),
      Array.from({ length: 5_000 }, () => Math.floor(random() * 3)), // one-hot-like: almost all ties
      Array.from({ length: 4_001 }, (_, i) => (i * 7919) % 4001), // a permutation
    ];
    for (const values of cases) {
      for (const Ctor of [Float64Array, Float32Array]) {
        const typed = Ctor.from(values);
        const reference = ps.map((p) => bySort(typed, p));
        expect(quantiles(typed, ps), `${Ctor.name} of ${values.length}`).toEqual(reference);
      }
    }
  });

  it('refuses quantiles out of order or out of range, and no values', () => {
    expect(() => quantiles(Float64Array.of(1, 2, 3), [0.9, 0.1])).toThrow(/ascending/);
    expect(() => quantiles(Float64Array.of(1, 2, 3), [1.5])).toThrow(/not in \[0, 1\]/);
    expect(() => quantiles(new Float64Array(0), [0.5])).toThrow(/no values/);
  });
});

describe('rocAuc', () => {
  it('counts ties as one half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 2, 2], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([3, 3, 3], [true, false, false])).toBe(0.5);
    expect(rocAuc([1, 2, 3], [0, 0, 1])).toBe(1);
    expect(rocAuc([1, 2, 3], [1, 0, 0])).toBe(0);
    expect(Array.from(averageRanks([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
  });

  it('equals the pairwise definition on scores with many ties', () => {
    const random = seededRandom(4);
    const scores = Array.from({ length: 300 }, () => Math.round(random() * 20));
    const labels = scores.map((s) => Number(random() < s / 25));
    let wins = 0;
    let pairs = 0;
    scores.forEach((p, i) => {
      if (!labels[i]) return;
      scores.forEach((n, k) => {
        if (labels[k]) return;
        ++pairs;
        wins += p > n ? 1 : p === n ? 0.5 : 0;
      });
    });
    expect(rocAuc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('needs both classes', () => {
    expect(() => rocAuc([1, 2], [0, 0])).toThrow(/both classes/);
    expect(() => rocAuc([1, 2], [0])).toThrow(/2 scores but 1 labels/);
  });
});

describe('ONNX export', () => {
  it('gives the TypeScript scores from raw features through the scaler (synthetic rows)', async () => {
    const { m } = dataset(6, 9000, 200);
    const scaler = RobustScaler.fit(m);
    const scaled = scaler.transform(copy(m));
    const forest = IsolationForest.train(scaled, { seed: 6 });
    const scorer = await OnnxForestScorer.create(isolationForestOnnx(forest, { scaler }), { batchRows: 4096 });
    expect(scorer.featureNames).toEqual(forest.featureNames);
    expect(maxDifference(await scorer.score(m), forest.score(scaled))).toBeLessThan(1e-5);
    await scorer.release();
  });

  it('gives the TypeScript scores on the flows of demo.pcap, and without a scaler', async () => {
    const matrices: FeatureMatrix[] = [];
    for await (const batch of Capture.openFile(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'))) matrices.push(flowFeatures(batch));
    const raw = matrices[0]!;
    const names = FLOW_FEATURES.map((f) => f.name);
    const scaler = RobustScaler.fit(raw);
    const scaled = scaler.transform(copy(raw));
    const forest = IsolationForest.train(scaled, { seed: 8, featureNames: names });
    const withScaler = await OnnxForestScorer.create(isolationForestOnnx(forest, { scaler, metadata: { card: 'sha256:0' } }));
    expect(withScaler.featureNames).toEqual(names);
    expect(maxDifference(await withScaler.score(raw), forest.score(scaled))).toBeLessThan(1e-5);
    const plain = await OnnxForestScorer.create(isolationForestOnnx(forest), { threads: 2, spinning: false });
    expect(maxDifference(await plain.score(scaled), forest.score(scaled))).toBeLessThan(1e-5);
    await expect(plain.score({ data: new Float32Array(10), rows: 1, cols: 10 })).rejects.toThrow(/10 feature columns \(cols\), expected 62/);
    await Promise.all([withScaler.release(), plain.release()]);
  });

  it('refuses a scaler of another width and a model that is not a forest', async () => {
    const { m } = dataset(7, 300, 0);
    const forest = IsolationForest.train(m, { trees: 2 });
    const scaler = RobustScaler.fit({ data: new Float32Array(6), rows: 2, cols: 3 });
    expect(() => isolationForestOnnx(forest, { scaler })).toThrow(/scaler has 3 features, the forest 8/);
    const other = modelBytes({
      name: 'identity',
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      inputs: [floatValue('x', ['N', 2])],
      outputs: [floatValue('y', ['N', 2])],
    });
    await expect(OnnxForestScorer.create(other)).rejects.toThrow(/no mommynet.features metadata/);
  });
});
