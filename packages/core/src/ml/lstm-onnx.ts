/**
 * The LSTM next-window predictor (lstm.ts) as an ONNX graph, and a scorer
 * that runs it with onnxruntime-node. The graph computes the same score as
 * `LstmModel.score`, so a model trained in TypeScript scores in the runtime.
 *
 * Graph (input `sequences`, float [N, L, F]; outputs `score` [N] and
 * `feature_error` [N, F]):
 *
 * ```
 * sequences ─ Sub(mean) ─ Div(scale)                 standardised windows z
 *           ─ Transpose(1, 0, 2)                     [L, N, F], ONNX's LSTM layout 0
 *           ├ Slice(steps 0 … L−2) ─ LSTM(W, R, B) ─ Squeeze(axis 1)     [L−1, N, H]
 *           │   ─ MatMul(head_t) ─ Add(head_bias)    prediction of the next window
 *           └ Slice(steps 1 … L−1)                   targets
 *  prediction ─ Sub(targets) ─ Mul(itself) ─ ReduceMean(steps) → feature_error [N, F]
 *                                          ─ ReduceMean(aggregates) → score [N]
 * ```
 *
 * `sequences` is row-major: N sequences of L windows of the model's F
 * aggregates, as HostSequences.data is; N and L are chosen at run time
 * (L ≥ 2). W [1, 4H, F], R [1, 4H, H] are the model's tensors with a
 * direction axis; B [1, 8H] is the model's bias followed by a zero
 * recurrent bias. The mean of the per-aggregate errors equals the mean over
 * all errors because every aggregate has L − 1 of them. float32 rounding
 * keeps the runtime's scores within 1e-4 of the TypeScript ones.
 *
 * Metadata props: `mommynet.model` = lstm, `mommynet.features` = the
 * aggregate names as a JSON array, `mommynet.hidden_size`.
 *
 * @example
 * const bytes = lstmOnnx(model);
 * const scorer = await OnnxLstmScorer.create(bytes);
 * const { score } = await scorer.score(windows.finish());
 * @module
 */
import type { LstmModel, SequenceBatch } from './lstm.js';
import { floatTensor, floatValue, int64Tensor, modelBytes } from './onnx-model.js';
import { batchOption, FEATURES_KEY, OnnxScorer, type OpenModel, openModel, type SessionOptions } from './onnx-session.js';


/** The model as the bytes of an .onnx file. */
export function lstmOnnx(model: LstmModel, metadata: Record<string, string> = {}): Uint8Array {
  const F = model.features.length;
  const H = model.hiddenSize;
  const p = model.parameters;
  const headT = new Float32Array(H * F);
  for (let j = 0; j < F; j++) for (let k = 0; k < H; k++) headT[k * F + j] = p.headWeights[j * H + k]!;
  const B = new Float32Array(8 * H);
  B.set(p.bias);
  return modelBytes({
    name: 'lstm_next_window',
    docString: 'LSTM next-window predictor over per-host window aggregates; score = mean squared prediction error',
    metadata: {
      ...metadata,
      'mommynet.model': 'lstm',
      [FEATURES_KEY]: JSON.stringify(model.features),
      'mommynet.hidden_size': String(H),
    },
    inputs: [floatValue('sequences', ['N', 'L', F])],
    outputs: [floatValue('score', ['N']), floatValue('feature_error', ['N', F])],
    initializers: [
      floatTensor('mean', [F], model.mean),
      floatTensor('scale', [F], model.scale),
      floatTensor('W', [1, 4 * H, F], p.inputWeights),
      floatTensor('R', [1, 4 * H, H], p.recurrentWeights),
      floatTensor('B', [1, 8 * H], B),
      floatTensor('head_t', [H, F], headT),
      floatTensor('head_bias', [F], p.headBias),
      int64Tensor('zero', [1], [0]),
      int64Tensor('one', [1], [1]),
      int64Tensor('last', [1], [-1]),
      // Slice clamps an end beyond the axis to its size.
      int64Tensor('end', [1], [Number.MAX_SAFE_INTEGER]),
    ],
    nodes: [
      { op: 'Sub', inputs: ['sequences', 'mean'], outputs: ['centred'] },
      { op: 'Div', inputs: ['centred', 'scale'], outputs: ['z'] },
      { op: 'Transpose', inputs: ['z'], outputs: ['z_steps'], attributes: { perm: { ints: [1, 0, 2] } } },
      { op: 'Slice', inputs: ['z_steps', 'zero', 'last', 'zero'], outputs: ['inputs'] },
      { op: 'Slice', inputs: ['z_steps', 'one', 'end', 'zero'], outputs: ['targets'] },
      { op: 'LSTM', inputs: ['inputs', 'W', 'R', 'B'], outputs: ['Y'], attributes: { hidden_size: { int: H }, direction: 'forward' } },
      { op: 'Squeeze', inputs: ['Y', 'one'], outputs: ['hidden'] },
      { op: 'MatMul', inputs: ['hidden', 'head_t'], outputs: ['projected'] },
      { op: 'Add', inputs: ['projected', 'head_bias'], outputs: ['prediction'] },
      { op: 'Sub', inputs: ['prediction', 'targets'], outputs: ['error'] },
      { op: 'Mul', inputs: ['error', 'error'], outputs: ['squared'] },
      { op: 'ReduceMean', inputs: ['squared'], outputs: ['feature_error'], attributes: { axes: { ints: [0] }, keepdims: { int: 0 } } },
      { op: 'ReduceMean', inputs: ['feature_error'], outputs: ['score'], attributes: { axes: { ints: [1] }, keepdims: { int: 0 } } },
    ],
  });
}

export interface LstmScorerOptions extends SessionOptions {
  /** Sequences per onnxruntime run (default 1024). */
  batchSequences?: number;
}

/** Runs an exported LSTM with onnxruntime-node. */
export class OnnxLstmScorer extends OnnxScorer {
  private constructor(
    model: OpenModel,
    private readonly batchSequences: number,
  ) {
    super(model);
  }

  static async create(bytes: Uint8Array, options: LstmScorerOptions = {}): Promise<OnnxLstmScorer> {
    const batchSequences = batchOption(options.batchSequences, 1024, 'OnnxLstmScorer', 'batchSequences');
    return new OnnxLstmScorer(await openModel(bytes, options, 'OnnxLstmScorer', 'LSTM'), batchSequences);
  }

  /** Each sequence's score [count] and per-aggregate mean squared error [count, F]. */
  async score(sequences: SequenceBatch): Promise<{ score: Float32Array; featureError: Float32Array }> {
    const { count, length, features } = sequences;
    if (features !== this.featureNames.length) {
      throw new RangeError(`OnnxLstmScorer: sequences have ${features} features, the model ${this.featureNames.length}`);
    }
    if (!Number.isInteger(length) || length < 2) throw new RangeError(`OnnxLstmScorer: length must be an integer of at least 2, got ${length}`);
    if (sequences.data.length !== count * length * features) {
      throw new RangeError(`OnnxLstmScorer: data holds ${sequences.data.length} values, count × length × features is ${count * length * features}`);
    }
    const data = sequences.data instanceof Float32Array ? sequences.data : Float32Array.from(sequences.data);
    const score = new Float32Array(count);
    const featureError = new Float32Array(count * features);
    const size = length * features;
    for (let lo = 0; lo < count; lo += this.batchSequences) {
      const n = Math.min(this.batchSequences, count - lo);
      const input = new this.ort.Tensor('float32', data.subarray(lo * size, (lo + n) * size), [n, length, features]);
      const out = await this.session.run({ sequences: input });
      score.set(out.score!.data as Float32Array, lo);
      featureError.set(out.feature_error!.data as Float32Array, lo * features);
    }
    return { score, featureError };
  }
}
