/**
 * `mommy-forensics queries`: the saved queries, with their parameters and
 * defaults; `queries NAME` adds the SQL. Run one with
 * `mommy-forensics query --saved NAME --param k=v`.
 * @example
 * mommy-forensics queries port_scan_candidates
 * @module
 */
import { type QueryParameter, type SavedQuery, SAVED_QUERIES, QueryError, savedQuery } from '@mommynet/core/store';
import type { Argv, ArgumentsCamelCase } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';
import { TextSink } from '../output/sink.js';

export function builder(y: Argv) {
  return y
    .positional('name', { type: 'string', describe: 'Show this saved query with its SQL' })
    .option('format', { alias: 'f', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
    .example('$0 queries', 'names, descriptions and parameters')
    .example('$0 queries top_talkers', 'one saved query and its SQL');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

function parameterLine(p: QueryParameter): string {
  const value = p.default === undefined || p.default === null ? p.type.toUpperCase() : String(p.default);
  const note = p.default === undefined ? `${p.type}, required` : p.default === null ? `${p.type}, optional` : p.type;
  return `  --param ${`${p.name}=${value}`.padEnd(22)} ${p.description} (${note})`;
}

function describeQuery(q: SavedQuery, withSql: boolean): string {
  const lines = [`${q.name.padEnd(22)} ${q.description}`, ...q.parameters.map(parameterLine)];
  if (withSql) lines.push('', q.sql);
  return lines.join('\n') + '\n';
}

function asJson(q: SavedQuery) {
  return {
    name: q.name,
    description: q.description,
    parameters: q.parameters.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.default === undefined,
      default: p.default ?? null,
      ...(p.min !== undefined && { min: p.min }),
      ...(p.max !== undefined && { max: p.max }),
      description: p.description,
    })),
    sql: q.sql,
  };
}

export async function handler(argv: Args): Promise<void> {
  let queries: readonly SavedQuery[];
  try {
    queries = argv.name !== undefined ? [savedQuery(argv.name)] : SAVED_QUERIES;
  } catch (err) {
    if (err instanceof QueryError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  const sink = new TextSink();
  if (argv.format === 'json') await sink.write(JSON.stringify(queries.map(asJson), null, 2) + '\n');
  else await sink.write(queries.map((q) => describeQuery(q, argv.name !== undefined)).join('\n'));
  await sink.close();
}
