/**
 * Scoring flows with an Isolation Forest during ingest: each batch's
 * features go through onnxruntime, every flow gets its score (stored in
 * `flows.anomaly_score`), and flows at or above the card's severity
 * thresholds become `ml_anomaly` alerts, one per source/destination episode
 * like the other detectors', explained by the features that most set the
 * first and the highest-scoring flow apart.
 *
 * @example
 * const scoring = await FlowScoring.load('flows-forest');
 * await ingestCapture(store, file, { scoreBatch: (batch) => scoring.score(batch) });
 * const alerts = scoring.finish();
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import type { Alert } from '../detect/alert.js';
import { addSample, EpisodeBook } from '../detect/episodes.js';
import { DEFAULT_DETECTION } from '../detect/config.js';
import { FlowView } from '../detect/flow-view.js';
import { type FeatureMatrix, FLOW_FEATURES, flowFeatures } from './features.js';
import { OnnxForestScorer } from './forest-onnx.js';
import { type FeatureContribution, IsolationForest, type IsolationForestJson } from './isolation-forest.js';
import { loadModel, type ModelCard, ModelError, severityOf } from './model-file.js';
import { RobustScaler } from './scaler.js';
import type { SessionOptions } from './onnx-session.js';

/** Features named in an alert's explanation. */
const EXPLAINED_FEATURES = 5;

export class FlowScoring {
  #episodes = new EpisodeBook(DEFAULT_DETECTION.episodeGapSeconds * 1e6);
  /** The feature matrix of the batch being scored, reused from batch to batch. */
  #features = new Float32Array(0);

  private constructor(
    readonly card: ModelCard,
    private readonly scorer: OnnxForestScorer,
    private readonly forest: IsolationForest,
    private readonly scaler: RobustScaler | undefined,
  ) {}

  /** Loads a forest by name (in the shipped models/) or path; a ModelError names the model and what is wrong with it. */
  static async load(nameOrPath: string, options: SessionOptions = {}): Promise<FlowScoring> {
    const model = loadModel(nameOrPath, FLOW_FEATURES.map((f) => f.name));
    if (model.card.kind !== 'isolation-forest') throw new ModelError(`model ${model.name} is a ${model.card.kind}, not an isolation forest`);
    let scorer: OnnxForestScorer;
    try {
      scorer = await OnnxForestScorer.create(model.onnx, options);
    } catch (err) {
      throw new ModelError(`model ${model.name}: onnxruntime cannot load ${model.path.replace(/\.json$/, '.onnx')} (${(err as Error).message})`);
    }
    const forest = IsolationForest.fromJSON(model.card.model as IsolationForestJson);
    return new FlowScoring(model.card, scorer, forest, model.card.scaler && RobustScaler.fromJSON(model.card.scaler));
  }

  /** Every flow's score; flows above the thresholds join their episode's alert. */
  async score(batch: RecordBatch): Promise<Float32Array> {
    const needed = batch.numRows * FLOW_FEATURES.length;
    if (this.#features.length < needed) this.#features = new Float32Array(needed);
    const features = flowFeatures(batch, this.#features);
    const scores = await this.scorer.score(features);
    let view: FlowView | undefined;
    for (let row = 0; row < scores.length; row++) {
      const severity = severityOf(scores[row]!, this.card.thresholds);
      if (severity !== undefined) this.#note((view ??= FlowView.of(batch)), row, scores[row]!, severity, features);
    }
    return scores;
  }

  /** The features that most set one row apart, in the space the forest was trained in. */
  #explain(features: FeatureMatrix, row: number): FeatureContribution[] {
    const one: FeatureMatrix = { data: features.data.slice(row * features.cols, (row + 1) * features.cols), rows: 1, cols: features.cols };
    this.scaler?.transform(one);
    return this.forest.explain(one, 0, EXPLAINED_FEATURES);
  }

  #note(v: FlowView, row: number, score: number, severity: 2 | 3 | 4, features: FeatureMatrix): void {
    const src = v.srcIp(row);
    const dst = v.dstIp(row);
    const t = v.start(row);
    const rounded = Math.round(score * 1e4) / 1e4;
    const because = (c: FeatureContribution[]) => c.map((f) => ({ feature: f.feature, share: Math.round(f.share * 1000) / 1000 }));
    this.#episodes.note(
      `${src}>${dst}`,
      t,
      (): Alert => ({
        category: 'ml_anomaly', severity, detector: 'isolation_forest', start: t, end: t,
        src_ip: src, dst_ip: dst, dst_port: v.dstPort[row]!, proto: v.protocol(row), community_id: v.communityId(row), score: rounded,
        message: '',
        details: { model: this.card.name, thresholds: this.card.thresholds, flows: 0, first_flow_features: because(this.#explain(features, row)) },
      }),
      (a) => {
        const d = a.details;
        d.flows = (d.flows as number) + 1;
        if (score > (a.score ?? 0)) {
          a.score = rounded;
          a.community_id = v.communityId(row);
          d.top_flow_features = because(this.#explain(features, row));
        }
        if (severity < a.severity) a.severity = severity;
        const top = (d.top_flow_features ?? d.first_flow_features) as { feature: string }[];
        a.message = `unusual flows from ${src} to ${dst}: score ${a.score} (${d.flows} flows), most set apart by ${top.slice(0, 3).map((f) => f.feature).join(', ')}`;
        addSample(a, v.communityId(row));
      },
    );
  }

  /** The ml_anomaly alerts so far, in start order; scoring then starts afresh. */
  finish(): Alert[] {
    return this.#episodes.drain();
  }

  async close(): Promise<void> {
    await this.scorer.release();
  }
}
