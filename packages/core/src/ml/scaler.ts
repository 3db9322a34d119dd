/**
 * A robust scaler: each feature minus its median, divided by its
 * interquartile range, both taken from the training matrix. Median and IQR
 * ignore the tail that anomalies live in, where mean and standard deviation
 * would be dragged by it. A feature whose IQR is 0 (one-hots, counters that
 * are nearly always the same) is divided by 1, as scikit-learn's
 * RobustScaler does, so it is centred and otherwise left alone.
 *
 * Center and scale are float32, and `transform` rounds as float32 Sub and
 * Div do, so that the ONNX nodes from `onnxNodes` give the same bits.
 *
 * @example
 * const scaler = RobustScaler.fit(train);
 * scaler.transform(batchFeatures); // in place
 * const card = { scaler: scaler.toJSON() };
 * @module
 */
import type { TensorProto } from 'onnx-buf';

import { assertMatrix, type FeatureMatrix } from './features.js';
import { floatTensor, type NodeSpec } from './onnx-model.js';
import { quantiles } from './quantiles.js';

export interface ScalerJson {
  kind: 'robust';
  /** Per-feature median. */
  center: number[];
  /** Per-feature interquartile range (1 where that is 0). */
  scale: number[];
}

export class RobustScaler {
  private constructor(
    readonly center: Float32Array,
    readonly scale: Float32Array,
  ) {}

  /** Fits median and IQR of every column of `m` (at least one row; no NaN). */
  static fit(m: FeatureMatrix): RobustScaler {
    assertMatrix(m, m.cols, 'RobustScaler.fit');
    if (m.rows < 1) throw new RangeError('RobustScaler.fit: the matrix has no rows (rows)');
    const center = new Float32Array(m.cols);
    const scale = new Float32Array(m.cols);
    const column = new Float32Array(m.rows);
    for (let c = 0; c < m.cols; ++c) {
      for (let r = 0; r < m.rows; ++r) {
        const v = m.data[r * m.cols + c]!;
        if (v !== v) throw new RangeError(`RobustScaler.fit: feature ${c} has NaN values`);
        column[r] = v;
      }
      const [q1, median, q3] = quantiles(column, [0.25, 0.5, 0.75]);
      center[c] = median!;
      const iqr = Math.fround(q3! - q1!);
      scale[c] = iqr > 0 ? iqr : 1;
    }
    return new RobustScaler(center, scale);
  }

  static fromJSON(json: ScalerJson): RobustScaler {
    if (json?.kind !== 'robust') throw new TypeError(`scaler JSON: kind is ${String(json?.kind)}, expected robust`);
    const { center, scale } = json;
    if (!Array.isArray(center) || !Array.isArray(scale) || center.length !== scale.length) {
      throw new TypeError('scaler JSON: center and scale must be arrays of the same length');
    }
    if (!center.every(Number.isFinite)) throw new TypeError('scaler JSON: center holds a value that is not a finite number');
    if (!scale.every((s) => Number.isFinite(s) && s > 0)) throw new TypeError('scaler JSON: scale holds a value that is not a positive number');
    return new RobustScaler(Float32Array.from(center), Float32Array.from(scale));
  }

  /** The number of features it was fitted on. */
  get features(): number {
    return this.center.length;
  }

  /** Scales `m` in place and returns it. */
  transform(m: FeatureMatrix): FeatureMatrix {
    assertMatrix(m, this.features, 'RobustScaler.transform');
    const { data, cols } = m;
    for (let i = 0; i < data.length; i += cols) {
      for (let c = 0; c < cols; ++c) data[i + c] = Math.fround(data[i + c]! - this.center[c]!) / this.scale[c]!;
    }
    return m;
  }

  toJSON(): ScalerJson {
    return { kind: 'robust', center: Array.from(this.center), scale: Array.from(this.scale) };
  }

  /** ONNX nodes computing `(input − center) / scale` into `output`, with their initializers. */
  onnxNodes(input: string, output: string): { nodes: NodeSpec[]; initializers: TensorProto[] } {
    const n = this.features;
    return {
      nodes: [
        { op: 'Sub', inputs: [input, 'scaler_center'], outputs: [`${output}_centred`], name: 'scaler_sub' },
        { op: 'Div', inputs: [`${output}_centred`, 'scaler_scale'], outputs: [output], name: 'scaler_div' },
      ],
      initializers: [floatTensor('scaler_center', [1, n], this.center), floatTensor('scaler_scale', [1, n], this.scale)],
    };
  }
}
