/**
 * `mommy-forensics export`: the database's flows and alerts as Parquet, hive
 * partitioned by UTC date and sensor, for a data lake that `query --lake`,
 * Spark or Trino read as it is. One JSON line per partition written on
 * stdout. Layout: docs/export.md.
 * @module
 */
import { DEFAULT_STORE_PATH, ExportError, exportStore } from '@mommynet/core/store';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';
import { openForReading } from '../store.js';
import { parseIsoTime } from '../time.js';

export function builder(y: Argv) {
  return y
    .option('out', { type: 'string', demandOption: true, describe: 'Lake directory (created if missing)' })
    .option('db', { type: 'string', default: DEFAULT_STORE_PATH, describe: 'DuckDB file to read' })
    .option('sensor', { type: 'string', describe: "Sensor name for every row (default: each capture's sensor)" })
    .option('since', { type: 'string', describe: 'Export the UTC days from the one holding this ISO time' })
    .option('until', { type: 'string', describe: 'Up to the day holding this ISO time (exclusive at midnight)' })
    .example('$0 export --out /srv/lake', 'every day in ./mommy.duckdb')
    .example('$0 export --out /srv/lake --since 2023-11-14 --until 2023-11-15', 'rewrite the partitions of 14 November')
    .epilogue(
      'Partitions are whole UTC days: --since/--until choose the days, and each (table, date, sensor)\n' +
        'partition written replaces the one on disk, so exporting again never duplicates rows.\n\n' +
        'Exit status: 0 written (or nothing to export); 1 usage error (a time, a sensor name);\n' +
        '5 the lake could not be written; 6 the database could not be opened.',
    );
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

export async function handler(argv: Args): Promise<void> {
  const since = argv.since !== undefined ? parseIsoTime(argv.since, 'since') : undefined;
  const until = argv.until !== undefined ? parseIsoTime(argv.until, 'until') : undefined;
  const store = await openForReading(argv.db);
  try {
    const written = await exportStore(store, { out: argv.out, sensor: argv.sensor, since, until });
    for (const p of written) process.stdout.write(JSON.stringify(p) + '\n');
    if (!written.length) process.stderr.write(`mommy-forensics: nothing to export from ${store.path}\n`);
  } catch (err) {
    if (err instanceof ExportError) throw new CliError(err.message, err.code === 'write_failed' ? EXIT.output : EXIT.usage);
    throw err;
  } finally {
    store.close();
  }
}
