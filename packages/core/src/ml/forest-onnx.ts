/**
 * The Isolation Forest as an ONNX model that onnxruntime runs, taking raw
 * features and giving the anomaly score, and a scorer that runs it.
 *
 * Graph (input `features`, float [N, F]; output `score`, float [N]):
 *
 * ```
 * features ─ Sub(center) ─ Div(scale)                 (the scaler, when given)
 *          ─ ai.onnx.ml TreeEnsembleRegressor         leaf weight = depth + c(size),
 *                                                     aggregate AVERAGE → E[h(x)] [N, 1]
 *          ─ Div(c(ψ)) ─ Neg ─ Pow(2, ·)              2^(−E[h(x)] / c(ψ))
 *          ─ Reshape([-1]) → score [N]
 * ```
 *
 * Trees keep the TypeScript preorder (true branch = next node), with
 * BRANCH_LT and the same float32 thresholds, so each row takes the same
 * path as in `IsolationForest.score`; the two differ only by float32
 * rounding of the average and the power (below 1e-6).
 *
 * Metadata props: `mommynet.model` = isolation-forest, `mommynet.features`
 * = the feature names as a JSON array, `mommynet.trees`, `mommynet.sample_size`,
 * plus any given.
 *
 * @example
 * const bytes = isolationForestOnnx(forest, { scaler });
 * const scorer = await OnnxForestScorer.create(bytes);
 * const scores = await scorer.score(flowFeatures(batch));
 * @module
 */
import { assertMatrix, type FeatureMatrix } from './features.js';
import type { IsolationForest } from './isolation-forest.js';
import { floatTensor, floatValue, int64Tensor, ML_DOMAIN, modelBytes, type NodeSpec } from './onnx-model.js';
import { batchOption, FEATURES_KEY, OnnxScorer, type OpenModel, openModel, type SessionOptions } from './onnx-session.js';
import type { RobustScaler } from './scaler.js';

export interface ForestOnnxOptions {
  /** Scaler applied to the raw features first (the forest must have been trained on its output). */
  scaler?: RobustScaler;
  /** Extra metadata props (for example the model card's hash). */
  metadata?: Record<string, string>;
}


/** The tree ensemble's attributes: one entry per node, one target per external node. */
function treeEnsemble(forest: IsolationForest): NodeSpec {
  const { roots, feature, threshold, right, pathLength } = forest.nodes;
  const count = feature.length;
  const treeIds = new Int32Array(count);
  const nodeIds = new Int32Array(count);
  const featureIds = new Int32Array(count);
  const trueIds = new Int32Array(count);
  const falseIds = new Int32Array(count);
  const values = new Float32Array(count);
  const modes: string[] = new Array(count);
  const leaves: number[] = [];
  for (let t = 0; t < roots.length; ++t) {
    const first = roots[t]!;
    const end = t + 1 < roots.length ? roots[t + 1]! : count;
    for (let i = first; i < end; ++i) {
      treeIds[i] = t;
      nodeIds[i] = i - first;
      if (feature[i]! < 0) {
        modes[i] = 'LEAF';
        leaves.push(i);
      } else {
        modes[i] = 'BRANCH_LT';
        featureIds[i] = feature[i]!;
        values[i] = threshold[i]!;
        trueIds[i] = i + 1 - first;
        falseIds[i] = right[i]! - first;
      }
    }
  }
  return {
    op: 'TreeEnsembleRegressor',
    domain: ML_DOMAIN,
    name: 'isolation_trees',
    inputs: ['scaled'],
    outputs: ['mean_path_length'],
    attributes: {
      n_targets: { int: 1 },
      aggregate_function: 'AVERAGE',
      post_transform: 'NONE',
      nodes_treeids: { ints: treeIds },
      nodes_nodeids: { ints: nodeIds },
      nodes_featureids: { ints: featureIds },
      nodes_modes: modes,
      nodes_values: values,
      nodes_truenodeids: { ints: trueIds },
      nodes_falsenodeids: { ints: falseIds },
      target_treeids: { ints: leaves.map((i) => treeIds[i]!) },
      target_nodeids: { ints: leaves.map((i) => nodeIds[i]!) },
      target_ids: { ints: new Int32Array(leaves.length) },
      target_weights: Float32Array.from(leaves, (i) => pathLength[i]!),
    },
  };
}

/** The forest (and scaler) as the bytes of an .onnx file. */
export function isolationForestOnnx(forest: IsolationForest, options: ForestOnnxOptions = {}): Uint8Array {
  const { scaler } = options;
  const features = forest.features;
  if (scaler && scaler.features !== features) {
    throw new RangeError(`isolationForestOnnx: the scaler has ${scaler.features} features, the forest ${features}`);
  }
  const scaling = scaler ? scaler.onnxNodes('features', 'scaled') : { nodes: [], initializers: [] };
  const nodes: NodeSpec[] = [
    ...(scaler ? scaling.nodes : [{ op: 'Identity', inputs: ['features'], outputs: ['scaled'] }]),
    treeEnsemble(forest),
    { op: 'Div', inputs: ['mean_path_length', 'normaliser'], outputs: ['relative_path_length'] },
    { op: 'Neg', inputs: ['relative_path_length'], outputs: ['exponent'] },
    { op: 'Pow', inputs: ['two', 'exponent'], outputs: ['score_column'] },
    { op: 'Reshape', inputs: ['score_column', 'flat'], outputs: ['score'] },
  ];
  return modelBytes({
    name: 'isolation_forest',
    nodes,
    inputs: [floatValue('features', ['N', features])],
    outputs: [floatValue('score', ['N'])],
    initializers: [
      ...scaling.initializers,
      floatTensor('normaliser', [], [forest.normaliser]),
      floatTensor('two', [], [2]),
      int64Tensor('flat', [1], [-1]),
    ],
    metadata: {
      ...options.metadata,
      'mommynet.model': 'isolation-forest',
      [FEATURES_KEY]: JSON.stringify(forest.featureNames),
      'mommynet.trees': String(forest.trees),
      'mommynet.sample_size': String(forest.sampleSize),
    },
    docString: 'Isolation Forest anomaly score 2^(-E[h(x)]/c(psi)) per row of raw flow features',
  });
}

export interface ScorerOptions extends SessionOptions {
  /** Rows per onnxruntime run (default 8192; batches up to 65536 measured no faster). */
  batchRows?: number;
}

/** Runs an exported forest with onnxruntime-node. */
export class OnnxForestScorer extends OnnxScorer {
  private constructor(
    model: OpenModel,
    private readonly batchRows: number,
  ) {
    super(model);
  }

  static async create(bytes: Uint8Array, options: ScorerOptions = {}): Promise<OnnxForestScorer> {
    const batchRows = batchOption(options.batchRows, 8192, 'OnnxForestScorer', 'batchRows');
    return new OnnxForestScorer(await openModel(bytes, options, 'OnnxForestScorer', 'forest'), batchRows);
  }

  /** The score of every row: raw features when the model was exported with its scaler. */
  async score(m: FeatureMatrix): Promise<Float32Array> {
    assertMatrix(m, this.featureNames.length, 'OnnxForestScorer');
    const out = new Float32Array(m.rows);
    for (let lo = 0; lo < m.rows; lo += this.batchRows) {
      const rows = Math.min(this.batchRows, m.rows - lo);
      const input = new this.ort.Tensor('float32', m.data.subarray(lo * m.cols, (lo + rows) * m.cols), [rows, m.cols]);
      const result = await this.session.run({ features: input });
      out.set(result.score!.data as Float32Array, lo);
    }
    return out;
  }
}
