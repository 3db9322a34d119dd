/**
 * A trained model on disk: `NAME.onnx` (what onnxruntime runs) beside
 * `NAME.json`, its card: what it is, the features it expects in which
 * order, its hyper-parameters, the training data's hash and size, the score
 * thresholds of each alert severity, its evaluation, the score distribution
 * on its training data (for drift), and the TypeScript model itself (for
 * explanations). Loading checks that both files are there and whole, and
 * that the features are the ones this code computes, and says which model
 * and what differs when not.
 *
 * @example
 * const model = loadModel('flows-forest', FLOW_FEATURES.map((f) => f.name));
 * const scorer = await OnnxForestScorer.create(model.onnx);
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { IsolationForestJson } from './isolation-forest.js';
import type { ScalerJson } from './scaler.js';
import type { LstmJson } from './lstm.js';

export type ModelKind = 'isolation-forest' | 'lstm';

/** The models shipped in the repository's models/ (resolved from this module, so it works from src and dist). */
export const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../../../../models/', import.meta.url));

/** The shipped models ingest scores with by default. */
export const DEFAULT_FOREST_MODEL = 'flows-forest';
export const DEFAULT_LSTM_MODEL = 'hosts-lstm';

export const MODEL_CARD_VERSION = 1;

/** Score thresholds: a score at or above `severity2` makes a severity-2 alert, and so on; below `severity4`, none. */
export interface SeverityThresholds {
  severity2: number;
  severity3: number;
  severity4: number;
}

export interface ModelCard {
  card_version: typeof MODEL_CARD_VERSION;
  name: string;
  kind: ModelKind;
  created: string;
  /** Input names in order: flow features (forest) or host-window aggregates (LSTM). */
  features: string[];
  /** Fitted at training; the ONNX model applies it itself, the TypeScript model expects scaled rows. */
  scaler?: ScalerJson;
  hyper_parameters: Record<string, number | string>;
  training: {
    /** Captures, database, Parquet or CSV files the rows came from. */
    sources: string[];
    rows: number;
    /** SHA-256 of the training matrix (float32 little-endian, row-major). */
    sha256: string;
    seconds: number;
  };
  thresholds: SeverityThresholds;
  /** Score quantiles on the training data (p50, p90, p99, p99.9): the reference for drift. */
  training_scores: { p50: number; p90: number; p99: number; p999: number };
  /** ROC-AUC and per-category recall on labelled data, when evaluated. */
  evaluation?: Record<string, unknown>;
  /** The model in TypeScript form, for explanations. */
  model: IsolationForestJson | LstmJson;
}

export interface LoadedModel {
  /** The file name without extension: how messages name the model. */
  name: string;
  card: ModelCard;
  onnx: Uint8Array;
  /** The card's path. */
  path: string;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

/** SHA-256 of a float32 matrix, as the card records its training data. */
export function matrixSha256(data: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

/** Writes `dir/NAME.onnx` and `dir/NAME.json` (each to a temporary name first, so a reader never sees half a model). */
export function saveModel(dir: string, card: ModelCard, onnx: Uint8Array): { card: string; onnx: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(card.name)) {
    throw new ModelError(`model name '${card.name}' must be letters, digits, '.', '_' or '-' (at most 64)`);
  }
  mkdirSync(dir, { recursive: true });
  const paths = { onnx: join(dir, `${card.name}.onnx`), card: join(dir, `${card.name}.json`) };
  for (const [path, data] of [[paths.onnx, onnx], [paths.card, `${JSON.stringify(card, null, 1)}\n`]] as const) {
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
  }
  return paths;
}

/** `NAME` (in `dir`), or a path to `NAME`, `NAME.json` or `NAME.onnx`, to the card's path. */
export function modelCardPath(nameOrPath: string, dir = SHIPPED_MODELS_DIR): string {
  const given = nameOrPath.replace(/\.(json|onnx)$/, '');
  const base = given.includes('/') ? given : join(dir, given);
  return resolve(`${base}.json`);
}

/**
 * Reads a model's card and ONNX file. `expectedFeatures` (the names this
 * code computes, in order) must equal the card's; a missing, unreadable or
 * malformed file, or a mismatch, is a ModelError naming the model.
 */
export function loadModel(nameOrPath: string, expectedFeatures?: readonly string[], dir = SHIPPED_MODELS_DIR): LoadedModel {
  const path = modelCardPath(nameOrPath, dir);
  const name = basename(path, '.json');
  const onnxPath = join(dirname(path), `${name}.onnx`);
  for (const p of [path, onnxPath]) if (!existsSync(p)) throw new ModelError(`model ${name}: ${p} does not exist`);
  let card: ModelCard;
  try {
    card = JSON.parse(readFileSync(path, 'utf8')) as ModelCard;
  } catch (err) {
    throw new ModelError(`model ${name}: ${path} is not a model card (${(err as Error).message})`);
  }
  if (card?.card_version !== MODEL_CARD_VERSION || (card.kind !== 'isolation-forest' && card.kind !== 'lstm') || !Array.isArray(card.features)) {
    throw new ModelError(`model ${name}: ${path} is not a MommyNet model card (version ${MODEL_CARD_VERSION}, kind, features)`);
  }
  if (expectedFeatures) checkFeatures(name, card.features, expectedFeatures);
  const onnx = new Uint8Array(readFileSync(onnxPath));
  return { name, card, onnx, path };
}

function checkFeatures(name: string, model: readonly string[], code: readonly string[]): void {
  if (model.length === code.length && model.every((f, i) => f === code[i])) return;
  const missing = code.filter((f) => !model.includes(f));
  const unknown = model.filter((f) => !code.includes(f));
  const detail =
    missing.length || unknown.length
      ? [missing.length ? `not in the model: ${missing.join(', ')}` : '', unknown.length ? `unknown here: ${unknown.join(', ')}` : ''].filter(Boolean).join('; ')
      : 'same features in another order';
  throw new ModelError(`model ${name} was trained on other features than this version computes (${detail}); train it again`);
}

/** The severity of a score by the card's thresholds; undefined below the lowest. */
export function severityOf(score: number, t: SeverityThresholds): 2 | 3 | 4 | undefined {
  if (score >= t.severity2) return 2;
  if (score >= t.severity3) return 3;
  if (score >= t.severity4) return 4;
  return undefined;
}
