/**
 * Query results as a Parquet file. The query's own session cannot write
 * files (read-only.ts turns file access off), so the result's data chunks
 * are appended, as they come, to a table in a separate in-memory DuckDB with
 * the same column types, which then writes the file (zstd).
 *
 * @example
 * const writer = await ParquetResultWriter.open({ format: 'parquet', output: 'out.parquet', columns, maxWidth: 0, maxRows: 0 });
 * @module
 */
import { type DuckDBAppender, type DuckDBConnection, type DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_SAFE_OPTIONS } from '@mommynet/core/store';

import { CliError, EXIT } from '../exit-codes.js';
import type { ResultWriter, ResultWriterOptions } from './results.js';
import { uniqueNames } from './values.js';

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class ParquetResultWriter implements ResultWriter {
  readonly gone = false;
  private constructor(
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
  ) {}

  static async open(options: ResultWriterOptions): Promise<ParquetResultWriter> {
    const path = options.output;
    if (!path || path === '-') throw new CliError('parquet output needs a file: use -o FILE.parquet', EXIT.usage);
    const instance = await DuckDBInstance.create(':memory:', DUCKDB_SAFE_OPTIONS);
    const connection = await instance.connect();
    const names = uniqueNames(options.columns.names);
    const columns = options.columns.types.map((t, i) => `${quoteIdent(names[i]!)} ${t.toString()}`);
    try {
      await connection.run(`CREATE TABLE result (${columns.join(', ')})`);
    } catch (err) {
      connection.closeSync();
      instance.closeSync();
      throw new CliError(`cannot write ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT.output);
    }
    const appender = await connection.createAppender('result');
    return new ParquetResultWriter(path, instance, connection, appender);
  }

  async write(chunk: DuckDBDataChunk): Promise<void> {
    this.appender.appendDataChunk(chunk);
  }

  async abort(): Promise<void> {
    try {
      this.appender.closeSync();
    } catch {
      // The table is dropped with the instance anyway.
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }

  async close(): Promise<void> {
    try {
      this.appender.closeSync();
      await this.connection.run(`COPY result TO ${quoteString(this.path)} (FORMAT parquet, COMPRESSION zstd)`);
    } catch (err) {
      throw new CliError(`cannot write ${this.path}: ${(err as Error).message.split('\n')[0]}`, EXIT.output);
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
    }
  }
}
