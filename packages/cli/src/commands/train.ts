/**
 * `mommy-forensics train`: trains an Isolation Forest (flow features, or
 * the columns of a CSV dataset) or an LSTM (per-host window sequences) and
 * writes it as a model file, NAME.onnx beside its card NAME.json. With
 * labels (a labels file for captures, a label column for CSV) it trains on
 * the benign rows and records its figures on all of them in the card.
 * `--update` trains a model again on a database's recent flows with the
 * hyper-parameters its card records. Card format and threshold rule:
 * docs/models.md.
 * @module
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';

import {
  benignRows,
  benignSequences,
  CaptureError,
  concatLabelledMatrices,
  concatSequences,
  DEFAULT_FOREST,
  DEFAULT_HOST_WINDOWS,
  DEFAULT_LSTM,
  DEFAULT_LSTM_TRAINING,
  type Episode,
  episodesFor,
  evaluateForest,
  evaluateLstm,
  FLOW_FEATURE_NAMES,
  flowRows,
  forestOptionsOf,
  HOST_WINDOW_FEATURES,
  hostRows,
  LabelError,
  type LabelledMatrix,
  type LabelledSequences,
  loadLabels,
  loadModel,
  lstmOptionsOf,
  type ModelCard,
  ModelError,
  type ModelKind,
  modelCardPath,
  OnnxForestScorer,
  OnnxLstmScorer,
  saveModel,
  type ScoreEvaluation,
  SHIPPED_MODELS_DIR,
  trainForestModel,
  trainLstmModel,
} from '@mommynet/core';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { readCsvRows } from '../csv-features.js';
import { CliError, EXIT } from '../exit-codes.js';
import { parseIsoTime } from '../time.js';
import { classifySources, flowStreams, type Source, type TimeFilter } from '../training-sources.js';

export function builder(y: Argv) {
  return y
    .option('model', { choices: ['isolation-forest', 'lstm'] as const, describe: 'Kind of model (required unless --update)' })
    .option('from', { type: 'string', array: true, describe: 'Captures, directories, quoted globs, DuckDB databases, Parquet files of flows, or CSV files' })
    .option('db', { type: 'string', describe: 'A forensics database to read flows from (with --update: the one to train on)' })
    .option('name', { type: 'string', describe: 'Model name: NAME.onnx and NAME.json (default: the first source\'s name and the kind)' })
    .option('out', { type: 'string', default: SHIPPED_MODELS_DIR, defaultDescription: 'models/', describe: 'Directory to write the model to (where ingest --model NAME looks)' })
    .option('force', { type: 'boolean', default: false, describe: 'Replace a model of the same name' })
    .option('update', { type: 'boolean', default: false, describe: 'Train model --name again from --db with the hyper-parameters of its card' })
    .option('since', { type: 'string', describe: 'Databases and Parquet files: flows that started at or after this ISO time' })
    .option('days', { type: 'number', describe: 'Databases and Parquet files: flows of the last N days before the newest one' })
    .option('labels', { type: 'string', describe: 'Labels file for capture sources: train on the benign flows, evaluate on all' })
    .option('label-column', { type: 'string', describe: 'CSV: the column holding each row\'s class' })
    .option('benign-label', { type: 'string', default: 'normal', describe: 'CSV: the class of benign rows (case ignored)' })
    .option('features', { type: 'string', describe: 'CSV: comma-separated feature columns (default: every numeric column but the label)' })
    .option('seed', { type: 'number', describe: 'Seed of the forest or the LSTM weights (default 1)' })
    .option('trees', { type: 'number', describe: `Forest: trees (default ${DEFAULT_FOREST.trees})` })
    .option('sample-size', { type: 'number', describe: `Forest: rows per tree (default ${DEFAULT_FOREST.sampleSize})` })
    .option('epochs', { type: 'number', describe: `LSTM: passes over the data (default ${DEFAULT_LSTM_TRAINING.epochs})` })
    .option('hidden', { type: 'number', describe: `LSTM: hidden units (default ${DEFAULT_LSTM.hiddenSize})` })
    .option('batch-size', { type: 'number', describe: `LSTM: sequences per step (default ${DEFAULT_LSTM_TRAINING.batchSize})` })
    .option('learning-rate', { type: 'number', describe: `LSTM: Adam step size (default ${DEFAULT_LSTM_TRAINING.learningRate})` })
    .option('window-seconds', { type: 'number', describe: `LSTM: window length (default ${DEFAULT_HOST_WINDOWS.windowSeconds})` })
    .option('sequence-length', { type: 'number', describe: `LSTM: windows per sequence (default ${DEFAULT_HOST_WINDOWS.sequenceLength})` })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress on stderr' })
    .example('$0 train --model isolation-forest --from baseline/ --name office-forest', 'captures of normal traffic')
    .example('$0 train --model lstm --from mommy.duckdb --days 7 --name office-lstm', 'the last week of stored flows')
    .example('$0 train --model isolation-forest --from mixed.pcap --labels mixed.labels.jsonl', 'benign flows only; figures on all')
    .example('$0 train --model isolation-forest --from KDDTest+.txt --label-column label --benign-label normal --features duration,src_byts,dst_bytes,count', 'a CSV dataset')
    .example('$0 train --update --name flows-forest --db mommy.duckdb --days 7', 'retrain the shipped forest on last week')
    .epilogue(
      'Captures, databases and Parquet files give flows: the forest learns the flow features of each\n' +
        'flow, the LSTM the per-host window sequences (docs/ml.md, docs/ml-lstm.md). A CSV file gives\n' +
        'its own columns: such a model is for that dataset, and ingest refuses it (its features are not\n' +
        'the flow features). Severity thresholds come from the training scores (docs/models.md).\n\n' +
        'Exit status: 0 written; 1 usage error (options, labels, a model that exists or cannot be\n' +
        'updated, nothing to train on); 2 a source could not be read; 5 the model could not be written;\n' +
        '6 a database could not be opened.',
    );
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

function integer(value: number | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw new CliError(`--${option} must be an integer from ${min} to ${max}, got ${value}`, EXIT.usage);
  return value;
}

function positive(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value > 0) || !Number.isFinite(value)) throw new CliError(`--${option} must be a positive number, got ${value}`, EXIT.usage);
  return value;
}

/** What to train: kind, name, where to write, and the card an update starts from. */
interface Plan {
  kind: ModelKind;
  name: string;
  dir: string;
  base?: ModelCard;
}

/** `load()`, a ModelError (missing, corrupt, other features) becoming a usage error. */
function asUsageError<T>(load: () => T, hint = ''): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ModelError) throw new CliError(`${err.message}${hint}`, EXIT.usage);
    throw err;
  }
}

function updatePlan(argv: Args): Plan {
  if (argv.name === undefined) throw new CliError('--update needs --name: the model to train again', EXIT.usage);
  if (argv.db === undefined && argv.from === undefined) throw new CliError('--update needs --db: the database whose flows to train on', EXIT.usage);
  const { card, path } = asUsageError(() => loadModel(argv.name!, undefined, argv.out));
  asUsageError(() => loadModel(path, card.kind === 'lstm' ? HOST_WINDOW_FEATURES : FLOW_FEATURE_NAMES), '; --update trains only models of flow features or host windows');
  if (argv.model !== undefined && argv.model !== card.kind) throw new CliError(`--model ${argv.model}: model ${card.name} is a ${card.kind}`, EXIT.usage);
  return { kind: card.kind, name: card.name, dir: dirname(path), base: card };
}

function newPlan(argv: Args, sources: readonly Source[]): Plan {
  if (argv.model === undefined) throw new CliError('--model isolation-forest or --model lstm is required (or --update)', EXIT.usage);
  const stem = basename(sources[0]!.path, extname(sources[0]!.path)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50);
  const name = argv.name ?? `${stem || 'model'}-${argv.model === 'lstm' ? 'lstm' : 'forest'}`;
  if (!argv.force && existsSync(modelCardPath(name, argv.out))) {
    throw new CliError(`model ${name} already exists in ${argv.out}; --force replaces it, --update trains it again with its own settings`, EXIT.usage);
  }
  return { kind: argv.model, name, dir: argv.out };
}

function labelsFor(argv: Args, sources: readonly Source[]): Episode[] {
  if (argv.labels === undefined) return [];
  const other = sources.find((s) => s.kind !== 'capture');
  if (other) throw new CliError(`--labels applies to capture files, and ${other.path} is a ${other.kind} file`, EXIT.usage);
  try {
    return loadLabels(argv.labels);
  } catch (err) {
    if (err instanceof LabelError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** Runs `read` over the sources, turning a damaged or unreadable capture into a one-line error. */
async function reading<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CaptureError) throw new CliError(err.message, EXIT.input);
    throw err;
  }
}

interface Gathered<T> {
  parts: T[];
  descriptions: string[];
}

function gatherFlows(sources: readonly Source[], filter: TimeFilter, episodes: Episode[]): Promise<Gathered<LabelledMatrix>> {
  return reading(async () => {
    const gathered: Gathered<LabelledMatrix> = { parts: [], descriptions: [] };
    for await (const s of flowStreams(sources, filter)) {
      gathered.parts.push(await flowRows(s.batches, episodesFor(episodes, s.source.path)));
      gathered.descriptions.push(s.description);
    }
    return gathered;
  });
}

function gatherSequences(sources: readonly Source[], filter: TimeFilter, episodes: Episode[], windows: typeof DEFAULT_HOST_WINDOWS): Promise<Gathered<LabelledSequences>> {
  return reading(async () => {
    const gathered: Gathered<LabelledSequences> = { parts: [], descriptions: [] };
    for await (const s of flowStreams(sources, filter)) {
      gathered.parts.push(await hostRows(s.batches, episodesFor(episodes, s.source.path), windows));
      gathered.descriptions.push(s.description);
    }
    return gathered;
  });
}

async function gatherCsv(argv: Args, sources: readonly Source[]): Promise<Gathered<LabelledMatrix> & { features: string[] }> {
  const features = argv.features?.split(',').map((f) => f.trim()).filter(Boolean);
  const options = { benignLabel: argv.benignLabel, ...(argv.labelColumn !== undefined && { labelColumn: argv.labelColumn }), ...(features && { features }) };
  const gathered = { parts: [] as LabelledMatrix[], descriptions: [] as string[], features: [] as string[] };
  for (const s of sources) {
    const rows = await readCsvRows(s.path, options);
    if (gathered.parts.length && rows.features.join() !== gathered.features.join()) {
      throw new CliError(`${s.path}: its feature columns differ from ${sources[0]!.path}'s (give --features)`, EXIT.usage);
    }
    gathered.features = rows.features;
    gathered.parts.push(rows);
    gathered.descriptions.push(`${s.path}${argv.labelColumn ? ` (benign: ${argv.labelColumn} = ${argv.benignLabel})` : ''}`);
  }
  return gathered;
}

/** The options that were given (or come from the card), so the trainer's defaults fill the rest. */
function defined<T extends Record<string, number | undefined>>(options: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}

const labelled = (categories: readonly (string | undefined)[]) => categories.some((c) => c !== undefined);

function nothingToTrainOn(what: string, descriptions: readonly string[]): never {
  throw new CliError(`nothing to train on: ${what} in ${descriptions.join(', ') || 'the sources'}`, EXIT.usage);
}

interface Trained {
  card: ModelCard;
  onnx: Uint8Array;
  /** Figures on every row of the training sources, when they are labelled. */
  evaluation?: ScoreEvaluation;
}

async function trainForest(argv: Args, plan: Plan, sources: readonly Source[], filter: TimeFilter, episodes: Episode[]): Promise<Trained> {
  const base = plan.base ? forestOptionsOf(plan.base) : undefined;
  const hyper = defined({
    trees: integer(argv.trees, 'trees', 1, 100_000) ?? base?.trees,
    sampleSize: integer(argv.sampleSize, 'sample-size', 2, 1 << 24) ?? base?.sampleSize,
    seed: integer(argv.seed, 'seed', 0, 2 ** 32 - 1) ?? base?.seed,
  });
  const csv = sources[0]!.kind === 'csv';
  const gathered: Gathered<LabelledMatrix> & { features?: string[] } = csv ? await gatherCsv(argv, sources) : await gatherFlows(sources, filter, episodes);
  const all = concatLabelledMatrices(gathered.parts);
  // A copy whenever rows are dropped, so the labelled matrix stays raw for evaluation (training scales in place).
  const train = benignRows(all.matrix, all.categories);
  if (train.rows < 2) nothingToTrainOn(`${train.rows} benign ${csv ? 'rows' : 'flows'}`, gathered.descriptions);
  const { card, onnx } = trainForestModel(train, {
    name: plan.name,
    sources: gathered.descriptions,
    ...(gathered.features && { features: gathered.features }),
    ...hyper,
  });
  if (!labelled(all.categories)) return { card, onnx };
  const scorer = await OnnxForestScorer.create(onnx);
  try {
    return { card, onnx, evaluation: await evaluateForest(scorer, all, card.thresholds.severity4, csv ? 'row' : 'flow') };
  } finally {
    await scorer.release();
  }
}

async function trainLstm(argv: Args, plan: Plan, sources: readonly Source[], filter: TimeFilter, episodes: Episode[]): Promise<Trained> {
  const base = plan.base ? lstmOptionsOf(plan.base) : undefined;
  const windows = {
    ...DEFAULT_HOST_WINDOWS,
    ...base?.windows,
    ...(argv.windowSeconds !== undefined && { windowSeconds: positive(argv.windowSeconds, 'window-seconds')! }),
    ...(argv.sequenceLength !== undefined && { sequenceLength: integer(argv.sequenceLength, 'sequence-length', 2, 1024)! }),
  };
  windows.maxGapWindows = Math.min(windows.maxGapWindows, windows.sequenceLength - 1);
  const options = defined({
    hiddenSize: integer(argv.hidden, 'hidden', 1, 1024) ?? base?.hiddenSize,
    seed: integer(argv.seed, 'seed', 0, 2 ** 32 - 1) ?? base?.seed,
    epochs: integer(argv.epochs, 'epochs', 1, 10_000) ?? base?.epochs,
    batchSize: integer(argv.batchSize, 'batch-size', 1, 1 << 20) ?? base?.batchSize,
    learningRate: positive(argv.learningRate, 'learning-rate') ?? base?.learningRate,
  });
  const gathered = await gatherSequences(sources, filter, episodes, windows);
  const sequences = concatSequences(gathered.parts.map((p) => p.sequences));
  const categories = gathered.parts.flatMap((p) => p.categories);
  const train = benignSequences(sequences, categories);
  if (train.count < 1) nothingToTrainOn('no host window sequences of benign hosts', gathered.descriptions);
  const { card, onnx } = trainLstmModel(train, {
    name: plan.name,
    sources: gathered.descriptions,
    windows,
    ...options,
    ...(!argv.quiet && { onEpoch: (epoch: number, loss: number) => process.stderr.write(`mommy-forensics: ${plan.name}: epoch ${epoch}, loss ${loss.toFixed(4)}\n`) }),
  });
  if (!labelled(categories)) return { card, onnx };
  const scorer = await OnnxLstmScorer.create(onnx);
  try {
    return { card, onnx, evaluation: await evaluateLstm(scorer, gathered.parts, card.thresholds.severity4) };
  } finally {
    await scorer.release();
  }
}

function timeFilter(argv: Args, sources: readonly Source[]): TimeFilter {
  const filter: TimeFilter = {
    ...(argv.since !== undefined && { since: parseIsoTime(argv.since, 'since') }),
    ...(argv.days !== undefined && { days: positive(argv.days, 'days')! }),
  };
  if ((filter.since || filter.days !== undefined) && !sources.some((s) => s.kind === 'database' || s.kind === 'parquet')) {
    throw new CliError('--since and --days select stored flows: give a database or Parquet file', EXIT.usage);
  }
  return filter;
}

function summary(card: ModelCard, path: string, evaluation: ScoreEvaluation | undefined): string {
  const t = card.thresholds;
  const round = (x: number) => Number(x.toPrecision(4));
  const figures = evaluation ? `; on the labelled ${evaluation.unit}s: ROC-AUC ${evaluation.roc_auc ?? '-'}, recall ${evaluation.recall ?? '-'} at severity 4` : '';
  return (
    `trained ${card.name} (${card.kind}, ${card.features.length} features) on ${card.training.rows} ${card.kind === 'lstm' ? 'sequences' : 'rows'} ` +
    `in ${card.training.seconds} s; thresholds severity 4/3/2: ${round(t.severity4)}/${round(t.severity3)}/${round(t.severity2)}${figures} -> ${path}\n`
  );
}

export async function handler(argv: Args): Promise<void> {
  const started = performance.now();
  const csv = argv.features !== undefined || argv.labelColumn !== undefined;
  const sources = classifySources([...(argv.from ?? []), ...(argv.db !== undefined ? [argv.db] : [])], csv);
  if (sources.length === 0) throw new CliError('give the data to train on: --from (captures, databases, Parquet or CSV files) or --db', EXIT.usage);
  const plan = argv.update ? updatePlan(argv) : newPlan(argv, sources);
  if (sources[0]!.kind === 'csv' && plan.kind === 'lstm') throw new CliError('the LSTM learns from hosts over time, which CSV rows do not have: use --model isolation-forest', EXIT.usage);
  const filter = timeFilter(argv, sources);
  const episodes = labelsFor(argv, sources);
  const trained = plan.kind === 'lstm' ? await trainLstm(argv, plan, sources, filter, episodes) : await trainForest(argv, plan, sources, filter, episodes);
  const card: ModelCard = trained.evaluation
    ? {
        ...trained.card,
        evaluation: {
          training_data: {
            data: `the training sources${argv.labels ? ` with ${argv.labels}` : ''}; the benign ${trained.evaluation.unit}s among them were trained on`,
            ...trained.evaluation,
          },
        },
      }
    : trained.card;
  let paths: { card: string; onnx: string };
  try {
    paths = saveModel(plan.dir, card, trained.onnx);
  } catch (err) {
    if (err instanceof ModelError) throw new CliError(err.message, EXIT.usage);
    throw new CliError(`cannot write model ${card.name} to ${plan.dir}: ${(err as Error).message}`, EXIT.output);
  }
  const seconds = Math.round(performance.now() - started) / 1000;
  process.stdout.write(
    argv.json
      ? `${JSON.stringify({ name: card.name, kind: card.kind, card: paths.card, onnx: paths.onnx, rows: card.training.rows, thresholds: card.thresholds, evaluation: card.evaluation ?? null, seconds })}\n`
      : summary(card, paths.card, trained.evaluation),
  );
}
