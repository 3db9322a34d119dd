/**
 * The forensics store's tables, defined once. `captures` has one row per
 * ingested source, `flows` every flow record of every capture, `alerts` the
 * detectors' findings. Types fit the data (unsigned integers, TIMESTAMP in
 * UTC, BLOB for payload prefixes). Flows are appended in capture-time order,
 * so DuckDB's per-block min/max (zone maps) skip most of the table on the
 * common time filters; see docs/store.md.
 *
 * @example
 * import { STORE_DDL } from '@mommynet/core';
 * for (const statement of STORE_DDL) await connection.run(statement);
 * @module
 */
import { DUCKDB_TYPES, FLOW_COLUMNS } from '../flow-columns.js';

/** Bumped whenever a table changes; stored in `mommynet_meta`. */
export const STORE_SCHEMA_VERSION = 4;

export type CaptureStatus = 'incomplete' | 'complete' | 'damaged';

/**
 * Flow columns stored without compression. A Community ID is a hash in
 * base64: DuckDB's analysis of it for FSST and dictionary compression took
 * a seventh of its work in an ingest and saved 4 bytes a row, and looking a
 * flow up by its Community ID reads it 3.8 times faster uncompressed
 * (docs/benchmarks.md). Databases created before keep DuckDB's choice.
 */
const UNCOMPRESSED_FLOW_COLUMNS: ReadonlySet<string> = new Set(['community_id']);

const flowColumns = FLOW_COLUMNS.map(
  (c) =>
    `  ${c.name} ${DUCKDB_TYPES[c.type]}${UNCOMPRESSED_FLOW_COLUMNS.has(c.name) ? ' USING COMPRESSION uncompressed' : ''}${c.nullable ? '' : ' NOT NULL'}`,
).join(',\n');

export const STORE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS mommynet_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE SEQUENCE IF NOT EXISTS capture_ids START 1`,
  `CREATE TABLE IF NOT EXISTS captures (
  capture_id UINTEGER PRIMARY KEY DEFAULT nextval('capture_ids'),
  path VARCHAR NOT NULL,             -- as given, made absolute
  size UBIGINT NOT NULL,             -- bytes on disk
  sha256 VARCHAR NOT NULL,           -- of the file as stored (compressed if .gz)
  format VARCHAR,                    -- pcap, pcap-ns, pcapng
  link_types USMALLINT[],            -- LINKTYPE_ numbers seen
  first_packet TIMESTAMP,
  last_packet TIMESTAMP,
  packets UBIGINT NOT NULL DEFAULT 0,
  decoded UBIGINT NOT NULL DEFAULT 0,
  skipped UBIGINT NOT NULL DEFAULT 0,
  skipped_by_reason JSON,            -- {"not_ip": 4, ...}
  flows UBIGINT NOT NULL DEFAULT 0,
  status VARCHAR NOT NULL,           -- incomplete (ingest running or cut off), complete, damaged (read up to an error)
  error VARCHAR,                     -- the capture error of a damaged file
  sensor VARCHAR NOT NULL,           -- which machine ingested it
  ingest_started TIMESTAMP NOT NULL,
  ingest_finished TIMESTAMP,
  mtime TIMESTAMP                    -- the file's modification time when it was opened (UTC)
)`,
  `CREATE TABLE IF NOT EXISTS flows (
  capture_id UINTEGER NOT NULL,
${flowColumns},
  anomaly_score FLOAT                -- Isolation Forest score (0..1, higher = more anomalous); NULL when not scored
)`,
  `CREATE SEQUENCE IF NOT EXISTS alert_ids START 1`,
  `CREATE TABLE IF NOT EXISTS alerts (
  alert_id UBIGINT PRIMARY KEY DEFAULT nextval('alert_ids'),
  alert_time TIMESTAMP NOT NULL,     -- start of the episode
  end_time TIMESTAMP,                -- last evidence so far
  category VARCHAR NOT NULL,         -- port_scan, syn_flood, ... (docs/alerts.md)
  severity UTINYINT NOT NULL,        -- 1 = critical ... 4 = low
  src_ip VARCHAR,
  src_port USMALLINT,
  dst_ip VARCHAR,
  dst_port USMALLINT,
  proto UTINYINT,
  community_id VARCHAR,
  detector VARCHAR NOT NULL,
  score DOUBLE,
  message VARCHAR NOT NULL,
  details JSON,                      -- evidence: thresholds crossed, sample flows, matched pattern
  capture_id UINTEGER
)`,
  `CREATE INDEX IF NOT EXISTS captures_sha256 ON captures (sha256)`,
];

/** The flows table's columns in order: capture_id, the flow record, the anomaly score. */
export const FLOW_TABLE_COLUMNS: readonly string[] = ['capture_id', ...FLOW_COLUMNS.map((c) => c.name), 'anomaly_score'];

/** What each schema version adds to a database written by the one before (run in order when a writer opens it). */
export const STORE_MIGRATIONS: Readonly<Record<number, readonly string[]>> = {
  2: ['ALTER TABLE flows ADD COLUMN IF NOT EXISTS anomaly_score FLOAT'],
  // ARP exchanges are flows without an IP protocol or a Community ID.
  3: ['ALTER TABLE flows ALTER COLUMN proto DROP NOT NULL', 'ALTER TABLE flows ALTER COLUMN community_id DROP NOT NULL'],
  // An ingest skips a file unchanged since (same path, size and modification time) without reading it.
  4: ['ALTER TABLE captures ADD COLUMN IF NOT EXISTS mtime TIMESTAMP'],
};
