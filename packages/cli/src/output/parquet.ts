/**
 * Parquet output through an in-memory DuckDB: batches go into a `flows`
 * table by the store's own appender (numbers copied from the Arrow buffers),
 * then COPY writes the chosen columns to the file (zstd). DuckDB is opened
 * with extension loading off, as everywhere in MommyNet.
 * @module
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_SAFE_OPTIONS, type FlowColumn, FlowAppender, STORE_DDL } from '@mommynet/core';
import type { RecordBatch } from 'apache-arrow';

import { CliError, EXIT } from '../exit-codes.js';
import type { FlowWriter } from './formats.js';

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class ParquetFlowWriter implements FlowWriter {
  readonly gone = false;
  private constructor(
    private readonly path: string,
    private readonly columns: readonly FlowColumn[],
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly appender: FlowAppender,
  ) {}

  static async open(path: string, columns: readonly FlowColumn[]): Promise<ParquetFlowWriter> {
    if (!path || path === '-') throw new CliError('parquet output needs a file: use -o FILE.parquet', EXIT.usage);
    const instance = await DuckDBInstance.create(':memory:', DUCKDB_SAFE_OPTIONS);
    const connection = await instance.connect();
    for (const statement of STORE_DDL) await connection.run(statement);
    const appender = await FlowAppender.create(connection);
    return new ParquetFlowWriter(path, columns, instance, connection, appender);
  }

  async write(batch: RecordBatch): Promise<void> {
    this.appender.append(batch, 0);
  }

  async close(): Promise<void> {
    try {
      this.appender.close();
      const selected = this.columns.map((c) => quoteIdent(c.name)).join(', ');
      await this.connection.run(`COPY (SELECT ${selected} FROM flows) TO ${quoteString(this.path)} (FORMAT parquet, COMPRESSION zstd)`);
    } catch (err) {
      throw new CliError(`cannot write ${this.path}: ${(err as Error).message}`, EXIT.output);
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
    }
  }
}
