#!/usr/bin/env node
// Trains the shipped default models, `pnpm models` (after `pnpm build`):
//   models/flows-forest  Isolation Forest on the flow features of every flow
//   models/hosts-lstm    LSTM on per-host window sequences
// Both learn from hours of benign traffic the simulator makes (fixed seeds,
// written to a temporary directory and read back as any capture is), then
// are evaluated on labelled data they never saw, and the figures go into
// their cards: datasets/sim (mixed.pcap with its attacks, benign.pcap) and,
// when present, the shared corpus's public captures.
//
// Training is deterministic for the seeds below; the cards' `created` and
// `seconds` are the only fields that change from run to run.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Capture,
  concatLabelledMatrices,
  concatSequences,
  DEFAULT_FOREST_MODEL,
  DEFAULT_HOST_WINDOWS,
  DEFAULT_LSTM_MODEL,
  episodesFor,
  evaluateForest,
  evaluateLstm,
  flowRows,
  hostRows,
  loadLabels,
  OnnxForestScorer,
  OnnxLstmScorer,
  saveModel,
  simulate,
  trainForestModel,
  trainLstmModel,
} from '@mommynet/core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.MOMMYNET_SHARED ?? resolve(root, '..', 'shared');
const out = join(root, 'models');

/**
 * A working day of the simulated office, one benign hour per seed (the
 * simulator's longest capture): about 4 800 flows and 1 600 host sequences
 * an hour. Seeds differ from datasets/sim's, so evaluation is on traffic
 * the models did not learn.
 */
const TRAINING_HOURS = 6;
const FIRST_SEED = 20260201;
const FIRST_HOUR = Date.parse('2026-01-05T08:00:00Z');

const log = (m) => process.stderr.write(`[models] ${m}\n`);
const rel = (p) => relative(root, p) || '.';

/** Labelled captures to evaluate on: each file with the episodes that apply to it. */
function evaluationSets() {
  const sim = join(root, 'datasets', 'sim');
  const simLabels = loadLabels(join(sim, 'mixed.labels.jsonl'));
  const sets = {
    simulator: {
      data: 'datasets/sim/mixed.pcap (every attack at medium intensity) with mixed.labels.jsonl, and datasets/sim/benign.pcap',
      captures: ['mixed.pcap', 'benign.pcap'].map((f) => ({ path: join(sim, f), episodes: episodesFor(simLabels, f) })),
    },
  };
  const pcaps = join(shared, 'corpus', 'pcaps');
  const corpusLabels = join(root, 'datasets', 'corpus', 'labels.jsonl');
  if (existsSync(pcaps) && existsSync(corpusLabels)) {
    const labels = loadLabels(corpusLabels);
    const files = readdirSync(pcaps).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
    sets.corpus = {
      data: `the shared corpus's ${files.length} public captures (corpus/pcaps) with datasets/corpus/labels.jsonl`,
      captures: files.map((f) => ({ path: join(pcaps, f), episodes: episodesFor(labels, f) })),
    };
  } else {
    sets.corpus = { skipped: `${rel(pcaps)} or datasets/corpus/labels.jsonl not found when the model was made` };
  }
  return sets;
}

async function trainingCaptures(dir) {
  const paths = [];
  for (let h = 0; h < TRAINING_HOURS; h++) {
    const seed = FIRST_SEED + h;
    const start = new Date(FIRST_HOUR + h * 3_600_000).toISOString();
    const sim = simulate({ seed, durationSeconds: 3600, start, attacks: [], captureName: `benign-${seed}.pcap` });
    const path = join(dir, `benign-${seed}.pcap`);
    writeFileSync(path, sim.pcap);
    paths.push(path);
    log(`simulated ${start.slice(0, 16)}Z, seed ${seed}: ${sim.packets} packets`);
  }
  return paths;
}

/** `fn` over `items` one at a time: each capture is read by the native engine's own thread. */
async function each(items, fn) {
  const results = [];
  for (const item of items) results.push(await fn(item));
  return results;
}

const sources = (paths) => [`simulator: ${paths.length} benign hours, seeds ${FIRST_SEED}-${FIRST_SEED + paths.length - 1} (scripts/make-models.mjs)`];

/** The card's evaluation on each data set: `evaluate(set)`'s figures with the set's description; a skipped set as it is. */
async function evaluateOn(sets, evaluate) {
  const evaluation = {};
  for (const [name, set] of Object.entries(sets)) evaluation[name] = set.skipped ? set : { data: set.data, ...(await evaluate(set)) };
  return evaluation;
}

async function makeForest(paths, sets) {
  const data = concatLabelledMatrices(await each(paths, (p) => flowRows(Capture.openFile(p))));
  const trained = trainForestModel(data.matrix, { name: DEFAULT_FOREST_MODEL, sources: sources(paths) });
  log(`${DEFAULT_FOREST_MODEL}: ${trained.card.training.rows} flows, ${trained.card.training.seconds} s`);
  const scorer = await OnnxForestScorer.create(trained.onnx);
  const evaluation = await evaluateOn(sets, async (set) => {
    const rows = concatLabelledMatrices(await each(set.captures, (c) => flowRows(Capture.openFile(c.path), c.episodes)));
    return evaluateForest(scorer, rows, trained.card.thresholds.severity4);
  });
  await scorer.release();
  return { ...trained, card: { ...trained.card, evaluation } };
}

async function makeLstm(paths, sets) {
  const parts = await each(paths, (p) => hostRows(Capture.openFile(p)));
  const sequences = concatSequences(parts.map((p) => p.sequences));
  const trained = trainLstmModel(sequences, {
    name: DEFAULT_LSTM_MODEL,
    sources: sources(paths),
    windows: DEFAULT_HOST_WINDOWS,
    onEpoch: (epoch, loss) => log(`${DEFAULT_LSTM_MODEL}: epoch ${epoch}, loss ${loss.toFixed(4)}`),
  });
  log(`${DEFAULT_LSTM_MODEL}: ${trained.card.training.rows} sequences, ${trained.card.training.seconds} s`);
  const scorer = await OnnxLstmScorer.create(trained.onnx);
  const evaluation = await evaluateOn(sets, async (set) => {
    const captures = await each(set.captures, (c) => hostRows(Capture.openFile(c.path), c.episodes));
    return evaluateLstm(scorer, captures, trained.card.thresholds.severity4);
  });
  await scorer.release();
  return { ...trained, card: { ...trained.card, evaluation } };
}

const scratch = mkdtempSync(join(tmpdir(), 'mommy-models-'));
try {
  const paths = await trainingCaptures(scratch);
  const sets = evaluationSets();
  for (const make of [makeForest, makeLstm]) {
    const { card, onnx } = await make(paths, sets);
    const written = saveModel(out, card, onnx);
    const figures = Object.entries(card.evaluation)
      .map(([name, e]) => (e.skipped ? `${name}: skipped` : `${name}: ROC-AUC ${e.roc_auc}, recall ${e.recall} at severity 4`))
      .join('; ');
    log(`wrote ${rel(written.card)}, ${rel(written.onnx)} (${figures})`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
