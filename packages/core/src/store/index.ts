/**
 * `@mommynet/core/store`: the forensics store for the tools that read it
 * (open, read-only SQL, saved queries, alerts, Parquet export), without the
 * capture engine, Arrow or the models, which the package root also loads:
 * a command that only reads starts in a fraction of the time. Ingest is at
 * the package root.
 * @module
 */
export {
  DEFAULT_STORE_PATH,
  DUCKDB_SAFE_OPTIONS,
  duckdbReason,
  openStore,
  Store,
  StoreError,
  type StoreErrorCode,
  type StoreOptions,
  storeOpenError,
} from './database.js';
export {
  type ExportedPartition,
  ExportError,
  type ExportErrorCode,
  type ExportOptions,
  exportStore,
  type ExportTable,
  SENSOR_NAME,
} from './export.js';
export { type ReadOnlySource, ReadOnlySession } from './read-only.js';
export { QueryError, type QueryErrorCode, queryError } from './queries/errors.js';
export { SAVED_QUERIES, savedQuery } from './queries/index.js';
export {
  type BoundParameters,
  bindParameters,
  type ParameterType,
  parseParameterArgs,
  parseTimestamp,
  type QueryParameter,
  type SavedQuery,
} from './queries/parameters.js';
export { LAKE_TABLES, type LakeTable, planLake, tableOf } from './queries/lake.js';
export { ALLOWED_STATEMENTS } from './queries/statements.js';
export { type AlertFilter, alertQuery } from './alerts.js';
export { ALERT_CATEGORIES, type Alert, type AlertCategory, alertOrder, type Severity, toEve } from '../detect/alert.js';
// The whole-second part of times as MommyNet prints them (isoMicros is in ../flows.ts), for query results.
export { isoSecond } from '../iso-time.js';
