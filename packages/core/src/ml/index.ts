/** Machine-learning detectors: features, models trained in TypeScript, ONNX export. */
export { type AttributeValue, type Dim, floatTensor, floatValue, type GraphSpec, int64Tensor, ML_DOMAIN, modelBytes, type NodeSpec } from './onnx-model.js';
export {
  assertFeatureNames,
  assertMatrix,
  CONN_STATES,
  type FeatureMatrix,
  type FeatureTransform,
  FLOW_FEATURES,
  type FlowFeature,
  flowFeatures,
  SERVICE_PORTS,
} from './features.js';
export { quantiles } from './quantiles.js';
export { RobustScaler, type ScalerJson } from './scaler.js';
export {
  averagePathLength,
  DEFAULT_FOREST,
  type FeatureContribution,
  type ForestNodes,
  IsolationForest,
  type IsolationForestJson,
  type IsolationForestOptions,
} from './isolation-forest.js';
export { type ForestOnnxOptions, isolationForestOnnx, OnnxForestScorer, type ScorerOptions } from './forest-onnx.js';
export { averageRanks, rocAuc } from './metrics.js';
export {
  DEFAULT_HOST_WINDOWS,
  FAILED_CONN_STATES,
  HOST_WINDOW_FEATURES,
  type HostSequences,
  type HostWindowFeature,
  type HostWindowOptions,
  HostWindows,
} from './host-windows.js';
export {
  DEFAULT_LSTM,
  DEFAULT_LSTM_TRAINING,
  type LstmContribution,
  type LstmInit,
  type LstmJson,
  LstmModel,
  type LstmOptions,
  type LstmParameters,
  type LstmTrainOptions,
  LSTM_PARAMETER_NAMES,
  type SequenceBatch,
  trainLstm,
} from './lstm.js';
export { lstmOnnx, type LstmScorerOptions, OnnxLstmScorer } from './lstm-onnx.js';
export { FEATURES_KEY, onnxRuntime, type SessionOptions } from './onnx-session.js';
export {
  DEFAULT_FOREST_MODEL,
  DEFAULT_LSTM_MODEL,
  SHIPPED_MODELS_DIR,
  type LoadedModel,
  loadModel, matrixSha256, MODEL_CARD_VERSION, type ModelCard, modelCardPath, ModelError, type ModelKind, saveModel, severityOf, type SeverityThresholds } from './model-file.js';
export { FlowScoring } from './flow-scoring.js';
export {
  type ForestModelOptions,
  FLOW_FEATURE_NAMES,
  forestOptionsOf,
  type LstmModelOptions,
  lstmOptionsOf,
  scoreQuantiles,
  type ScoreQuantiles,
  SEVERITY_STEPS,
  thresholdsFrom,
  type TrainedForest,
  type TrainedLstm,
  trainForestModel,
  type TrainingRecord,
  trainLstmModel,
} from './train.js';
export {
  benignRows,
  benignSequences,
  concatLabelledMatrices,
  concatMatrices,
  concatSequences,
  type FlowStream,
  flowRows,
  hostRows,
  type LabelledMatrix,
  type LabelledSequences,
  type RowCategory,
} from './training-data.js';
export { type CategoryRecall, type EvaluationUnit, evaluateForest, evaluateLstm, evaluateScores, type ScoreEvaluation } from './model-evaluation.js';
export { HostScoring } from './host-scoring.js';
