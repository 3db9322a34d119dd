/**
 * MommyNet core: captures as Arrow flow batches and the flow schema, the
 * DuckDB store and its ingest, extraction of a flow's packets, the rule
 * detectors and their alerts, the anomaly models, evaluation against
 * labels, and the traffic simulator. Commands that need only a part load
 * less through the subpaths: `@mommynet/core/flows` (captures and flow
 * records: Arrow and the addon), `@mommynet/core/store` (the store's read
 * side: DuckDB only), `@mommynet/core/extract` (a flow's packets: the
 * addon, with the store), `@mommynet/core/synth` (frames and pcaps for tests).
 * @module
 */
export * from './flows.js';
export * from './store/index.js';
export { type CaptureStatus, FLOW_TABLE_COLUMNS, STORE_DDL, STORE_SCHEMA_VERSION } from './store/schema.js';
export { COMMIT_ROWS, FlowAppender } from './store/append.js';
export { type DigestRange, type FileDigests, fileDigests, fileSha256 } from './file-sha256.js';
export {
  ingestCapture,
  ingestCaptures,
  type IngestEachOptions,
  OpenedCapture,
  type IngestOptions,
  type IngestProgress,
  type IngestResult,
} from './store/ingest.js';
export {
  type ExtractedCapture,
  ExtractError,
  type ExtractErrorCode,
  extractFlows,
  type ExtractOptions,
  type ExtractResult,
  type FlowSelector,
} from './extract.js';
export { DEFAULT_DETECTION, type DetectionConfig, type DetectionSettings, type NetworkSettings } from './detect/config.js';
export { SHIPPED_SIGNATURES } from './detect/signatures.js';
export type { Detector } from './detect/detector.js';
export { FlowView, ViewScratch } from './detect/flow-view.js';
export { DEFAULT_DETECTION_WORKERS, ParallelDetection, splitDetectors } from './detect/parallel.js';
export { type BatchDetection, captureBytes, INLINE_DETECTION_BYTES, InlineDetection, startDetection } from './detect/batch-detection.js';
export { DETECTOR_NAMES, DetectionSession, type DetectionSetup, makeDetectors, setUpDetection } from './detect/session.js';
export { storeAlerts } from './store/alerts.js';
export { DetectionConfigError, loadDetectionConfig, parseDetectionConfig } from './detect/config-file.js';
export * from './ml/index.js';
export { type AttackLabel, type Episode, episodesFor, formatLabel, LabelError, loadLabels, parseLabel } from './evaluate/labels.js';
export { alertCoversFlow, alertMatchesEpisode, type EvaluatedAlert, type EvaluatedFlow, flowInEpisode } from './evaluate/match.js';
export { type CaptureScore, type CategoryScore, type Counts, type EvaluationReport, Scorer } from './evaluate/score.js';
export * from './simulate/index.js';
