/**
 * `mommy-forensics query`: read-only SQL, or a saved query, over the store
 * (`--db`, default ./mommy.duckdb) or a Parquet lake of many sensors
 * (`--lake`). The SQL cannot write, attach, load, set, or read files other
 * than the lake and the `--allow` paths (core's ReadOnlySession). Output as
 * an aligned table (default), CSV, JSON, JSON lines or Parquet.
 *
 * Exit status: 1 for bad arguments and for SQL that is refused or fails
 * (DuckDB's message, and its LINE/caret excerpt under it); 5 when the
 * output cannot be written; 6 when the database or lake cannot be opened.
 * @example
 * mommy-forensics query --saved top_talkers -p limit=5 -f csv
 * @module
 */
import { type DuckDBDataChunk, type DuckDBResult, StatementType } from '@duckdb/node-api';
import {
  DEFAULT_STORE_PATH,
  parseParameterArgs,
  QueryError,
  queryError,
  ReadOnlySession,
  savedQuery,
  bindParameters,
  StoreError,
} from '@mommynet/core/store';
import type { Argv, ArgumentsCamelCase } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';
import { escapeMessage, escapeSqlContext, escapeText } from '../output/escape.js';
import { RESULT_FORMATS, type ResultFormat, resultFormatFromPath, writeResult } from '../output/results.js';
import { TextSink } from '../output/sink.js';

export function builder(y: Argv) {
  return y
    .positional('sql', { type: 'string', describe: 'One SELECT, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN statement' })
    .option('db', { type: 'string', describe: `The store's DuckDB file (default ./${DEFAULT_STORE_PATH})` })
    .option('lake', { type: 'string', describe: 'Parquet files instead of a store: a directory, a file, or a glob (docs/query.md)' })
    .option('saved', { alias: 's', type: 'string', describe: 'Run this saved query (see: mommy-forensics queries)' })
    .option('param', { alias: 'p', type: 'string', array: true, describe: 'NAME=VALUE for the placeholder $NAME (repeatable)' })
    .option('allow', { type: 'string', array: true, describe: 'A file or directory the SQL may read (repeatable)' })
    .option('format', { alias: 'f', choices: RESULT_FORMATS, describe: 'Output format (default: from the -o extension, else table)' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of standard output' })
    .option('max-width', { type: 'number', default: 40, describe: 'Table: longest cell shown, characters (0: no limit)' })
    .option('max-rows', { type: 'number', default: 1000, describe: 'Table: most rows shown (0: all)' })
    .conflicts('db', 'lake')
    .example('$0 query "SELECT dst_port, count(*) FROM flows GROUP BY ALL"', 'ad-hoc SQL over ./mommy.duckdb')
    .example('$0 query --saved top_talkers --param limit=5 --param since=2025-06-01', 'a saved query with parameters')
    .example("$0 query --lake 'lake/**/*.parquet' \"FROM flows LIMIT 5\"", 'Parquet of many sensors, no DuckDB file')
    .example("$0 query 'FROM flows WHERE dst_port = $p' -p p=22 -o ssh.parquet", 'bound parameter, Parquet output');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

/** A refused or failed query: DuckDB's message on the first line, its LINE/caret excerpt under it. */
function queryFailure(err: QueryError): CliError {
  const context = err.context ? `\n${escapeSqlContext(err.context)}` : '';
  return new CliError(`${escapeMessage(err.message)}${context}`, EXIT.usage);
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw usage(`--${name} must be a whole number, 0 or more`);
  return value;
}

async function fetch(result: DuckDBResult): Promise<DuckDBDataChunk | null> {
  try {
    const chunk = await result.fetchChunk();
    return chunk && chunk.rowCount > 0 ? chunk : null;
  } catch (err) {
    throw queryError(err);
  }
}

/** EXPLAIN's plan in a table is one cell of many lines: printed as lines instead, each escaped. */
async function writePlan(result: DuckDBResult, output: string | undefined): Promise<void> {
  const sink = new TextSink(output);
  for (let chunk = await fetch(result); chunk; chunk = await fetch(result))
    for (const row of chunk.getRows()) await sink.write(String(row.at(-1) ?? '').split('\n').map(escapeText).join('\n') + '\n');
  await sink.close();
}

async function writeQueryResult(result: DuckDBResult, argv: Args, format: ResultFormat): Promise<void> {
  if (format === 'table' && result.statementType === StatementType.EXPLAIN) return writePlan(result, argv.output);
  await writeResult(result, () => fetch(result), {
    format,
    output: argv.output,
    maxWidth: checkCount('max-width', argv.maxWidth),
    maxRows: checkCount('max-rows', argv.maxRows),
  });
}

export async function handler(argv: Args): Promise<void> {
  if (argv.sql !== undefined && argv.saved !== undefined) throw usage('give SQL or --saved NAME, not both');
  if (argv.sql === undefined && argv.saved === undefined) throw usage('give SQL, or --saved NAME (list them with: mommy-forensics queries)');
  const format: ResultFormat = (argv.format as ResultFormat | undefined) ?? resultFormatFromPath(argv.output) ?? 'table';
  if (format === 'parquet' && (!argv.output || argv.output === '-')) throw usage('parquet output needs a file: use -o FILE.parquet');
  checkCount('max-width', argv.maxWidth);
  checkCount('max-rows', argv.maxRows);

  let params: Record<string, string>;
  const saved = argv.saved;
  try {
    params = parseParameterArgs(argv.param);
    // Check the saved query and its parameters before opening anything.
    if (saved !== undefined) bindParameters(savedQuery(saved), params);
  } catch (err) {
    if (err instanceof QueryError) throw queryFailure(err);
    throw err;
  }

  let session: ReadOnlySession;
  try {
    session = await ReadOnlySession.open({
      ...(argv.lake !== undefined ? { lake: argv.lake } : { db: argv.db ?? DEFAULT_STORE_PATH }),
      allow: argv.allow ?? [],
    });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(escapeMessage(err.message), EXIT.store);
    throw err;
  }
  try {
    const result = saved !== undefined ? await session.streamSaved(savedQuery(saved), params) : await session.stream(argv.sql!, params);
    await writeQueryResult(result, argv, format);
  } catch (err) {
    if (err instanceof QueryError) throw queryFailure(err);
    throw err;
  } finally {
    session.close();
  }
}
