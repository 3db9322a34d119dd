/**
 * `mommy-forensics alerts`: the detectors' alerts from the store, most
 * severe and newest first, with filters; the same output formats as query,
 * and Suricata-EVE JSON lines with --eve.
 * @module
 */
import { createWriteStream } from 'node:fs';

import { ALERT_CATEGORIES, type AlertCategory, alertQuery, DEFAULT_STORE_PATH, type Severity, toEve } from '@mommynet/core/store';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';
import { RESULT_FORMATS, type ResultFormat, resultFormatFromPath, writeResult } from '../output/results.js';
import { openForReading } from '../store.js';
import { parseIsoTime } from '../time.js';

export function builder(y: Argv) {
  return y
    .option('db', { type: 'string', default: DEFAULT_STORE_PATH, describe: 'DuckDB file' })
    .option('since', { type: 'string', describe: 'Only alerts still going at or after this time (ISO-8601, UTC)' })
    .option('until', { type: 'string', describe: 'Only alerts that started before this time' })
    .option('category', { choices: ALERT_CATEGORIES, describe: 'Only this category' })
    .option('severity', { type: 'number', describe: 'Only severities up to this number (1 = critical only)' })
    .option('host', { type: 'string', describe: 'Only alerts with this address on either side' })
    .option('format', {
      alias: 'f',
      choices: [...RESULT_FORMATS, 'eve'] as const,
      describe: 'Output format; eve: Suricata EVE JSON lines (default: from -o, else table)',
    })
    .option('output', { alias: 'o', type: 'string', describe: 'Write here instead of standard output' })
    .option('eve', { type: 'string', describe: 'Also write the alerts as Suricata EVE JSON lines to this file' })
    .example('$0 alerts --severity 2', 'critical and high alerts')
    .example('$0 alerts --host 203.0.113.9 --since 2026-11-01', 'one host, since a day')
    .example('$0 alerts -f eve | jq .alert.signature', 'EVE JSON lines, for Filebeat, Splunk, jq');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

function severityArg(value: number | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  if (![1, 2, 3, 4].includes(value)) throw new CliError('--severity must be 1, 2, 3 or 4', EXIT.usage);
  return value as Severity;
}

async function writeEve(rows: Record<string, unknown>[], path: string): Promise<void> {
  const lines = rows.map((r) =>
    JSON.stringify(
      toEve({
        category: r.category as AlertCategory,
        severity: r.severity as Severity,
        detector: r.detector as string,
        start: Number(r.alert_time_us),
        end: Number(r.end_time_us ?? r.alert_time_us),
        ...(r.src_ip != null && { src_ip: r.src_ip as string }),
        ...(r.src_port != null && { src_port: r.src_port as number }),
        ...(r.dst_ip != null && { dst_ip: r.dst_ip as string }),
        ...(r.dst_port != null && { dst_port: r.dst_port as number }),
        ...(r.proto != null && { proto: r.proto as number }),
        ...(r.community_id != null && { community_id: r.community_id as string }),
        ...(r.score != null && { score: r.score as number }),
        message: r.message as string,
        details: JSON.parse((r.details as string) ?? '{}'),
      }),
    ),
  );
  const text = lines.length ? lines.join('\n') + '\n' : '';
  if (path === '-') {
    process.stdout.write(text);
    return;
  }

  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('error', (err) => reject(new CliError(`cannot write ${path}: ${err.message}`, EXIT.output)));
    out.end(text, resolve);
  });
}

export async function handler(argv: Args): Promise<void> {
  const filter = {
    ...(argv.since !== undefined && { since: parseIsoTime(argv.since, 'since') }),
    ...(argv.until !== undefined && { until: parseIsoTime(argv.until, 'until') }),
    ...(argv.category !== undefined && { category: argv.category as AlertCategory }),
    ...(argv.severity !== undefined && { maxSeverity: severityArg(argv.severity) }),
    ...(argv.host !== undefined && { host: argv.host }),
  };
  const { sql, params } = alertQuery(filter);
  const store = await openForReading(argv.db);
  try {
    const eveTargets = [argv.eve, argv.format === 'eve' ? (argv.output ?? '-') : undefined].filter((t) => t !== undefined);
    if (eveTargets.length) {
      const rows = await store.all(
        `SELECT *, epoch_us(alert_time) AS alert_time_us, epoch_us(end_time) AS end_time_us FROM (${sql})`,
        params,
      );
      for (const target of eveTargets) await writeEve(rows, target);
      if (argv.format === 'eve') return;
    }
    const format: ResultFormat = (argv.format as ResultFormat | undefined) ?? resultFormatFromPath(argv.output) ?? 'table';
    const result = await store.connection.stream(sql, params);
    await writeResult(result, async () => {
      const chunk = await result.fetchChunk();
      return chunk && chunk.rowCount > 0 ? chunk : null;
    }, { format, output: argv.output, maxWidth: 60, maxRows: 0 });
  } finally {
    store.close();
  }
}
