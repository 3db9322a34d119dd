/**
 * `mommy-forensics evaluate`: ingests captures with detection and scores the
 * alerts against a labels file: per category, precision and recall over
 * flows and over episodes; per capture, which labelled attacks were found;
 * and the false alerts (per 10 000 benign flows, by severity). Matching
 * rules: docs/evaluate.md.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import {
  type Alert,
  type CaptureScore,
  type Episode,
  episodesFor,
  type EvaluatedFlow,
  type EvaluationReport,
  LabelError,
  loadLabels,
  Scorer,
  type Store,
} from '@mommynet/core';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { flowOptionsFrom, withFlowOptions } from '../flow-options.js';
import { describeResult, detectionSetup, exitCodeFor, ingestFiles, loadScoring, withDetectionOptions, withModelOptions } from '../ingest-files.js';
import { expandCaptureArgs } from '../inputs.js';
import { alignedTable, markdownTable } from '../output/aligned.js';
import { ProgressReporter } from '../progress.js';
import { openForWriting } from '../store.js';

export function builder(y: Argv) {
  return withModelOptions(withDetectionOptions(withFlowOptions(y)))
    .positional('captures', { type: 'string', array: true, demandOption: true, describe: 'capture files, directories or quoted globs' })
    .option('labels', { type: 'string', demandOption: true, describe: 'Labels file: one attack episode per JSON line (docs/evaluate.md)' })
    .option('db', { type: 'string', describe: 'Keep the ingested flows and alerts in this DuckDB file (default: a temporary one)' })
    .option('format', {
      alias: 'f',
      choices: ['table', 'json', 'markdown'] as const,
      default: 'table' as const,
      describe: 'Report as aligned text, one JSON object, or Markdown tables (for a README)',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress' })
    .example('$0 evaluate --labels datasets/sim/mixed.labels.jsonl --intel datasets/sim/mixed.intel.txt datasets/sim/mixed.pcap', 'the simulator\'s attacks')
    .example('$0 evaluate --labels datasets/corpus/labels.jsonl ../shared/corpus/pcaps -f json', 'a directory of captures, as JSON');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

/** The stored flows of one capture, only the fields matching looks at. */
async function storedFlows(store: Store, captureId: number): Promise<EvaluatedFlow[]> {
  return store.all<EvaluatedFlow>(
    `SELECT src_ip, dst_ip, proto, dst_port, epoch_us(start_time)::DOUBLE AS "startUs", epoch_us(end_time)::DOUBLE AS "endUs"
     FROM flows WHERE capture_id = $id`,
    { id: captureId },
  );
}

const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(3));

const CATEGORY_HEADER = ['category', 'flows', 'flow_precision', 'flow_recall', 'episodes', 'found', 'alerts', 'episode_precision', 'episode_recall'];
const CAPTURE_HEADER = ['capture', 'flows', 'benign', 'labelled attacks found', 'false alerts (severity 1/2/3/4)'];

function categoryRows(report: EvaluationReport): (string | number)[][] {
  return report.categories.map((c) => [
    c.category,
    c.flows.labelled,
    fixed(c.flows.precision),
    fixed(c.flows.recall),
    c.episodes.labelled,
    c.episodes.detected,
    c.episodes.claimed,
    fixed(c.episodes.precision),
    fixed(c.episodes.recall),
  ]);
}

function captureRows(report: EvaluationReport): (string | number)[][] {
  return report.captures.map((c: CaptureScore) => [
    c.capture,
    c.flows,
    c.benignFlows,
    c.episodes.map((e) => `${e.category} ${e.detected}/${e.labelled}`).join(', ') || '-',
    c.falseAlertsBySeverity.join('/'),
  ]);
}

function summaryLine(report: EvaluationReport): string {
  const per10k = report.falseAlertsPer10kBenign === null ? '-' : report.falseAlertsPer10kBenign.toFixed(2);
  return (
    `${report.flows} flows, ${report.benignFlows} benign; ${report.falseAlerts} false alerts (${per10k} per 10 000 benign flows; ` +
    `severity 1/2/3/4: ${report.falseAlertsBySeverity.join('/')})`
  );
}

function formatReport(report: EvaluationReport, format: 'table' | 'markdown'): string {
  const table = format === 'markdown' ? markdownTable : alignedTable;
  return [table(CATEGORY_HEADER, categoryRows(report)), '', table(CAPTURE_HEADER, captureRows(report)), '', summaryLine(report), ''].join('\n');
}

export async function handler(argv: Args): Promise<void> {
  let episodes: Episode[];
  try {
    episodes = loadLabels(argv.labels);
  } catch (err) {
    if (err instanceof LabelError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  const detection = detectionSetup(argv);
  const scoring = await loadScoring(argv);
  const { files, missing } = expandCaptureArgs(argv.captures);
  for (const m of missing) process.stderr.write(`mommy-forensics: ${m}: no capture files found\n`);
  let exitCode: ExitCode = missing.length ? EXIT.input : EXIT.ok;

  const scratch = argv.db === undefined ? mkdtempSync(join(tmpdir(), 'mommy-evaluate-')) : undefined;
  const store = await openForWriting(argv.db ?? join(scratch!, 'evaluate.duckdb'));
  const scorer = new Scorer();
  try {
    const ingested = ingestFiles(store, files, { flowOptions: flowOptionsFrom(argv), force: true, detection, scoring, progress: new ProgressReporter(argv.quiet) });
    const stored: { name: string; captureId: number; alerts: Alert[] }[] = [];
    for await (const { result, alerts } of ingested) {
      const note = describeResult(result);
      if (note) process.stderr.write(`mommy-forensics: ${note}\n`);
      exitCode = Math.max(exitCode, exitCodeFor(result)) as ExitCode;
      if (result.captureId !== undefined && result.status !== 'failed') stored.push({ name: basename(result.path), captureId: result.captureId, alerts });
    }
    // Read back once the ingest has ended: small captures' flows are committed together, a row group at a time.
    for (const { name, captureId, alerts } of stored) scorer.addCapture(name, await storedFlows(store, captureId), alerts, episodesFor(episodes, name));
  } finally {
    store.close();
    await scoring.flows?.close();
    await scoring.hosts?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  const report = scorer.report();
  process.stdout.write(argv.format === 'json' ? `${JSON.stringify(report)}\n` : formatReport(report, argv.format));
  process.exitCode = exitCode;
}
