/**
 * `mommy-forensics ingest`: captures into the store. Files, directories
 * (searched recursively for capture files) and quoted globs; the detectors
 * run over every stored flow and their alerts are stored with the capture;
 * progress on stderr; one summary on stdout at the end (a JSON object with
 * --json).
 * @module
 */
import { DEFAULT_STORE_PATH } from '@mommynet/core';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { openForWriting } from '../store.js';
import { flowOptionsFrom, withFlowOptions } from '../flow-options.js';
import { expandCaptureArgs, settledFiles } from '../inputs.js';
import { describeResult, detectionSetup, exitCodeFor, ingestFiles, loadScoring, withDetectionOptions, withModelOptions } from '../ingest-files.js';
import { ProgressReporter } from '../progress.js';
import { onStopSignals } from '../signals.js';

export function builder(y: Argv) {
  return withModelOptions(withDetectionOptions(withFlowOptions(y)))
    .positional('captures', { type: 'string', array: true, demandOption: true, describe: 'capture files, directories or quoted globs' })
    .option('db', { type: 'string', default: DEFAULT_STORE_PATH, describe: 'DuckDB file (created if missing)' })
    .option('force', { type: 'boolean', default: false, describe: 'Ingest again captures already in the database, even unchanged ones' })
    .option('sensor', { type: 'string', describe: 'Name of this sensor in the database (default: host name)' })
    .option('min-age', {
      type: 'number',
      default: 0,
      describe: 'Leave files modified less than this many seconds ago for a later run (captures still being written)',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress, only errors and the summary' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
    .option('detect', { type: 'boolean', default: true, describe: 'Run the rule detectors and store their alerts (--no-detect: skip them)' })
    .example('$0 ingest trace.pcap', 'into ./mommy.duckdb')
    .example("$0 ingest /var/captures 'old/**/*.pcap.gz' --db cases/incident-42.duckdb", 'a directory and a glob')
    .example('$0 ingest trace.pcap --force', 'replace what an earlier ingest of the same file wrote')
    .example('$0 ingest /var/captures --min-age 60 -q', 'from cron: what changed, but not the file tcpdump is writing')
    .epilogue(
      'Ingesting a directory again reads only what changed: a file with the path, size and\n' +
        'modification time of its last ingest is skipped unread; one whose content is already stored\n' +
        '(same SHA-256) is skipped; one that grew since (a capture still being written) replaces what\n' +
        'was stored of it.\n\n' +
        'Ctrl-C stops cleanly: the captures read so far are stored, the one being read is left\n' +
        'incomplete, and ingesting the same files again finishes it. A second Ctrl-C exits at once.\n\n' +
        'Exit status: 0 success (also when captures were already present); 2 a capture could not be\n' +
        'opened; 3 a capture is damaged (what was read is stored); 6 the database could not be opened\n' +
        'or written; 130 interrupted.',
    );
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

interface Summary {
  db: string;
  captures: number;
  ingested: number;
  already_present: number;
  /** Modified less than --min-age seconds ago: left for a later run. */
  left_for_later: number;
  damaged: number;
  failed: number;
  packets: number;
  flows: number;
  skipped_packets: number;
  alerts: number;
  /** Stopped by Ctrl-C or SIGTERM: the captures counted are those finished before. */
  interrupted: boolean;
  seconds: number;
}

export async function handler(argv: Args): Promise<void> {
  const detection = argv.detect ? detectionSetup(argv) : undefined;
  const scoring = await loadScoring(argv);
  const started = performance.now();
  const expanded = expandCaptureArgs(argv.captures);
  for (const m of expanded.missing) process.stderr.write(`mommy-forensics: ${m}: no capture files found\n`);
  if (!(argv.minAge >= 0)) throw new CliError('--min-age must be a number of seconds (0 or more)', EXIT.usage);
  const { settled: files, recent } = settledFiles(expanded.files, argv.minAge);
  for (const r of recent)
    process.stderr.write(`mommy-forensics: ${r.path}: modified ${Math.max(0, Math.floor(r.age))} s ago, left for a later ingest (--min-age ${argv.minAge})\n`);
  let exitCode: ExitCode = expanded.missing.length ? EXIT.input : EXIT.ok;

  const store = await openForWriting(argv.db);
  const summary: Summary = {
    db: store.path, captures: files.length + recent.length, ingested: 0, already_present: 0, left_for_later: recent.length, damaged: 0, failed: 0,
    packets: 0, flows: 0, skipped_packets: 0, alerts: 0, interrupted: false, seconds: 0,
  };
  const progress = new ProgressReporter(argv.quiet);
  // Ctrl-C / SIGTERM: the capture being read is left incomplete, what was read before is committed.
  const interrupt = new AbortController();
  const release = onStopSignals(() => interrupt.abort());
  try {
    const ingested = ingestFiles(store, files, {
      flowOptions: flowOptionsFrom(argv),
      force: argv.force,
      ...(argv.sensor !== undefined && { sensor: argv.sensor }),
      detection,
      scoring,
      progress,
      signal: interrupt.signal,
    });
    try {
      for await (const { result, alerts } of ingested) {
        summary.alerts += alerts.length;
        const note = describeResult(result);
        if (note) process.stderr.write(`mommy-forensics: ${note}\n`);
        exitCode = Math.max(exitCode, exitCodeFor(result)) as ExitCode;
        if (result.status === 'complete') summary.ingested++;
        else if (result.status === 'skipped') summary.already_present++;
        else if (result.status === 'damaged') summary.damaged++;
        else summary.failed++;
        summary.packets += result.packets;
        summary.flows += result.flows;
        summary.skipped_packets += result.skipped;
      }
    } catch (err) {
      if (!(err instanceof CliError && err.exitCode === EXIT.interrupted)) throw err;
      process.stderr.write(`mommy-forensics: ${err.message}\n`);
      summary.interrupted = true;
      exitCode = EXIT.interrupted;
    }
  } finally {
    release();
    store.close();
    await scoring.flows?.close();
    await scoring.hosts?.close();
  }
  summary.seconds = Math.round(performance.now() - started) / 1000;
  process.stdout.write(
    argv.json
      ? `${JSON.stringify(summary)}\n`
      : `${summary.interrupted ? 'interrupted: ' : ''}${summary.captures} captures (${summary.ingested} ingested, ${summary.already_present} already present, ` +
          `${summary.left_for_later ? `${summary.left_for_later} left for later, ` : ''}${summary.damaged} damaged, ${summary.failed} failed): ${summary.packets} packets, ${summary.flows} flows, ` +
          `${summary.skipped_packets} packets skipped, ${summary.alerts} alerts, ${summary.seconds} s -> ${summary.db}\n`,
  );
  process.exitCode = exitCode;
}
