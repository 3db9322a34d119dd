/**
 * Training a model file: an Isolation Forest on a feature matrix, or an
 * LSTM on host window sequences, each returned as the card and the ONNX
 * bytes that `saveModel` writes (model-file.ts).
 *
 * The card records what scoring needs to reproduce the training (features,
 * scaler, hyper-parameters, window settings for the LSTM), what the model
 * was trained on (sources, rows, SHA-256 of the training data, seconds),
 * and the severity thresholds, derived from the training scores by one rule:
 *
 * - severity 4 (low): p99.9 of the training scores, so about one benign
 *   row in a thousand of data like the training data reaches it;
 * - severity 3: p99.9 + 1 × (p99.9 − p99);
 * - severity 2: p99.9 + 2 × (p99.9 − p99).
 *
 * The step, the width of the last percent of the training tail, is in the
 * model's own units: it suits forest scores (bounded by 1, tails a few
 * hundredths wide) and LSTM errors (unbounded, tails of whole units) alike,
 * where a fixed margin would not. An anomaly score alone never makes a
 * severity-1 (critical) alert: that is left to detectors with evidence.
 *
 * @example
 * const { matrix } = await flowRows(Capture.openFile('baseline.pcap'));
 * const { card, onnx } = trainForestModel(matrix, { name: 'office-forest', sources: ['baseline.pcap'] });
 * saveModel('models', card, onnx);
 * @module
 */
import { assertMatrix, type FeatureMatrix, FLOW_FEATURES } from './features.js';
import { isolationForestOnnx } from './forest-onnx.js';
import { DEFAULT_HOST_WINDOWS, HOST_WINDOW_FEATURES, type HostWindowOptions } from './host-windows.js';
import { DEFAULT_FOREST, IsolationForest } from './isolation-forest.js';
import { DEFAULT_LSTM, DEFAULT_LSTM_TRAINING, type LstmModel, type SequenceBatch, trainLstm } from './lstm.js';
import { lstmOnnx } from './lstm-onnx.js';
import { matrixSha256, MODEL_CARD_VERSION, type ModelCard, ModelError, type ModelKind, type SeverityThresholds } from './model-file.js';
import { quantiles } from './quantiles.js';
import { RobustScaler } from './scaler.js';

/** The flow feature names, in column order: what a forest for ingest must be trained on. */
export const FLOW_FEATURE_NAMES: readonly string[] = FLOW_FEATURES.map((f) => f.name);

/** Training scores at these quantiles go into the card (`training_scores`), the reference for drift. */
export type ScoreQuantiles = ModelCard['training_scores'];

/** Severity 3 and 2 lie this many tail widths (p99.9 − p99 of the training scores) above severity 4. */
export const SEVERITY_STEPS = { severity3: 1, severity2: 2 } as const;

/** p50, p90, p99 and p99.9 of `scores` (at least one, no NaN). */
export function scoreQuantiles(scores: ArrayLike<number>): ScoreQuantiles {
  if (scores.length === 0) throw new RangeError('scoreQuantiles: no scores');
  const values = Float64Array.from(scores);
  if (values.some(Number.isNaN)) throw new RangeError('scoreQuantiles: a score is NaN');
  const [p50, p90, p99, p999] = quantiles(values, [0.5, 0.9, 0.99, 0.999]) as [number, number, number, number];
  return { p50, p90, p99, p999 };
}

/** The severity thresholds of the rule above. */
export function thresholdsFrom(q: ScoreQuantiles): SeverityThresholds {
  const tail = q.p999 - q.p99;
  return { severity4: q.p999, severity3: q.p999 + SEVERITY_STEPS.severity3 * tail, severity2: q.p999 + SEVERITY_STEPS.severity2 * tail };
}

/** What every card says about its training, whatever the kind. */
export interface TrainingRecord {
  /** The model's file name stem (letters, digits, '.', '_', '-'). */
  name: string;
  /** What the rows came from: captures, database, Parquet or CSV files, as the card records them. */
  sources: readonly string[];
}

export interface ForestModelOptions extends TrainingRecord {
  /** Column names, in order (default FLOW_FEATURE_NAMES; CSV models name their columns). */
  features?: readonly string[];
  /** Trees (default 100). */
  trees?: number;
  /** Rows per tree, ψ (default 256). */
  sampleSize?: number;
  /** Seed (default 1). */
  seed?: number;
}

export interface TrainedForest {
  card: ModelCard;
  onnx: Uint8Array;
  forest: IsolationForest;
  scaler: RobustScaler;
}

export interface LstmModelOptions extends TrainingRecord {
  /** Hidden units (default 32). */
  hiddenSize?: number;
  /** Seed of the weights and the shuffling (default 1). */
  seed?: number;
  /** Passes over the data (default 10). */
  epochs?: number;
  /** Sequences per step (default 64). */
  batchSize?: number;
  /** Adam's step size (default 0.003). */
  learningRate?: number;
  /** How the sequences were made; recorded so that scoring makes them the same way (default DEFAULT_HOST_WINDOWS). */
  windows?: HostWindowOptions;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface TrainedLstm {
  card: ModelCard;
  onnx: Uint8Array;
  model: LstmModel;
}

interface CardParts {
  kind: ModelKind;
  features: readonly string[];
  hyper: ModelCard['hyper_parameters'];
  rows: number;
  seconds: number;
  scores: ArrayLike<number>;
  model: ModelCard['model'];
  scaler?: ModelCard['scaler'];
}

function makeCard(record: TrainingRecord, parts: CardParts, sha256: string): ModelCard {
  const training_scores = scoreQuantiles(parts.scores);
  return {
    card_version: MODEL_CARD_VERSION,
    name: record.name,
    kind: parts.kind,
    created: new Date().toISOString(),
    features: [...parts.features],
    ...(parts.scaler && { scaler: parts.scaler }),
    hyper_parameters: parts.hyper,
    training: { sources: [...record.sources], rows: parts.rows, sha256, seconds: Math.round(parts.seconds * 1000) / 1000 },
    thresholds: thresholdsFrom(training_scores),
    training_scores,
    model: parts.model,
  };
}

/**
 * Trains an Isolation Forest on the rows of `m` (raw features) and exports
 * it with its scaler. `m` is scaled in place: training sets run to hundreds
 * of megabytes, and a copy would double that. The card's hash is of the raw
 * rows, taken first.
 */
export function trainForestModel(m: FeatureMatrix, options: ForestModelOptions): TrainedForest {
  const features = options.features ?? FLOW_FEATURE_NAMES;
  assertMatrix(m, features.length, `model ${options.name}`);
  const hyper = {
    trees: options.trees ?? DEFAULT_FOREST.trees,
    sample_size: options.sampleSize ?? DEFAULT_FOREST.sampleSize,
    seed: options.seed ?? DEFAULT_FOREST.seed,
  };
  const sha256 = matrixSha256(m.data);
  const started = performance.now();
  const scaler = RobustScaler.fit(m);
  scaler.transform(m);
  const forest = IsolationForest.train(m, { trees: hyper.trees, sampleSize: hyper.sample_size, seed: hyper.seed, featureNames: features });
  const scores = forest.score(m);
  const seconds = (performance.now() - started) / 1000;
  const card = makeCard(
    options,
    { kind: 'isolation-forest', features, hyper, rows: m.rows, seconds, scores, model: forest.toJSON(), scaler: scaler.toJSON() },
    sha256,
  );
  const onnx = isolationForestOnnx(forest, { scaler, metadata: { 'mommynet.name': card.name, 'mommynet.training_sha256': sha256 } });
  return { card, onnx, forest, scaler };
}

/** Trains the next-window LSTM on host window sequences (HOST_WINDOW_FEATURES) and exports it. */
export function trainLstmModel(sequences: SequenceBatch, options: LstmModelOptions): TrainedLstm {
  const windows = { ...DEFAULT_HOST_WINDOWS, ...options.windows };
  if (sequences.features !== HOST_WINDOW_FEATURES.length) {
    throw new RangeError(`model ${options.name}: sequences have ${sequences.features} features, HOST_WINDOW_FEATURES ${HOST_WINDOW_FEATURES.length}`);
  }
  if (sequences.count < 1) throw new RangeError(`model ${options.name}: no host window sequences to train on`);
  if (sequences.length !== windows.sequenceLength) {
    throw new RangeError(`model ${options.name}: sequences are ${sequences.length} windows long, windows.sequenceLength is ${windows.sequenceLength}`);
  }
  const training = {
    hiddenSize: options.hiddenSize ?? DEFAULT_LSTM.hiddenSize,
    seed: options.seed ?? DEFAULT_LSTM.seed,
    epochs: options.epochs ?? DEFAULT_LSTM_TRAINING.epochs,
    batchSize: options.batchSize ?? DEFAULT_LSTM_TRAINING.batchSize,
    learningRate: options.learningRate ?? DEFAULT_LSTM_TRAINING.learningRate,
  };
  const data = sequences.data instanceof Float32Array ? sequences.data : Float32Array.from(sequences.data);
  const sha256 = matrixSha256(data);
  const started = performance.now();
  const { model } = trainLstm(sequences, { features: HOST_WINDOW_FEATURES, ...training, ...(options.onEpoch && { onEpoch: options.onEpoch }) });
  const scores = model.score(sequences);
  const seconds = (performance.now() - started) / 1000;
  const hyper = {
    hidden_size: training.hiddenSize,
    seed: training.seed,
    epochs: training.epochs,
    batch_size: training.batchSize,
    learning_rate: training.learningRate,
    window_seconds: windows.windowSeconds,
    sequence_length: windows.sequenceLength,
    max_gap_windows: windows.maxGapWindows,
    late_windows: windows.lateWindows,
  };
  const card = makeCard(
    options,
    { kind: 'lstm', features: HOST_WINDOW_FEATURES, hyper, rows: sequences.count, seconds, scores, model: model.toJSON() },
    sha256,
  );
  const onnx = lstmOnnx(model, { 'mommynet.name': card.name, 'mommynet.training_sha256': sha256 });
  return { card, onnx, model };
}

function hyperNumber(card: ModelCard, key: string): number {
  const value = card.hyper_parameters?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelError(`model ${card.name}: hyper_parameters.${key} is ${JSON.stringify(value)}, not a number; train it anew instead of updating it`);
  }
  return value;
}

/** The forest options a card was trained with, to train it again on newer data. */
export function forestOptionsOf(card: ModelCard): Required<Pick<ForestModelOptions, 'trees' | 'sampleSize' | 'seed'>> {
  return { trees: hyperNumber(card, 'trees'), sampleSize: hyperNumber(card, 'sample_size'), seed: hyperNumber(card, 'seed') };
}

/** The LSTM and window options a card was trained with, to train it again on newer data. */
export function lstmOptionsOf(card: ModelCard): Required<Pick<LstmModelOptions, 'hiddenSize' | 'seed' | 'epochs' | 'batchSize' | 'learningRate'>> & {
  windows: Required<Pick<HostWindowOptions, 'windowSeconds' | 'sequenceLength' | 'maxGapWindows' | 'lateWindows'>>;
} {
  const n = (key: string) => hyperNumber(card, key);
  return {
    hiddenSize: n('hidden_size'),
    seed: n('seed'),
    epochs: n('epochs'),
    batchSize: n('batch_size'),
    learningRate: n('learning_rate'),
    windows: { windowSeconds: n('window_seconds'), sequenceLength: n('sequence_length'), maxGapWindows: n('max_gap_windows'), lateWindows: n('late_windows') },
  };
}
