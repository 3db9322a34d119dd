#!/usr/bin/env node
/**
 * Isolation Forest parity with scikit-learn, step 1 of 2 (not run in CI).
 * Writes labelled datasets and this forest's scores (one column per seed)
 * as CSV files; scripts/forest-parity.py trains scikit-learn's
 * IsolationForest on the same rows with the same ψ and t and compares the
 * ROC-AUCs. From the repository root, after `npx tsc -b`:
 *
 *   node scripts/forest-parity.mjs [dir]      # default: $TMPDIR/mommynet-forest-parity
 *   /usr/bin/python3 scripts/forest-parity.py [dir]   # Debian's python3-sklearn
 *
 * Datasets (all seeded):
 * - gaussian: one Gaussian cluster in 8 dimensions with a different scale
 *   per feature, 2% of rows 6–10 standard deviations out on every feature;
 * - subtle: the same cluster, 5% of rows 2.5–4 standard deviations out on
 *   two random features only (hard: the AUC is well below 1);
 * - blobs: three Gaussian clusters of different spread, 5% of rows uniform
 *   over the bounding box (some land inside clusters);
 * - corpus (when ../shared/corpus is present): the flow features of the
 *   corpus's benign captures, plus 5% as many flows drawn from its scan,
 *   flood and amplification captures.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Capture, flowFeatures, IsolationForest, rocAuc } from '../packages/core/dist/index.js';
import { seededRandom } from '../packages/core/dist/synth/index.js';

const TREES = 100;
const SAMPLE_SIZE = 256;
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(tmpdir(), 'mommynet-forest-parity'));

function normal(random) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Rows from `draw(row) → [values, label]`, as a matrix and labels. */
function build(rows, cols, draw) {
  const data = new Float32Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; ++r) {
    const [values, label] = draw(r);
    data.set(values, r * cols);
    labels[r] = label;
  }
  return { m: { data, rows, cols }, labels };
}

function gaussian(seed, { rows, share, outlier }) {
  const random = seededRandom(seed);
  const z = normal(random);
  const cols = 8;
  return build(rows, cols, () => {
    const anomaly = random() < share;
    const values = Array.from({ length: cols }, () => z());
    if (anomaly) outlier(values, random);
    return [values.map((v, j) => 10 * j + (j + 1) * v), Number(anomaly)];
  });
}

function blobs(seed) {
  const random = seededRandom(seed);
  const z = normal(random);
  const cols = 8;
  const centres = [0, 1, 2].map(() => Array.from({ length: cols }, () => 8 * (random() - 0.5)));
  const spreads = [0.5, 1, 1.5];
  return build(20_000, cols, () => {
    if (random() < 0.05) return [Array.from({ length: cols }, () => 14 * (random() - 0.5)), 1];
    const k = Math.floor(random() * 3);
    return [centres[k].map((c) => c + spreads[k] * z()), 0];
  });
}

const BENIGN = ['cs_http_espn.pcapng', 'malcolm_DNS.pcap', 'malcolm_SSL.pcap', 'ndpi_netflix.pcap', 'ndpi_teams.pcap', 'zeek_echo-connections.pcap'];
const ATTACKS = ['ndpi_synscan.pcap', 'sv_tcp-session-syn-flood.pcap', 'stopddos_amp.UDP.isakmp.pcap', 'sgr_hs-udpScan.pcap', 'sgr_hs-icmpScan.pcap'];

async function flowRows(paths) {
  const rows = [];
  for (const path of paths) {
    for await (const batch of Capture.openFile(path)) {
      const m = flowFeatures(batch);
      for (let r = 0; r < m.rows; ++r) rows.push(m.data.subarray(r * m.cols, (r + 1) * m.cols));
    }
  }
  return rows;
}

async function corpus(seed) {
  const dir = join(process.env.MOMMYNET_SHARED ?? join(repo, '..', 'shared'), 'corpus', 'pcaps');
  if (!existsSync(dir)) return undefined;
  const benign = await flowRows(BENIGN.map((f) => join(dir, f)));
  const attacks = await flowRows(ATTACKS.map((f) => join(dir, f)));
  const random = seededRandom(seed);
  // A partial shuffle picks the attack flows without replacement.
  const wanted = Math.round(benign.length * 0.05);
  for (let k = 0; k < wanted; ++k) {
    const j = k + Math.floor(random() * (attacks.length - k));
    [attacks[k], attacks[j]] = [attacks[j], attacks[k]];
  }
  const rows = [...benign.map((v) => [v, 0]), ...attacks.slice(0, wanted).map((v) => [v, 1])];
  return build(rows.length, benign[0].length, (r) => rows[r]);
}

const datasets = {
  gaussian: gaussian(101, {
    rows: 20_000,
    share: 0.02,
    outlier: (v, random) => v.forEach((_, j) => (v[j] = (random() < 0.5 ? -1 : 1) * (6 + 4 * random()))),
  }),
  subtle: gaussian(102, {
    rows: 20_000,
    share: 0.05,
    outlier: (v, random) => {
      for (let n = 0; n < 2; ++n) v[Math.floor(random() * v.length)] = (random() < 0.5 ? -1 : 1) * (2.5 + 1.5 * random());
    },
  }),
  blobs: blobs(103),
  corpus: await corpus(104),
};

mkdirSync(out, { recursive: true });
for (const [name, set] of Object.entries(datasets)) {
  if (!set) {
    console.log(`${name}: skipped (no corpus)`);
    continue;
  }
  const { m, labels } = set;
  const scores = SEEDS.map((seed) => IsolationForest.train(m, { trees: TREES, sampleSize: SAMPLE_SIZE, seed }).score(m));
  const aucs = scores.map((s) => rocAuc(s, labels));
  const header = ['label', ...SEEDS.map((s) => `ts_${s}`), ...Array.from({ length: m.cols }, (_, j) => `x${j}`)].join(',');
  const lines = [header];
  for (let r = 0; r < m.rows; ++r) {
    lines.push([labels[r], ...scores.map((s) => s[r]), ...m.data.subarray(r * m.cols, (r + 1) * m.cols)].join(','));
  }
  writeFileSync(join(out, `${name}.csv`), lines.join('\n') + '\n');
  const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
  console.log(`${name}: ${m.rows} rows × ${m.cols}, ${labels.reduce((a, b) => a + b, 0)} anomalies, TS ROC-AUC mean ${mean.toFixed(4)}`);
}
console.log(`wrote ${out}; next: /usr/bin/python3 scripts/forest-parity.py ${out}`);
