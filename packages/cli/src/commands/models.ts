/**
 * `mommy-forensics models`: the model files of a directory with what their
 * cards say (kind, features, when and on what trained, thresholds,
 * evaluation), and with --db, how the anomaly scores ingest stored for
 * recent flows compare with each flow model's training scores: drift.
 * @module
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { FLOW_FEATURE_NAMES, HOST_WINDOW_FEATURES, loadModel, type ModelCard, ModelError, SHIPPED_MODELS_DIR, type Store } from '@mommynet/core';
import type { ArgumentsCamelCase, Argv } from 'yargs';

import { CliError, EXIT } from '../exit-codes.js';
import { alignedTable } from '../output/aligned.js';
import { openForReading } from '../store.js';

export function builder(y: Argv) {
  return y
    .option('dir', { type: 'string', default: SHIPPED_MODELS_DIR, defaultDescription: 'models/', describe: 'Directory of model files (NAME.json beside NAME.onnx)' })
    .option('db', { type: 'string', describe: 'Compare the anomaly scores stored in this database with the training scores' })
    .option('days', { type: 'number', default: 1, describe: 'With --db: the flows of the last N days before the newest scored one' })
    .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const, describe: 'Aligned text or one JSON object' })
    .example('$0 models', 'the shipped models')
    .example('$0 models --db mommy.duckdb', 'with the drift of the last day of scores')
    .epilogue('Exit status: 0 listed (a card that cannot be read is reported in its row); 1 usage error; 6 the database could not be opened.');
}

type Args = ArgumentsCamelCase<Awaited<ReturnType<typeof builder>['argv']>>;

type Quantiles = ModelCard['training_scores'];

/** What a model reads: the flow features or host windows this version computes, or other columns (a CSV dataset's). */
type Inputs = 'flow features' | 'host windows' | 'other';

interface Listed {
  name: string;
  path: string;
  card?: ModelCard;
  error?: string;
  inputs?: Inputs;
}

/** Recent stored scores: absent column, no scored flows, or their quantiles. */
type Recent = { db: string; note: string } | { db: string; from: string; to: string; flows: number; scores: Quantiles };

interface Drift {
  /** Share of recent flows at or above severity 4; about 0.001 for traffic like the training data (docs/models.md). */
  severity4_share: number;
  training_severity4_share: number;
}

const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function listModels(dir: string): Listed[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new CliError(`${dir}: cannot list models (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, EXIT.usage);
  }
  return names.map((file) => {
    const path = join(dir, file);
    const name = file.replace(/\.json$/, '');
    try {
      const { card } = loadModel(path);
      const inputs = sameNames(card.features, FLOW_FEATURE_NAMES) ? 'flow features' : sameNames(card.features, HOST_WINDOW_FEATURES) ? 'host windows' : 'other';
      return { name, path, card, inputs };
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      return { name, path, error: err.message };
    }
  });
}

async function recentScores(store: Store, days: number): Promise<Recent> {
  const db = store.path;
  const [column] = await store.all(`SELECT 1 FROM information_schema.columns WHERE table_name = 'flows' AND column_name = 'anomaly_score'`);
  if (!column) return { db, note: 'its flows table has no anomaly_score column (written by a version of ingest that did not score flows)' };
  const [newest] = await store.all<{ newest: number | null }>(`SELECT epoch_us(max(start_time))::DOUBLE AS newest FROM flows WHERE anomaly_score IS NOT NULL`);
  if (newest?.newest == null) return { db, note: 'none of its flows has an anomaly score (ingested with --no-ml, or before scoring)' };
  const cutoff = newest.newest - days * 86_400e6;
  const [q] = await store.all<{ flows: bigint; q: number[] }>(
    `SELECT count(*) AS flows, quantile_cont(anomaly_score, [0.5, 0.9, 0.99, 0.999]) AS q
     FROM flows WHERE anomaly_score IS NOT NULL AND start_time >= make_timestamp($cutoff::BIGINT)`,
    { cutoff },
  );
  const [p50, p90, p99, p999] = q!.q;
  return {
    db,
    from: new Date(cutoff / 1000).toISOString(),
    to: new Date(newest.newest / 1000).toISOString(),
    flows: Number(q!.flows),
    scores: { p50: p50!, p90: p90!, p99: p99!, p999: p999! },
  };
}

async function driftOf(store: Store, recent: Recent, card: ModelCard): Promise<Drift | undefined> {
  if (!('from' in recent)) return undefined;
  const [row] = await store.all<{ share: number }>(
    `SELECT avg(CASE WHEN anomaly_score >= $t THEN 1 ELSE 0 END)::DOUBLE AS share
     FROM flows WHERE anomaly_score IS NOT NULL AND start_time >= make_timestamp($cutoff::BIGINT)`,
    { t: card.thresholds.severity4, cutoff: Date.parse(recent.from) * 1000 },
  );
  // The threshold is the training scores' p99.9: one training row in a thousand reaches it.
  return { severity4_share: row!.share, training_severity4_share: 0.001 };
}

/** Why a model has no drift line. */
function noDrift(m: Listed): string {
  if (m.inputs === 'host windows') return 'per-host scores are not stored in the database';
  return 'not trained on flow features: ingest does not score with it';
}

const n3 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const quantiles = (q: Quantiles) => `p50 ${n3(q.p50)}, p90 ${n3(q.p90)}, p99 ${n3(q.p99)}, p99.9 ${n3(q.p999)}`;

function evaluationLine(card: ModelCard): string {
  const sets = Object.entries(card.evaluation ?? {}) as [string, Record<string, unknown>][];
  if (sets.length === 0) return 'none recorded';
  return sets
    .map(([name, e]) =>
      typeof e.skipped === 'string'
        ? `${name}: skipped (${e.skipped})`
        : `${name}: ROC-AUC ${e.roc_auc ?? '-'}, recall ${e.recall ?? '-'} and false positive rate ${e.false_positive_rate ?? '-'} per ${e.unit} at severity 4`,
    )
    .join('; ');
}

function formatTable(models: Listed[], recent: Recent | undefined, drifts: Map<string, Drift | undefined>): string {
  const rows = models.map((m) => {
    const c = m.card;
    if (!c) return [m.name, 'unreadable', '-', '-', '-', '-'];
    const t = c.thresholds;
    return [m.name, c.kind, `${c.features.length} ${m.inputs}`, c.created.replace(/\.\d+Z$/, 'Z'), c.training.rows, `${n3(t.severity4)}/${n3(t.severity3)}/${n3(t.severity2)}`];
  });
  const lines = [alignedTable(['name', 'kind', 'inputs', 'trained', 'rows', 'thresholds 4/3/2'], rows), ''];
  for (const m of models) {
    lines.push(`${m.name}:`);
    if (!m.card) {
      lines.push(`  ${m.error}`, '');
      continue;
    }
    lines.push(`  trained on: ${m.card.training.sources.join('; ')}`);
    lines.push(`  training scores: ${quantiles(m.card.training_scores)}`);
    lines.push(`  evaluation: ${evaluationLine(m.card)}`);
    if (recent) {
      const d = drifts.get(m.name);
      const line = !('from' in recent) ? recent.note : d ? `${pct(d.severity4_share)} of recent flows at or above severity 4 (training: ${pct(d.training_severity4_share)})` : noDrift(m);
      lines.push(`  drift: ${line}`);
    }
    lines.push('');
  }
  if (recent) {
    lines.push(
      'from' in recent
        ? `recent scores in ${recent.db}: ${recent.flows} flows from ${recent.from} to ${recent.to}: ${quantiles(recent.scores)}`
        : `recent scores in ${recent.db}: ${recent.note}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function handler(argv: Args): Promise<void> {
  if (!(argv.days > 0)) throw new CliError(`--days must be a positive number, got ${argv.days}`, EXIT.usage);
  const models = listModels(argv.dir);
  let recent: Recent | undefined;
  const drifts = new Map<string, Drift | undefined>();
  if (argv.db !== undefined) {
    const store = await openForReading(argv.db);
    try {
      recent = await recentScores(store, argv.days);
      for (const m of models) if (m.card?.kind === 'isolation-forest' && m.inputs === 'flow features') drifts.set(m.name, await driftOf(store, recent, m.card));
    } finally {
      store.close();
    }
  }
  if (argv.format === 'json') {
    const json = {
      dir: argv.dir,
      models: models.map((m) => ({
        name: m.name,
        path: m.path,
        ...(m.error !== undefined && { error: m.error }),
        ...(m.card && { inputs: m.inputs, card: { ...m.card, model: undefined } }),
        ...(recent && m.card && { drift: drifts.get(m.name) ?? null }),
      })),
      ...(recent && { recent }),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  if (models.length === 0) process.stderr.write(`mommy-forensics: no models in ${argv.dir}\n`);
  process.stdout.write(formatTable(models, recent, drifts));
}
