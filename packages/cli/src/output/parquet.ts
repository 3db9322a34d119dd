/**
 * Parquet output through an in-memory DuckDB: rows are appended, then
 * COPY writes the file (zstd). DuckDB is opened with extension loading off,
 * as everywhere in MommyNet.
 * @module
 */
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { DUCKDB_TYPES, type FlowColumn, type FlowColumnType, flowRecords } from '@mommynet/core';
import type { RecordBatch } from 'apache-arrow';

import { CliError, EXIT } from '../exit-codes.js';
import type { FlowWriter } from './formats.js';

type Append = (a: DuckDBAppender, v: never) => void;
const APPEND: Record<FlowColumnType, Append> = {
  u8: (a, v: number) => a.appendUTinyInt(v),
  u16: (a, v: number) => a.appendUSmallInt(v),
  u32: (a, v: number) => a.appendUInteger(v),
  u64: (a, v: number) => a.appendUBigInt(BigInt(v)),
  f64: (a, v: number) => a.appendDouble(v),
  timestamp_us: (a, v: number) => a.appendTimestamp(new DuckDBTimestampValue(BigInt(v))),
  utf8: (a, v: string) => a.appendVarchar(v),
  binary: (a, v: Uint8Array) => a.appendBlob(v),
};

export const DUCKDB_SAFE_OPTIONS = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
};

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class ParquetFlowWriter implements FlowWriter {
  readonly gone = false;
  private constructor(
    private readonly path: string,
    private readonly columns: readonly FlowColumn[],
    private readonly instance: DuckDBInstance,
    private readonly connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
    private readonly appender: DuckDBAppender,
  ) {}

  static async open(path: string, columns: readonly FlowColumn[]): Promise<ParquetFlowWriter> {
    if (!path || path === '-') throw new CliError('parquet output needs a file: use -o FILE.parquet', EXIT.usage);
    const instance = await DuckDBInstance.create(':memory:', DUCKDB_SAFE_OPTIONS);
    const connection = await instance.connect();
    const ddl = columns.map((c) => `${quoteIdent(c.name)} ${DUCKDB_TYPES[c.type]}`).join(', ');
    await connection.run(`CREATE TABLE flows (${ddl})`);
    const appender = await connection.createAppender('flows');
    return new ParquetFlowWriter(path, columns, instance, connection, appender);
  }

  async write(batch: RecordBatch): Promise<void> {
    for (const r of flowRecords(batch)) {
      for (const c of this.columns) {
        const v = r[c.name];
        if (v === null || v === undefined) this.appender.appendNull();
        else APPEND[c.type](this.appender, v as never);
      }
      this.appender.endRow();
    }
  }

  async close(): Promise<void> {
    try {
      this.appender.closeSync();
      await this.connection.run(`COPY flows TO ${quoteString(this.path)} (FORMAT parquet, COMPRESSION zstd)`);
    } catch (err) {
      throw new CliError(`cannot write ${this.path}: ${(err as Error).message}`, EXIT.output);
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
    }
  }
}
