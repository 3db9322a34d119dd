/**
 * Isolation Forest scores in ingest: every stored flow's `anomaly_score` is
 * the model's score, flows above the card's thresholds become explained
 * `ml_anomaly` alerts, and a missing, corrupt or mismatched model stops
 * ingest with a message naming it, unless the user asked to go on without.
 * Also: a database of the previous store schema gains the column.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  Capture,
  type FeatureMatrix,
  FLOW_FEATURES,
  flowFeatures,
  HOST_WINDOW_FEATURES,
  loadLabels,
  IsolationForest,
  isolationForestOnnx,
  matrixSha256,
  MODEL_CARD_VERSION,
  type ModelCard,
  openStore,
  RobustScaler,
  saveModel,
  STORE_SCHEMA_VERSION,
} from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-scoring-'));
const demo = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');

async function demoFeatures(): Promise<FeatureMatrix> {
  const parts: FeatureMatrix[] = [];
  for await (const batch of Capture.openFile(demo)) parts.push(flowFeatures(batch));
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const data = new Float32Array(rows * FLOW_FEATURES.length);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { data, rows, cols: FLOW_FEATURES.length };
}

/** A forest trained on the demo capture's flows, saved with a card whose thresholds put some of them above each severity. */
async function trainDemoModel(name: string): Promise<{ forest: IsolationForest; scaler: RobustScaler; expected: Float32Array }> {
  const raw = await demoFeatures();
  const scaler = RobustScaler.fit(raw);
  const scaled = scaler.transform({ ...raw, data: raw.data.slice() });
  const forest = IsolationForest.train(scaled, { seed: 3, featureNames: FLOW_FEATURES.map((f) => f.name) });
  const expected = forest.score(scaled);
  const sorted = Float32Array.from(expected).sort();
  const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
  const card: ModelCard = {
    card_version: MODEL_CARD_VERSION,
    name,
    kind: 'isolation-forest',
    created: '2026-01-05T00:00:00Z',
    features: FLOW_FEATURES.map((f) => f.name),
    scaler: scaler.toJSON(),
    hyper_parameters: { trees: forest.trees, sample_size: forest.sampleSize, seed: 3 },
    training: { sources: [demo], rows: raw.rows, sha256: matrixSha256(raw.data), seconds: 0 },
    thresholds: { severity2: q(0.99), severity3: q(0.97), severity4: q(0.9) },
    training_scores: { p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999) },
    model: forest.toJSON(),
  };
  saveModel(dir, card, isolationForestOnnx(forest, { scaler }));
  return { forest, scaler, expected };
}

function ingest(db: string, ...args: string[]) {
  return runCli(['ingest', demo, '--db', db, '-q', '--json', ...args]);
}

async function rows<T>(db: string, sql: string): Promise<T[]> {
  const store = await openStore(db, { readOnly: true });
  try {
    return await store.all<T>(sql);
  } finally {
    store.close();
  }
}

describe('ingest with an Isolation Forest', () => {
  it('stores every flow\'s score and raises explained ml_anomaly alerts by the card\'s thresholds', async () => {
    const { expected } = await trainDemoModel('demo-forest');
    const db = join(dir, 'scored.duckdb');
    const r = ingest(db, '--model', join(dir, 'demo-forest'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Flows are stored in the order the engine emits them, as the features were computed.
    const stored = await rows<{ anomaly_score: number }>(db, 'SELECT anomaly_score FROM flows ORDER BY rowid');
    expect(stored).toHaveLength(expected.length);
    stored.forEach((s, i) => expect(Math.abs(s.anomaly_score - expected[i]!), `flow ${i}`).toBeLessThan(1e-5));

    const alerts = await rows<{ severity: number; score: number; detector: string; message: string; details: string }>(
      db,
      `SELECT severity, score, detector, message, details::VARCHAR AS details FROM alerts WHERE category = 'ml_anomaly'`,
    );
    expect(alerts.length).toBeGreaterThan(0);
    const card = JSON.parse(readFileSync(join(dir, 'demo-forest.json'), 'utf8')) as ModelCard;
    for (const a of alerts) {
      expect(a.detector).toBe('isolation_forest');
      const expectedSeverity = a.score >= card.thresholds.severity2 ? 2 : a.score >= card.thresholds.severity3 ? 3 : 4;
      expect(a.severity).toBeLessThanOrEqual(expectedSeverity);
      const details = JSON.parse(a.details) as { model: string; first_flow_features: { feature: string; share: number }[] };
      expect(details.model).toBe('demo-forest');
      expect(details.first_flow_features.length).toBeGreaterThan(0);
      for (const f of details.first_flow_features) expect(FLOW_FEATURES.map((x) => x.name)).toContain(f.feature);
      expect(a.message).toContain(details.first_flow_features[0]!.feature);
    }
    // Flows above the lowest threshold are all inside some alert's count.
    const above = expected.filter((s) => s >= card.thresholds.severity4).length;
    const counted = alerts.reduce((n, a) => n + (JSON.parse(a.details) as { flows: number }).flows, 0);
    expect(counted).toBe(above);
  });

  it('stops on a missing, corrupt or mismatched model, naming it; goes on without it when asked', async () => {
    await trainDemoModel('good');
    const missing = ingest(join(dir, 'a.duckdb'), '--model', join(dir, 'absent'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^mommy-forensics: model absent: .*absent\.json does not exist \(--skip-bad-model goes on without it, --no-ml skips scoring\)\n$/);

    copyFileSync(join(dir, 'good.json'), join(dir, 'corrupt.json'));
    writeFileSync(join(dir, 'corrupt.onnx'), 'not a model');
    const corrupt = ingest(join(dir, 'b.duckdb'), '--model', join(dir, 'corrupt'));
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toMatch(/^mommy-forensics: model corrupt: onnxruntime cannot load .*corrupt\.onnx \(.+\)/);

    const card = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8')) as ModelCard;
    card.features = [...card.features.slice(0, -1), 'bytes_per_fortnight'];
    writeFileSync(join(dir, 'other.json'), JSON.stringify(card));
    copyFileSync(join(dir, 'good.onnx'), join(dir, 'other.onnx'));
    const other = ingest(join(dir, 'c.duckdb'), '--model', join(dir, 'other'));
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('model other was trained on other features than this version computes');
    expect(other.stderr).toContain(`not in the model: ${FLOW_FEATURES.at(-1)!.name}; unknown here: bytes_per_fortnight`);

    const skipped = ingest(join(dir, 'd.duckdb'), '--model', join(dir, 'absent'), '--skip-bad-model');
    expect(skipped.status).toBe(0);
    expect(skipped.stderr).toMatch(/model absent: .* going on without it \(--skip-bad-model\)/);
    const scores = await rows<{ scored: bigint; rule_alerts: bigint }>(
      join(dir, 'd.duckdb'),
      `SELECT count(anomaly_score) AS scored, (SELECT count(*) FROM alerts) AS rule_alerts FROM flows`,
    );
    expect(Number(scores[0]!.scored)).toBe(0);
    expect(Number(scores[0]!.rule_alerts)).toBeGreaterThan(0); // the demo's port scan, found without the model
    expect(ingest(join(dir, 'e.duckdb'), '--no-ml').stderr).toBe('');
  });

  it('scores hosts with the shipped LSTM when asked: ml_anomaly alerts from detector lstm, explained by aggregates', async () => {
    const mixed = join(REPO_ROOT, 'datasets', 'sim', 'mixed.pcap');
    const db = join(dir, 'hosts.duckdb');
    const r = runCli(['ingest', mixed, '--db', db, '-q', '--host-model', 'hosts-lstm', '--no-detect']);
    expect(r.stderr).toBe('');
    const alerts = await rows<{ src_ip: string; severity: number; details: string }>(
      db,
      `SELECT src_ip, severity, details::VARCHAR AS details FROM alerts WHERE detector = 'lstm'`,
    );
    expect(alerts.length).toBeGreaterThan(0);
    const attackers = new Set(loadLabels(join(REPO_ROOT, 'datasets', 'sim', 'mixed.labels.jsonl')).flatMap((e) => [e.attacker, e.victim]));
    const flagged = alerts.filter((a) => [...attackers].some((set) => set?.has(a.src_ip)));
    expect(flagged.length / alerts.length).toBeGreaterThan(0.9);
    for (const a of alerts) {
      const d = JSON.parse(a.details) as { model: string; least_predictable: { aggregate: string }[] };
      expect(d.model).toBe('hosts-lstm');
      for (const x of d.least_predictable) expect(HOST_WINDOW_FEATURES).toContain(x.aggregate);
    }
    const wrong = runCli(['ingest', mixed, '--db', join(dir, 'hosts2.duckdb'), '-q', '--host-model', 'flows-forest']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('model flows-forest was trained on other features than this version computes');
  });

  it('adds anomaly_score to a database of the previous store schema', async () => {
    const db = join(dir, 'v1.duckdb');
    expect(ingest(db, '--no-ml').status).toBe(0);
    const store = await openStore(db);
    await store.run('ALTER TABLE flows DROP COLUMN anomaly_score');
    await store.run(`UPDATE mommynet_meta SET value = '1' WHERE key = 'schema_version'`);
    store.close();
    const reopened = await openStore(db);
    const columns = await reopened.all<{ name: string }>(`SELECT name FROM pragma_table_info('flows') WHERE name = 'anomaly_score'`);
    const version = await reopened.all<{ value: string }>(`SELECT value FROM mommynet_meta WHERE key = 'schema_version'`);
    reopened.close();
    expect(columns).toHaveLength(1);
    expect(version[0]!.value).toBe(String(STORE_SCHEMA_VERSION));
  });
});
