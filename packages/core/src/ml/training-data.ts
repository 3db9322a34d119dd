/**
 * What the models learn from and are measured on, gathered from flow
 * batches: flow-feature rows (the forest) and per-host window sequences (the
 * LSTM), each row with the category of the labelled attack it belongs to
 * (undefined: benign). Training keeps the benign rows (`benignRows`);
 * evaluation scores them all (model-evaluation.ts).
 *
 * A flow's category is that of the first episode it belongs to
 * (`flowInEpisode`). A sequence's is that of the first labelled flow its
 * host sent: the LSTM judges the hosts that send flows, and a host that took
 * part in an attack is positive in every window, whatever else it did. This
 * is the label's attacker where the attacker opens the flows (scans, floods,
 * guessing, reflection) and the inside host where the label names it as the
 * victim but it is the one sending (beacons, uploads, tunnels, fetches from
 * a listed address).
 *
 * @example
 * const episodes = episodesFor(loadLabels('mixed.labels.jsonl'), 'mixed.pcap');
 * const { matrix, categories } = await flowRows(Capture.openFile('mixed.pcap'), episodes);
 * const train = benignRows(matrix, categories);
 * @module
 */
import type { RecordBatch } from 'apache-arrow';

import { FlowView } from '../detect/flow-view.js';
import type { Episode } from '../evaluate/labels.js';
import { flowInEpisode } from '../evaluate/match.js';
import { type FeatureMatrix, FLOW_FEATURES, flowFeatures } from './features.js';
import { type HostSequences, type HostWindowOptions, HostWindows } from './host-windows.js';

/** One capture's (or one database's) flow batches. */
export type FlowStream = AsyncIterable<RecordBatch> | Iterable<RecordBatch>;

/** A row's labelled attack category; undefined for benign rows. */
export type RowCategory = string | undefined;

export interface LabelledMatrix {
  matrix: FeatureMatrix;
  categories: RowCategory[];
}

export interface LabelledSequences {
  sequences: HostSequences;
  categories: RowCategory[];
}

/** The matrices' rows one after the other (all with the same columns). */
export function concatMatrices(parts: readonly FeatureMatrix[]): FeatureMatrix {
  if (parts.length === 1) return parts[0]!;
  const cols = parts[0]?.cols ?? 0;
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const data = new Float32Array(rows * cols);
  let offset = 0;
  for (const p of parts) {
    if (p.cols !== cols) throw new RangeError(`concatMatrices: a matrix has ${p.cols} columns, the first ${cols}`);
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, rows, cols };
}

/** The sequences one after the other (all of the same length and features). */
export function concatSequences(parts: readonly HostSequences[]): HostSequences {
  if (parts.length === 1) return parts[0]!;
  const { length = 2, features = 0 } = parts[0] ?? {};
  for (const p of parts) {
    if (p.length !== length || p.features !== features) {
      throw new RangeError(`concatSequences: sequences of ${p.length} × ${p.features}, the first ${length} × ${features}`);
    }
  }
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return {
    data,
    count: parts.reduce((n, p) => n + p.count, 0),
    length,
    features,
    hosts: parts.flatMap((p) => p.hosts),
    windowStartUs: parts.flatMap((p) => p.windowStartUs),
  };
}

/** The labelled matrices' rows and categories one after the other. */
export function concatLabelledMatrices(parts: readonly LabelledMatrix[]): LabelledMatrix {
  return { matrix: concatMatrices(parts.map((p) => p.matrix)), categories: parts.flatMap((p) => p.categories) };
}

/** The rows of `m` whose category is undefined (benign), in order. */
export function benignRows(m: FeatureMatrix, categories: readonly RowCategory[]): FeatureMatrix {
  if (categories.length !== m.rows) throw new RangeError(`benignRows: ${categories.length} categories for ${m.rows} rows`);
  const keep = categories.reduce((n: number, c) => (c === undefined ? n + 1 : n), 0);
  if (keep === m.rows) return m;
  const data = new Float32Array(keep * m.cols);
  for (let r = 0, k = 0; r < m.rows; r++) {
    if (categories[r] === undefined) data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k++ * m.cols);
  }
  return { data, rows: keep, cols: m.cols };
}

/** The sequences whose category is undefined (benign), in order. */
export function benignSequences(s: HostSequences, categories: readonly RowCategory[]): HostSequences {
  if (categories.length !== s.count) throw new RangeError(`benignSequences: ${categories.length} categories for ${s.count} sequences`);
  const size = s.length * s.features;
  const keep = categories.flatMap((c, i) => (c === undefined ? [i] : []));
  if (keep.length === s.count) return s;
  const data = new Float32Array(keep.length * size);
  keep.forEach((i, k) => data.set(s.data.subarray(i * size, (i + 1) * size), k * size));
  return { ...s, data, count: keep.length, hosts: keep.map((i) => s.hosts[i]!), windowStartUs: keep.map((i) => s.windowStartUs[i]!) };
}

function flowCategories(batch: RecordBatch, episodes: readonly Episode[]): RowCategory[] {
  const categories: RowCategory[] = new Array(batch.numRows).fill(undefined);
  if (episodes.length === 0) return categories;
  const v = FlowView.of(batch);
  for (let row = 0; row < v.rows; row++) {
    const flow = {
      src_ip: v.srcIp(row),
      dst_ip: v.dstIp(row),
      proto: v.protocol(row) ?? null,
      dst_port: v.dstPort[row]!,
      startUs: v.startUs[row]!,
      endUs: v.endUs[row]!,
    };
    categories[row] = episodes.find((e) => flowInEpisode(flow, e))?.label.category;
  }
  return categories;
}

/** Every flow's features, and its category by `episodes` (none: all benign). */
export async function flowRows(stream: FlowStream, episodes: readonly Episode[] = []): Promise<LabelledMatrix> {
  const parts: LabelledMatrix[] = [];
  for await (const batch of stream) parts.push({ matrix: flowFeatures(batch), categories: flowCategories(batch, episodes) });
  if (parts.length === 0) return { matrix: { data: new Float32Array(0), rows: 0, cols: FLOW_FEATURES.length }, categories: [] };
  return concatLabelledMatrices(parts);
}

/**
 * Every host window sequence of one stream, closed at its end (separate
 * captures are separate recordings: no window spans two), and each
 * sequence's category: that of the first labelled flow its host sent.
 */
export async function hostRows(stream: FlowStream, episodes: readonly Episode[] = [], options?: HostWindowOptions): Promise<LabelledSequences> {
  const windows = new HostWindows(options);
  const hostCategory = new Map<string, string>();
  for await (const batch of stream) {
    windows.observe(batch);
    if (episodes.length === 0) continue;
    const categories = flowCategories(batch, episodes);
    const v = FlowView.of(batch);
    categories.forEach((c, row) => {
      if (c !== undefined && !hostCategory.has(v.srcIp(row))) hostCategory.set(v.srcIp(row), c);
    });
  }
  const sequences = windows.finish();
  return { sequences, categories: sequences.hosts.map((h) => hostCategory.get(h)) };
}
