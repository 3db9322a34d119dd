/**
 * `@mommynet/core/flows`: captures as flow records (the capture engine,
 * Arrow batches, the record's columns and a per-row view), without the
 * store or the models, which the package root also loads: `flows` on a
 * small capture starts in about half the time.
 * @module
 */
export { Capture, type CaptureInfo, type CaptureStats } from './capture.js';
export { CaptureError, type CaptureErrorCode } from './errors.js';
export { type FileOptions, type FlowOptions, type LiveOptions, resolveFileOptions, resolveLiveOptions } from './options.js';
export { DUCKDB_TYPES, FLOW_COLUMNS, type FlowColumn, type FlowColumnType } from './flow-columns.js';
export { arrowType, FLOW_SCHEMA } from './schema.js';
export { toRecordBatch } from './arrow.js';
export { isoMicros } from './iso-time.js';
export { flowRecords, type FlowRecord, type FlowValue, type FlowValueReader, flowValueReaders } from './records.js';
