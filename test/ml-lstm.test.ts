/**
 * The LSTM next-window predictor: backpropagation checked against central
 * differences for every parameter tensor, Adam learning a toy sequence,
 * reproducibility by seed, JSON round trip, the ONNX export scoring as the
 * TypeScript forward pass, and, trained on synthetic benign hosts, slow
 * scans scoring above held-out benign hosts.
 */
import { seededRandom } from '@mommynet/core/synth';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { HOST_WINDOW_FEATURES, type HostSequences, HostWindows } from '../packages/core/src/ml/host-windows.js';
import { LSTM_PARAMETER_NAMES, LstmModel, lossAndGradients, type SequenceBatch, trainLstm } from '../packages/core/src/ml/lstm.js';
import { lstmOnnx, OnnxLstmScorer } from '../packages/core/src/ml/lstm-onnx.js';
import { rocAuc } from '../packages/core/src/ml/metrics.js';
import { type HostFlow, hostFlowBatch } from './support/host-flows.js';

/** `count` sequences of uniform values in [lo, hi), some windows left at zero as idle hosts have them. */
function randomSequences(random: () => number, count: number, length: number, features: number, lo = 0, hi = 1): SequenceBatch {
  const data = new Float32Array(count * length * features);
  for (let w = 0; w < count * length; w++) {
    if (random() < 0.2) continue;
    for (let j = 0; j < features; j++) data[w * features + j] = lo + (hi - lo) * random();
  }
  return { data, count, length, features };
}

describe('backpropagation through time', () => {
  it('matches central differences for every parameter tensor', () => {
    const random = seededRandom(7);
    const features = ['a', 'b', 'c'];
    const sequences = randomSequences(random, 3, 5, features.length, -1, 2);
    const model = LstmModel.initial({ features, hiddenSize: 4, seed: 3 }, { mean: [0.1, -0.2, 0.3], scale: [1.5, 0.7, 1.1] });
    // Move every weight and bias off its initial value so that no term of the gradient is zero by construction.
    for (const name of LSTM_PARAMETER_NAMES) {
      const p = model.parameters[name];
      for (let i = 0; i < p.length; i++) p[i]! += random() - 0.5;
    }
    const { gradients } = lossAndGradients(model, sequences);
    const eps = 1e-6;
    for (const name of LSTM_PARAMETER_NAMES) {
      const p = model.parameters[name];
      let worst = 0;
      for (let i = 0; i < p.length; i++) {
        const kept = p[i]!;
        p[i] = kept + eps;
        const up = lossAndGradients(model, sequences).loss;
        p[i] = kept - eps;
        const down = lossAndGradients(model, sequences).loss;
        p[i] = kept;
        const numeric = (up - down) / (2 * eps);
        const analytic = gradients[name][i]!;
        worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1e-7, Math.abs(numeric) + Math.abs(analytic)));
      }
      expect(worst, name).toBeLessThan(1e-5);
    }
  });

  it('averages over the mini-batch it is given', () => {
    const random = seededRandom(8);
    const sequences = randomSequences(random, 4, 6, 2);
    const model = LstmModel.initial({ features: ['a', 'b'], hiddenSize: 3 }, { mean: [0, 0], scale: [1, 1] });
    const scores = model.score(sequences);
    expect(lossAndGradients(model, sequences, [1, 3]).loss).toBeCloseTo((scores[1]! + scores[3]!) / 2, 12);
    expect(() => lossAndGradients(model, sequences, [1, 4])).toThrow(/indices\[1\]/);
  });
});

/** Two aggregates on a circle, turning by 0.6 rad a window from a random phase: the next window follows from the last two. */
function circles(random: () => number, count: number, length: number): SequenceBatch {
  const data = new Float32Array(count * length * 2);
  for (let s = 0; s < count; s++) {
    const phase = 2 * Math.PI * random();
    for (let t = 0; t < length; t++) {
      data[(s * length + t) * 2] = Math.sin(phase + 0.6 * t);
      data[(s * length + t) * 2 + 1] = Math.cos(phase + 0.6 * t);
    }
  }
  return { data, count, length, features: 2 };
}

describe('training', () => {
  const toy = circles(seededRandom(11), 256, 12);
  const options = { features: ['sin', 'cos'], hiddenSize: 8, epochs: 15, batchSize: 32, learningRate: 0.01, seed: 5 };

  it('Adam brings the loss down', () => {
    const { model, losses } = trainLstm(toy, options);
    expect(losses).toHaveLength(15);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 10);
    const scores = model.score(toy);
    expect(scores.reduce((a, b) => a + b, 0) / scores.length).toBeLessThan(losses[0]! / 10);
  });

  it('gives the same weights for the same seed, other weights for another', () => {
    const a = trainLstm(toy, { ...options, epochs: 3 });
    const b = trainLstm(toy, { ...options, epochs: 3 });
    const c = trainLstm(toy, { ...options, epochs: 3, seed: 6 });
    expect(b.model.toJSON()).toEqual(a.model.toJSON());
    expect(b.losses).toEqual(a.losses);
    expect(c.model.toJSON().recurrentWeights).not.toEqual(a.model.toJSON().recurrentWeights);
  });

  it('round-trips through JSON', () => {
    const { model } = trainLstm(toy, { ...options, epochs: 2 });
    const copy = LstmModel.fromJSON(JSON.stringify(model));
    expect(copy.score(toy)).toEqual(model.score(toy));
    expect(copy.features).toEqual(['sin', 'cos']);
  });

  it('rejects bad hyper-parameters and shapes, naming them', () => {
    expect(() => trainLstm(toy, { ...options, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => trainLstm(toy, { ...options, epochs: 1.5 })).toThrow(/epochs/);
    expect(() => trainLstm(toy, { ...options, learningRate: -1 })).toThrow(/learningRate/);
    expect(() => trainLstm(toy, { ...options, beta1: 1 })).toThrow(/beta1/);
    expect(() => trainLstm(toy, { ...options, beta2: -0.1 })).toThrow(/beta2/);
    expect(() => trainLstm(toy, { ...options, epsilon: 0 })).toThrow(/epsilon/);
    expect(() => trainLstm(toy, { ...options, clipNorm: 0 })).toThrow(/clipNorm/);
    expect(() => trainLstm(toy, { ...options, minScale: 0 })).toThrow(/minScale/);
    expect(() => trainLstm(toy, { ...options, hiddenSize: 0 })).toThrow(/hiddenSize/);
    expect(() => trainLstm(toy, { ...options, seed: 0.5 })).toThrow(/seed/);
    expect(() => trainLstm(toy, { ...options, learningrate: 0.1 } as never)).toThrow(/learningrate/);
    expect(() => trainLstm(toy, { ...options, features: ['sin'] })).toThrow(/features/);
    expect(() => trainLstm({ ...toy, length: 1, data: new Float32Array(256 * 2) }, options)).toThrow(/length/);
    expect(() => trainLstm({ ...toy, count: 255 }, options)).toThrow(/data/);
    const { model } = trainLstm(toy, { ...options, epochs: 1 });
    expect(() => model.score({ ...toy, features: 3, data: new Float32Array(256 * 12 * 3) })).toThrow(/features/);
    expect(() => model.explain(toy, 256)).toThrow(/index/);
    const json = model.toJSON();
    expect(() => LstmModel.fromJSON({ ...json, recurrentWeights: json.recurrentWeights.slice(1) })).toThrow(/recurrentWeights/);
    expect(() => LstmModel.fromJSON({ ...json, scale: json.scale.map(() => 0) })).toThrow(/scale/);
  });
});

describe('ONNX export', () => {
  it('scores as the TypeScript forward pass within 1e-4, for any sequence length', async () => {
    const random = seededRandom(21);
    const F = HOST_WINDOW_FEATURES.length;
    const { model } = trainLstm(randomSequences(random, 200, 16, F, 0, 10), { features: HOST_WINDOW_FEATURES, epochs: 1 });
    const scorer = await OnnxLstmScorer.create(lstmOnnx(model), { batchSequences: 128 });
    expect(scorer.featureNames).toEqual(HOST_WINDOW_FEATURES);
    try {
      for (const length of [2, 3, 9, 16, 31]) {
        const sequences = randomSequences(random, 300, length, F, 0, 12);
        const ts = model.score(sequences);
        const { score, featureError } = await scorer.score(sequences);
        let worst = 0;
        for (let s = 0; s < sequences.count; s++) worst = Math.max(worst, Math.abs(score[s]! - ts[s]!) / Math.max(1, ts[s]!));
        expect(worst, `length ${length}`).toBeLessThan(1e-4);
        for (const s of [0, 150, 299]) {
          const errors = model.featureErrors(sequences, s);
          for (let j = 0; j < F; j++) expect(featureError[s * F + j]!).toBeCloseTo(errors[j]!, 4);
        }
      }
    } finally {
      await scorer.release();
    }
  });

  it('refuses a model without the LSTM metadata and sequences of the wrong shape', async () => {
    const { model } = trainLstm(randomSequences(seededRandom(3), 8, 4, 2), { features: ['a', 'b'], hiddenSize: 2, epochs: 1 });
    const scorer = await OnnxLstmScorer.create(lstmOnnx(model));
    await expect(scorer.score({ data: new Float32Array(12), count: 2, length: 2, features: 3 })).rejects.toThrow(/features/);
    await expect(scorer.score({ data: new Float32Array(8), count: 2, length: 3, features: 2 })).rejects.toThrow(/data/);
    await scorer.release();
    await expect(OnnxLstmScorer.create(lstmOnnx(model), { batchSequences: 0 })).rejects.toThrow(/batchSequences/);
  });
});

// ---- synthetic hosts ---------------------------------------------------------------------------------------------

const T0 = 1_700_000_000_000_000;
const MINUTE = 60_000_000;
const WINDOWS = 48;

type Flow = Required<HostFlow>;

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const logNormal = (random: () => number, median: number, sigma: number) => Math.round(median * Math.exp(sigma * gaussian(random)));

function poisson(random: () => number, mean: number): number {
  let n = 0;
  for (let p = random(); p > Math.exp(-mean); p *= random()) n++;
  return n;
}

/** A workstation: bursts of activity (on/off from minute to minute) of DNS, web, NTP and the odd failed connection. */
function workstation(random: () => number, src: string, out: Flow[]): void {
  const rate = Math.exp(random() * Math.log(12)); // 1 to 12 flows an active minute
  const servers = Array.from({ length: 6 }, () => `203.0.113.${1 + Math.floor(random() * 250)}`);
  let on = random() < 0.5;
  for (let w = 0; w < WINDOWS; w++) {
    on = random() < (on ? 0.85 : 0.3);
    if (!on) continue;
    for (let n = poisson(random, rate); n > 0; n--) {
      const start = T0 + w * MINUTE + Math.floor(random() * MINUTE);
      const u = random();
      const server = servers[Math.floor(random() * servers.length)]!;
      if (u < 0.35) {
        out.push({ src, dst: '10.0.0.53', port: 53, proto: 17, start, duration: 2000 + Math.floor(random() * 40_000), pkts: [1, 1], bytes: [60 + Math.floor(random() * 20), logNormal(random, 150, 0.3)], state: 'SF' });
      } else if (u < 0.93) {
        const pkts = 8 + logNormal(random, 30, 0.8);
        out.push({
          src, dst: server, port: u < 0.85 ? 443 : 80, proto: 6, start,
          duration: logNormal(random, 3_000_000, 1.2), pkts: [pkts, Math.round(pkts * 1.3)],
          bytes: [logNormal(random, 2500, 0.7), logNormal(random, 60_000, 1)], state: 'SF',
        });
      } else if (u < 0.97) {
        out.push({ src, dst: '10.0.0.123', port: 123, proto: 17, start, duration: 1000, pkts: [1, 1], bytes: [76, 76], state: 'SF' });
      } else {
        out.push({ src, dst: server, port: 443, proto: 6, start, duration: 3_000_000, pkts: [3, 0], bytes: [180, 0], state: 'S0' });
      }
    }
  }
}

/** A device that is silent but for a DNS lookup and an NTP exchange every 10 to 20 minutes. */
function quietDevice(random: () => number, src: string, out: Flow[]): void {
  for (let t = T0 + Math.floor(random() * 600e6); t < T0 + WINDOWS * MINUTE; t += 600e6 + Math.floor(random() * 600e6)) {
    out.push({ src, dst: '10.0.0.53', port: 53, proto: 17, start: t, duration: 3000, pkts: [1, 1], bytes: [70, logNormal(random, 150, 0.3)], state: 'SF' });
    out.push({ src, dst: '10.0.0.123', port: 123, proto: 17, start: t + 50_000, duration: 1000, pkts: [1, 1], bytes: [76, 76], state: 'SF' });
  }
}

/** The benign network: three workstations for each quiet device. */
function benignHost(random: () => number, src: string, out: Flow[]): void {
  (random() < 0.75 ? workstation : quietDevice)(random, src, out);
}

/**
 * A slow scan beside the host's normal traffic: two to five probes a minute
 * (the port-scan rule wants 20 ports in 60 s) to closed or filtered ports of
 * one server.
 */
function slowScanner(random: () => number, src: string, out: Flow[]): void {
  benignHost(random, src, out);
  for (let w = 0; w < WINDOWS; w++) {
    for (let n = 2 + Math.floor(random() * 4); n > 0; n--) {
      const start = T0 + w * MINUTE + Math.floor(random() * MINUTE);
      const port = 1 + Math.floor(random() * 65535);
      const rejected = random() < 0.4;
      out.push({ src, dst: '10.0.0.20', port, proto: 6, start, duration: rejected ? 300 : 0, pkts: [1, rejected ? 1 : 0], bytes: [44, rejected ? 40 : 0], state: rejected ? 'REJ' : 'S0' });
    }
  }
}

/** The flows as Arrow batches (the columns HostWindows reads) in the order a capture emits them: by end of flow. */
function* batches(flows: Flow[], rows = 4096): Generator<RecordBatch> {
  flows.sort((a, b) => a.start + a.duration - (b.start + b.duration));
  for (let lo = 0; lo < flows.length; lo += rows) {
    yield hostFlowBatch(flows.slice(lo, lo + rows));
  }
}

function hostSequences(flows: Flow[]): HostSequences {
  const windows = new HostWindows();
  for (const batch of batches(flows)) windows.observe(batch);
  return windows.finish();
}

describe('detection', () => {
  it('scores slow scans above benign hosts it never saw (AUC > 0.9) and says which aggregates gave them away', () => {
    const random = seededRandom(2024);
    const network = (n: number, prefix: string, host: typeof benignHost) => {
      const flows: Flow[] = [];
      for (let i = 0; i < n; i++) host(random, `${prefix}.${i + 1}`, flows);
      return hostSequences(flows);
    };
    const train = network(60, '10.1.0', benignHost);
    const benign = network(30, '10.2.0', benignHost);
    const scans = network(10, '10.3.0', slowScanner);
    const { model } = trainLstm(train, { features: HOST_WINDOW_FEATURES, hiddenSize: 16, epochs: 8 });
    const scores = [...model.score(benign), ...model.score(scans)];
    const labels = [...Array<number>(benign.count).fill(0), ...Array<number>(scans.count).fill(1)];
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.9);

    const scanScores = model.score(scans);
    const worst = scanScores.indexOf(Math.max(...scanScores));
    const why = model.explain(scans, worst);
    expect(why).toHaveLength(3);
    expect(why[0]!.error).toBeGreaterThanOrEqual(why[1]!.error);
    expect(why.map((w) => w.feature)).toContain('dst_ports');
    const errors = model.featureErrors(scans, worst);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeCloseTo(scanScores[worst]!, 10);
  });
});
