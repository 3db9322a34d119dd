#!/usr/bin/env node
/**
 * pnpm bench:ml: what the anomaly models cost, with the shipped models
 * (models/flows-forest, models/hosts-lstm; `pnpm models` makes them).
 *
 * In one run, on the benchmark capture of bench/make-capture.mjs, its flow
 * batches held in memory:
 * 1. forest scoring, flows/s: the features alone (flowFeatures into one
 *    reused buffer); the model alone (OnnxForestScorer on matrices made
 *    beforehand, batches of 8 192) with onnxruntime's threads spinning (its
 *    default) and not (as ingest runs it, beside capture and DuckDB)
 *    (target: >= 1 M flows/s); and both with the alerts, as ingest runs
 *    them (FlowScoring.score);
 * 2. host windows: HostWindows over the same batches, flows/s, and LSTM
 *    scoring of the sequences they make with OnnxLstmScorer, sequences/s;
 * 3. training: the forest on 1 M flows (the capture's feature rows repeated;
 *    scaler, trees and the training scores the thresholds come from), and
 *    one LSTM epoch on 10 000 sequences (default sizes);
 * 4. ingest into DuckDB with the forest scoring every flow against without
 *    (target: with >= 0.6 x without, as rates).
 * Each measurement is the best of --runs. Results go to bench/out/ml-<date>.json.
 */
import fs from 'node:fs';
import path from 'node:path';

import { best, fmtInt, loadCore, log, machine, removeDb, table, parseOptions } from './common.mjs';
import { makeCapture, REPO } from './make-capture.mjs';

const TARGET_SCORING = 1_000_000;
const TARGET_INGEST_RATIO = 0.6;
const TRAINING_FLOWS = 1_000_000;
const TRAINING_SEQUENCES = 10_000;


const seconds = (start) => (performance.now() - start) / 1000;

/** `count` rows taken cyclically from `m`. */
function repeatRows(m, count) {
  const data = new Float32Array(count * m.cols);
  for (let offset = 0; offset < data.length; offset += m.data.length) data.set(m.data.subarray(0, Math.min(m.data.length, data.length - offset)), offset);
  return { data, rows: count, cols: m.cols };
}

/** `count` sequences taken cyclically from `s`. */
function repeatSequences(s, count) {
  const m = repeatRows({ data: s.data, rows: s.count, cols: s.length * s.features }, count);
  return { data: m.data, count, length: s.length, features: s.features };
}

async function ingestSeconds(core, file, db, scoring) {
  removeDb(db);
  const store = await core.openStore(db);
  const t = performance.now();
  const r = await core.ingestCapture(store, file, scoring ? { scoreBatch: (b) => scoring.score(b) } : {});
  scoring?.finish();
  const s = seconds(t);
  store.close();
  if (r.status !== 'complete') throw new Error(`ingest ended ${r.status}: ${r.error?.message}`);
  return s;
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), { packets: 5_000_000, runs: 2, out: path.join(REPO, 'bench', 'out') });
  const core = await loadCore();
  fs.mkdirSync(opts.out, { recursive: true });
  const cap = makeCapture({ packets: opts.packets, out: path.join(opts.out, 'bench.pcap'), log });
  const forestModel = core.loadModel(core.DEFAULT_FOREST_MODEL, core.FLOW_FEATURE_NAMES);
  const lstmModel = core.loadModel(core.DEFAULT_LSTM_MODEL, core.HOST_WINDOW_FEATURES);

  log('holding the flow batches in memory');
  const batches = [];
  for await (const b of core.Capture.openFile(cap.path)) batches.push(b);
  const flows = batches.reduce((n, b) => n + b.numRows, 0);

  const rates = [];
  /** Best time of `each` over every item (the batches, or matrices made from them). */
  const timeEach = (items, each) => best(opts.runs, async () => {
    const t = performance.now();
    for (const item of items) await each(item);
    return seconds(t);
  });

  log('forest features');
  const into = new Float32Array(Math.max(...batches.map((b) => b.numRows)) * core.FLOW_FEATURE_NAMES.length);
  const featureSeconds = await timeEach(batches, (b) => core.flowFeatures(b, into));
  rates.push(['forest: features (flowFeatures, one reused buffer)', featureSeconds.toFixed(2), fmtInt(flows / featureSeconds), 'flows/s']);

  // The model alone, on feature matrices made beforehand.
  const matrices = batches.map((b) => core.flowFeatures(b));
  let forestRate = 0;
  for (const spinning of [true, false]) {
    log(`forest model, spinning ${spinning}`);
    const scorer = await core.OnnxForestScorer.create(forestModel.onnx, { spinning });
    const s = await timeEach(matrices, (m) => scorer.score(m));
    await scorer.release();
    forestRate = Math.max(forestRate, flows / s);
    rates.push([`forest model: onnxruntime, batches of 8,192 (spinning: ${spinning})`, s.toFixed(2), fmtInt(flows / s), 'flows/s']);
  }

  log('forest end to end (FlowScoring)');
  const scoring = await core.FlowScoring.load(core.DEFAULT_FOREST_MODEL, { spinning: false });
  const endToEndSeconds = await timeEach(batches, (b) => scoring.score(b));
  const mlAlerts = scoring.finish().length;
  await scoring.close();
  const endToEndRate = flows / endToEndSeconds;
  rates.push(['forest end to end: FlowScoring.score (features, model, alerts; as ingest)', endToEndSeconds.toFixed(2), fmtInt(endToEndRate), 'flows/s']);

  log('host windows and LSTM scoring');
  let sequences;
  const windowSeconds = await best(opts.runs, async () => {
    const t = performance.now();
    ({ sequences } = await core.hostRows(batches));
    return seconds(t);
  });
  rates.push(['host windows: HostWindows.observe + finish', windowSeconds.toFixed(2), fmtInt(flows / windowSeconds), 'flows/s']);
  const lstmScorer = await core.OnnxLstmScorer.create(lstmModel.onnx);
  const lstmSeconds = await best(opts.runs, async () => {
    const t = performance.now();
    await lstmScorer.score(sequences);
    return seconds(t);
  });
  await lstmScorer.release();
  rates.push([`lstm: onnxruntime, ${fmtInt(sequences.count)} sequences`, lstmSeconds.toFixed(2), fmtInt(sequences.count / lstmSeconds), 'sequences/s']);

  log(`training the forest on ${fmtInt(TRAINING_FLOWS)} flows`);
  const features = core.concatMatrices(matrices);
  const forestTraining = await best(opts.runs, async () => {
    const m = repeatRows(features, TRAINING_FLOWS);
    const t = performance.now();
    core.trainForestModel(m, { name: 'bench', sources: [] });
    return seconds(t);
  });
  log(`one LSTM epoch on ${fmtInt(TRAINING_SEQUENCES)} sequences`);
  const trainingSequences = repeatSequences(sequences, TRAINING_SEQUENCES);
  const lstmEpoch = await best(opts.runs, async () => {
    const t = performance.now();
    core.trainLstmModel(trainingSequences, { name: 'bench', sources: [], epochs: 1 });
    return seconds(t);
  });

  log('ingest with and without the forest');
  const db = path.join(opts.out, 'ml.duckdb');
  const off = await best(opts.runs, () => ingestSeconds(core, cap.path, db, undefined));
  const ingestScoring = await core.FlowScoring.load(core.DEFAULT_FOREST_MODEL, { spinning: false });
  const on = await best(opts.runs, () => ingestSeconds(core, cap.path, db, ingestScoring));
  await ingestScoring.close();
  removeDb(db);

  const m = machine();
  const ratio = off / on;
  console.log(
    [
      'MommyNet machine-learning benchmark',
      `date     ${new Date().toISOString()}`,
      `machine  ${m.cpu}, ${m.cores} cores, ${m.os}; node ${m.node}; commit ${m.commit}`,
      `capture  ${path.relative(REPO, cap.path)}: ${fmtInt(opts.packets)} packets, ${fmtInt(flows)} flows in ${batches.length} batches; best of ${opts.runs}`,
      `models   ${core.DEFAULT_FOREST_MODEL} (${forestModel.card.hyper_parameters.trees} trees), ${core.DEFAULT_LSTM_MODEL} (H = ${lstmModel.card.hyper_parameters.hidden_size})`,
      '',
      table(['stage', 'seconds', 'rate', 'unit'], rates, ['l', 'r', 'r', 'l']),
      '',
      `training: forest on ${fmtInt(TRAINING_FLOWS)} flows ${forestTraining.toFixed(2)} s; ` +
        `LSTM, one epoch on ${fmtInt(TRAINING_SEQUENCES)} sequences ${lstmEpoch.toFixed(2)} s (default training: ${lstmModel.card.hyper_parameters.epochs} epochs)`,
      `forest end to end: ${fmtInt(endToEndRate)} flows/s, ${mlAlerts} ml_anomaly alerts (features ${fmtInt(flows / featureSeconds)} flows/s + the model)`,
      `ingest (flows only): without the forest ${off.toFixed(2)} s, with it ${on.toFixed(2)} s; with/without rate ${ratio.toFixed(2)}`,
      '',
      'targets:',
      `  ${forestRate >= TARGET_SCORING ? 'PASS' : 'MISS'}  forest model scoring (onnxruntime, batched) >= ${fmtInt(TARGET_SCORING)} flows/s: ${fmtInt(forestRate)}`,
      `  ${ratio >= TARGET_INGEST_RATIO ? 'PASS' : 'MISS'}  ingest with the forest >= ${TARGET_INGEST_RATIO} x without: ${ratio.toFixed(2)}`,
    ].join('\n'),
  );
  const json = path.join(opts.out, `ml-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(json, JSON.stringify({ machine: m, flows, rates, forestTraining, lstmEpoch, off, on, ratio }, null, 2));
  console.log(`\nresults: ${path.relative(REPO, json)}`);
}

main().catch((err) => {
  console.error(`bench:ml: ${err.stack ?? err}`);
  process.exitCode = 1;
});
