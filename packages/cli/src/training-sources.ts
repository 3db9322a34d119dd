/**
 * What `train --from` names: capture files (and directories and globs of
 * them), forensics databases, Parquet files of flows, or CSV files of a
 * tabular dataset. Captures, databases and Parquet files all give flow
 * batches, read one source after the other; which one a file is comes from
 * its first bytes, so the name does not matter. CSV files are read apart
 * (csv-features.ts): their columns are not flow features.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Capture, DUCKDB_SAFE_OPTIONS } from '@mommynet/core';
import type { RecordBatch } from 'apache-arrow';

import { CliError, EXIT } from './exit-codes.js';
import { flowBatches, STORED_FLOW_COLUMNS, STORED_FLOW_SELECT } from './flow-batches.js';
import { expandCaptureArgs } from './inputs.js';
import { openForReading } from './store.js';

export type SourceKind = 'capture' | 'database' | 'parquet' | 'csv';

export interface Source {
  path: string;
  kind: SourceKind;
}

/** Which stored flows to read from databases and Parquet files, by start time. */
export interface TimeFilter {
  since?: Date;
  /** The last `days` days before the source's newest flow. */
  days?: number;
}

export interface FlowSourceStream {
  source: Source;
  /** The source as the model card records it (with the time range read). */
  description: string;
  batches: AsyncIterable<RecordBatch>;
}

/** A database by DuckDB's magic at byte 8, Parquet by its own at byte 0; anything else is left to the capture reader. */
function sniff(path: string): Exclude<SourceKind, 'csv'> {
  const head = Buffer.alloc(12);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    throw new CliError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, EXIT.input);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (head.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
  if (head.toString('latin1', 8, 12) === 'DUCK') return 'database';
  return 'capture';
}

/**
 * The files `args` name, each with its kind: CSV when `csv` is set or the
 * name ends in .csv, else by its first bytes. A name that matches nothing is
 * an error: a model trained on part of what was meant is worse than none.
 */
export function classifySources(args: readonly string[], csv: boolean): Source[] {
  const { files, missing } = expandCaptureArgs(args);
  if (missing.length) throw new CliError(`${missing.join(', ')}: no capture files found`, EXIT.input);
  const sources = files.map((path): Source => ({ path, kind: csv || /\.csv$/i.test(path) ? 'csv' : sniff(path) }));
  const table = sources.find((s) => s.kind === 'csv');
  const flows = sources.find((s) => s.kind !== 'csv');
  if (table && flows) throw new CliError(`${table.path} is a CSV file and ${flows.path} holds flows: train on one or the other`, EXIT.usage);
  return sources;
}

const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Reads flows from `relation` in start-time order (so no host window sees a late flow), limited by `filter`. */
async function* storedFlows(
  source: Source,
  connection: DuckDBConnection,
  relation: string,
  filter: TimeFilter,
): AsyncGenerator<FlowSourceStream> {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const range: string[] = [];
  if (filter.since) {
    where.push('start_time >= make_timestamp($since)');
    params.since = filter.since.getTime() * 1000;
    range.push(`since ${filter.since.toISOString()}`);
  }
  if (filter.days !== undefined) {
    const newest = (await connection.runAndReadAll(`SELECT epoch_us(max(start_time))::DOUBLE FROM ${relation}`)).getRows()[0]![0] as number | null;
    params.cutoff = (newest ?? 0) - filter.days * 86_400e6;
    where.push('start_time >= make_timestamp($cutoff::BIGINT)');
    range.push(`the last ${filter.days} days to ${newest === null ? 'no flows' : new Date(newest / 1000).toISOString()}`);
  }
  const sql = `SELECT ${STORED_FLOW_SELECT} FROM ${relation} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_time`;
  yield { source, description: `${source.path}: flows${range.length ? ` (${range.join(', ')})` : ''}`, batches: flowBatches(connection, sql, params) };
}

async function* parquetFlows(source: Source, filter: TimeFilter): AsyncGenerator<FlowSourceStream> {
  const instance = await DuckDBInstance.create(':memory:', DUCKDB_SAFE_OPTIONS);
  const connection = await instance.connect();
  try {
    const relation = `read_parquet(${quoteString(source.path)})`;
    let names: string[];
    try {
      names = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjectsJS().map((r) => String(r.column_name));
    } catch (err) {
      throw new CliError(`${source.path}: not a Parquet file DuckDB can read (${(err as Error).message.split('\n')[0]})`, EXIT.input);
    }
    const missing = STORED_FLOW_COLUMNS.filter((c) => !names.includes(c.name)).map((c) => c.name);
    if (missing.length) throw new CliError(`${source.path}: not a file of flows, it has no column ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`, EXIT.input);
    yield* storedFlows(source, connection, relation, filter);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function* databaseFlows(source: Source, filter: TimeFilter): AsyncGenerator<FlowSourceStream> {
  const store = await openForReading(source.path);
  try {
    yield* storedFlows(source, store.connection, 'flows', filter);
  } finally {
    store.close();
  }
}

/**
 * Each flow source's batches, one source at a time: a database or Parquet
 * file stays open until its batches have been read and the next is asked for.
 */
export async function* flowStreams(sources: readonly Source[], filter: TimeFilter): AsyncGenerator<FlowSourceStream> {
  for (const source of sources) {
    if (source.kind === 'capture') yield { source, description: source.path, batches: Capture.openFile(source.path) };
    else if (source.kind === 'database') yield* databaseFlows(source, filter);
    else if (source.kind === 'parquet') yield* parquetFlows(source, filter);
    else throw new CliError(`${source.path}: a CSV file cannot be read as flows`, EXIT.usage);
  }
}
