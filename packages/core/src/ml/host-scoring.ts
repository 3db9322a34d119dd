/**
 * Scoring hosts with the LSTM during ingest: flow batches feed per-host
 * window aggregates; each sequence of windows that has closed goes through
 * onnxruntime, and sequences at or above the card's thresholds become
 * `ml_anomaly` alerts (detector `lstm`), one per host episode, explained by
 * the aggregates the model failed most to predict.
 *
 * @example
 * const hosts = await HostScoring.load('hosts-lstm');
 * for await (const batch of capture) await hosts.observe(batch);
 * const alerts = await hosts.finish();
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import type { Alert } from '../detect/alert.js';
import { DEFAULT_DETECTION } from '../detect/config.js';
import { EpisodeBook } from '../detect/episodes.js';
import { HOST_WINDOW_FEATURES, type HostSequences, HostWindows } from './host-windows.js';
import { OnnxLstmScorer } from './lstm-onnx.js';
import { loadModel, type ModelCard, ModelError, severityOf } from './model-file.js';
import type { SessionOptions } from './onnx-session.js';
import { lstmOptionsOf } from './train.js';

/** Aggregates named in an alert's explanation. */
const EXPLAINED_AGGREGATES = 3;

export class HostScoring {
  #episodes = new EpisodeBook(DEFAULT_DETECTION.episodeGapSeconds * 1e6);
  #windows: HostWindows;
  #newestStartUs = -Infinity;

  private constructor(
    readonly card: ModelCard,
    private readonly scorer: OnnxLstmScorer,
  ) {
    this.#windows = new HostWindows(lstmOptionsOf(card).windows);
  }

  /** Loads an LSTM by name (in the shipped models/) or path; a ModelError names the model and what is wrong with it. */
  static async load(nameOrPath: string, options: SessionOptions = {}): Promise<HostScoring> {
    const model = loadModel(nameOrPath, HOST_WINDOW_FEATURES);
    if (model.card.kind !== 'lstm') throw new ModelError(`model ${model.name} is a ${model.card.kind}, not an LSTM`);
    try {
      return new HostScoring(model.card, await OnnxLstmScorer.create(model.onnx, options));
    } catch (err) {
      throw new ModelError(`model ${model.name}: onnxruntime cannot load ${model.path.replace(/\.json$/, '.onnx')} (${(err as Error).message})`);
    }
  }

  /** Adds a batch's flows and scores the sequences whose last window has closed. */
  async observe(batch: RecordBatch): Promise<void> {
    this.#windows.observe(batch);
    const starts = batch.getChild('start_time')!.data[0]!.values as BigInt64Array;
    for (const s of starts) if (Number(s) > this.#newestStartUs) this.#newestStartUs = Number(s);
    await this.#score(this.#windows.take(this.#newestStartUs));
  }

  /** Scores what is left at the end of input; returns every alert, in start order, and starts afresh. */
  async finish(): Promise<Alert[]> {
    await this.#score(this.#windows.finish());
    this.#newestStartUs = -Infinity;
    return this.#episodes.drain();
  }

  async #score(sequences: HostSequences): Promise<void> {
    if (sequences.count === 0) return;
    const { score, featureError } = await this.scorer.score(sequences);
    const F = sequences.features;
    const windowUs = this.#windows.options.windowSeconds * 1e6;
    for (let i = 0; i < sequences.count; i++) {
      const severity = severityOf(score[i]!, this.card.thresholds);
      if (severity === undefined) continue;
      const errors = featureError.subarray(i * F, (i + 1) * F);
      this.#note(sequences.hosts[i]!, sequences.windowStartUs[i]!, windowUs, score[i]!, severity, errors);
    }
  }

  #note(host: string, windowStartUs: number, windowUs: number, score: number, severity: 2 | 3 | 4, errors: Float32Array): void {
    const total = errors.reduce((a, b) => a + b, 0);
    const aggregates = Array.from(errors, (e, j) => ({ aggregate: HOST_WINDOW_FEATURES[j]!, share: total > 0 ? Math.round((e / total) * 1000) / 1000 : 0 }))
      .sort((a, b) => b.share - a.share)
      .slice(0, EXPLAINED_AGGREGATES);
    const rounded = Math.round(score * 1e4) / 1e4;
    const minutes = (this.#windows.options.sequenceLength * windowUs) / 60e6;
    this.#episodes.note(
      host,
      windowStartUs + windowUs,
      (): Alert => ({
        category: 'ml_anomaly', severity, detector: 'lstm', start: windowStartUs, end: windowStartUs + windowUs,
        src_ip: host, score: rounded, message: '',
        details: { model: this.card.name, thresholds: this.card.thresholds, window_seconds: windowUs / 1e6, windows: 0 },
      }),
      (a) => {
        const d = a.details;
        d.windows = (d.windows as number) + 1;
        if (rounded >= (a.score ?? 0)) {
          a.score = rounded;
          d.worst_window_start = new Date(windowStartUs / 1000).toISOString();
          d.least_predictable = aggregates;
        }
        if (severity < a.severity) a.severity = severity;
        const off = (d.least_predictable as typeof aggregates).map((x) => x.aggregate).join(', ');
        a.message = `unusual behaviour of ${host} over ${minutes} minutes: score ${a.score}, least predictable ${off}`;
      },
    );
  }

  async close(): Promise<void> {
    await this.scorer.release();
  }
}
