/**
 * How well a trained model separates labelled attacks from benign traffic,
 * in the figures its card records: ROC-AUC over every scored unit, and, at
 * the card's severity-4 threshold (the lowest that alerts), the recall of
 * each attack category and the share of benign units that would alert.
 *
 * Units: the forest is judged per flow (or per CSV row); the LSTM per host,
 * a host scoring the highest score of its sequences in a capture, since it
 * alerts on a host as soon as one of its sequences crosses the threshold.
 * Scores come from the ONNX model, the one ingest runs.
 *
 * @example
 * const scorer = await OnnxForestScorer.create(onnx);
 * const figures = await evaluateForest(scorer, await flowRows(Capture.openFile('mixed.pcap'), episodes), card.thresholds.severity4);
 * @module
 */
import type { OnnxForestScorer } from './forest-onnx.js';
import type { OnnxLstmScorer } from './lstm-onnx.js';
import { rocAuc } from './metrics.js';
import type { LabelledMatrix, LabelledSequences, RowCategory } from './training-data.js';

export type EvaluationUnit = 'flow' | 'host' | 'row';

export interface CategoryRecall {
  positives: number;
  /** Units of the category at or above the threshold. */
  detected: number;
  recall: number;
}

export interface ScoreEvaluation {
  unit: EvaluationUnit;
  /** Units scored. */
  count: number;
  /** Units labelled as an attack. */
  positives: number;
  /** null when the units are all benign or all attacks. */
  roc_auc: number | null;
  /** The severity-4 threshold the recalls are taken at. */
  threshold: number;
  /** Recall of all attack units together; null without any. */
  recall: number | null;
  by_category: Record<string, CategoryRecall>;
  /** Benign units at or above the threshold, over all benign units; null without any. */
  false_positive_rate: number | null;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** The figures of `scores` against `categories` (undefined: benign), at `threshold`. */
export function evaluateScores(scores: ArrayLike<number>, categories: readonly RowCategory[], threshold: number, unit: EvaluationUnit): ScoreEvaluation {
  if (scores.length !== categories.length) throw new RangeError(`evaluateScores: ${scores.length} scores for ${categories.length} categories`);
  const byCategory = new Map<string, { positives: number; detected: number }>();
  let benign = 0;
  let falseAlerts = 0;
  for (let i = 0; i < scores.length; i++) {
    const alerts = scores[i]! >= threshold;
    const category = categories[i];
    if (category === undefined) {
      benign++;
      if (alerts) falseAlerts++;
      continue;
    }
    const c = byCategory.get(category) ?? { positives: 0, detected: 0 };
    c.positives++;
    if (alerts) c.detected++;
    byCategory.set(category, c);
  }
  const positives = scores.length - benign;
  const detected = [...byCategory.values()].reduce((n, c) => n + c.detected, 0);
  return {
    unit,
    count: scores.length,
    positives,
    roc_auc: positives > 0 && benign > 0 ? round(rocAuc(scores, categories.map((c) => c !== undefined))) : null,
    threshold,
    recall: positives > 0 ? round(detected / positives) : null,
    by_category: Object.fromEntries(
      [...byCategory].sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => [name, { ...c, recall: round(c.detected / c.positives) }]),
    ),
    false_positive_rate: benign > 0 ? round(falseAlerts / benign) : null,
  };
}

/** The forest's figures per flow (or CSV row) of `data`, scored by onnxruntime. */
export async function evaluateForest(scorer: OnnxForestScorer, data: LabelledMatrix, threshold: number, unit: 'flow' | 'row' = 'flow'): Promise<ScoreEvaluation> {
  return evaluateScores(await scorer.score(data.matrix), data.categories, threshold, unit);
}

/**
 * The LSTM's figures per host: each capture's sequences scored by
 * onnxruntime, each host taking its highest score and its category (hosts
 * of different captures are different units).
 */
export async function evaluateLstm(scorer: OnnxLstmScorer, captures: readonly LabelledSequences[], threshold: number): Promise<ScoreEvaluation> {
  const scores: number[] = [];
  const categories: RowCategory[] = [];
  for (const { sequences, categories: of } of captures) {
    if (sequences.count === 0) continue;
    const { score } = await scorer.score(sequences);
    const hosts = new Map<string, number>();
    sequences.hosts.forEach((host, i) => {
      const unit = hosts.get(host);
      if (unit === undefined) {
        hosts.set(host, scores.length);
        scores.push(score[i]!);
        categories.push(of[i]);
      } else if (score[i]! > scores[unit]!) scores[unit] = score[i]!;
    });
  }
  return evaluateScores(scores, categories, threshold, 'host');
}
