/**
 * Flow features: every value of the matrix equals its formula applied to
 * the row as flowRecords reads it, over the sample capture, synthetic
 * flows (one-way, refused, single-packet, ICMP, IPv6, GRE, odd flags and
 * ports) and the corpus captures when present; sliced batches and a
 * dictionary-encoded conn_state give the same values; docs/ml.md lists the
 * features in order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  assertFeatureNames,
  Capture,
  CONN_STATES,
  type FeatureMatrix,
  FLOW_COLUMNS,
  FLOW_FEATURES,
  flowFeatures,
  type FlowRecord,
  flowRecords,
  SERVICE_PORTS,
} from '@mommynet/core';
import {
  ETHERTYPE_IPV4,
  ethernetFrame,
  icmpPing,
  interleave,
  ipv4Packet,
  seededRandom,
  TCP,
  tcpFrame,
  tcpSession,
  udpExchange,
} from '@mommynet/core/synth';
import { Data, Dictionary, Int32, RecordBatch, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';

import { CORPUS_PCAPS, corpusFiles, REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';

async function batchesOf(path: string): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const batch of Capture.openFile(path)) batches.push(batch);
  return batches;
}

/** Conversations covering every branch of the feature code that real traffic reaches. */
function syntheticCapture(): string {
  const random = seededRandom(11);
  const bytes = (n: number) => new Uint8Array(n).fill(0x61);
  const client = '10.0.0.2';
  const conversations = [
    tcpSession({ client, server: '10.0.0.1', clientPort: 51000, serverPort: 443, exchanges: [{ fromClient: true, payload: bytes(300) }, { fromClient: false, payload: bytes(1400) }] }),
    tcpSession({ client, server: '10.0.0.1', clientPort: 51001, serverPort: 22, ending: 'unanswered' }),
    tcpSession({ client, server: '10.0.0.1', clientPort: 51002, serverPort: 3306, ending: 'refused' }),
    tcpSession({ client, server: '10.0.0.1', clientPort: 51003, serverPort: 8080, ending: 'rst', exchanges: [{ fromClient: true, payload: bytes(20) }] }),
    tcpSession({ client, server: '10.0.0.1', clientPort: 51004, serverPort: 25, ending: 'open', exchanges: [{ fromClient: false, payload: bytes(60) }] }),
    tcpSession({ client: 'fd00::2', server: 'fd00::1', clientPort: 51005, serverPort: 80, exchanges: [{ fromClient: true, payload: bytes(100) }] }),
    udpExchange({ client, server: '10.0.0.53', clientPort: 40000, serverPort: 53, requests: [bytes(40), bytes(41)], responses: [bytes(120), bytes(130)] }),
    udpExchange({ client: '10.0.0.9', server: '10.0.0.8', clientPort: 123, serverPort: 50000, requests: [bytes(48)] }),
    icmpPing({ client, server: '10.0.0.1', identifier: 7, count: 3, answered: 2 }),
    [tcpFrame({ src: client, dst: '10.0.0.1', srcPort: 51006, dstPort: 1234, flags: TCP.SYN | TCP.URG | TCP.ECE | TCP.CWR, ttl: 3 })],
    [ethernetFrame({ ethertype: ETHERTYPE_IPV4, payload: ipv4Packet({ src: client, dst: '10.0.0.1', proto: 47, payload: bytes(24) }) })],
  ];
  return writeCapture(interleave(conversations, random, 1_700_000_000_000_000, 1500));
}

const SIZE_STATS = ['min', 'max', 'mean', 'std'].flatMap((s) => [`pkt_size_${s}_fwd`, `pkt_size_${s}_rev`]);
const FLAGS = ['syn', 'synack', 'fin', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];

/** The features of one record, computed the plain way, in FLOW_FEATURES order (NaN for a feature this does not know). */
function reference(f: FlowRecord): number[] {
  const n = (name: string) => (f[name] === null ? 0 : (f[name] as number));
  const [pf, pr, bf, br] = [n('pkts_fwd'), n('pkts_rev'), n('bytes_fwd'), n('bytes_rev')];
  const packets = pf + pr;
  const bytes = bf + br;
  const duration = n('end_time') - n('start_time');
  const share = (part: number, total: number) => (total > 0 ? part / total : 0);
  const rate = (count: number) => (duration > 0 ? Math.log1p(count / (duration / 1e6)) : 0);
  const proto = n('proto');
  const ported = proto === 6 || proto === 17;
  const port = n('dst_port');
  const v: Record<string, number> = {
    pkts_fwd: Math.log1p(pf),
    pkts_rev: Math.log1p(pr),
    bytes_fwd: Math.log1p(bf),
    bytes_rev: Math.log1p(br),
    payload_bytes_fwd: Math.log1p(n('payload_bytes_fwd')),
    payload_bytes_rev: Math.log1p(n('payload_bytes_rev')),
    duration_ms: Math.log1p(duration / 1000),
    pkts_per_s: rate(packets),
    bytes_per_s: rate(bytes),
    fwd_pkt_share: share(pf, packets),
    fwd_byte_share: share(bf, bytes),
    payload_share: share(n('payload_bytes_fwd') + n('payload_bytes_rev'), bytes),
    ttl_min: n('ttl_min'),
    ttl_max: n('ttl_max'),
    proto_tcp: Number(proto === 6),
    proto_udp: Number(proto === 17),
    proto_icmp: Number(proto === 1 || proto === 58),
    proto_other: Number(![6, 17, 1, 58].includes(proto)),
    dst_port_well_known: Number(ported && port <= 1023),
    dst_port_registered: Number(ported && port >= 1024 && port <= 49151),
    dst_port_ephemeral: Number(ported && port >= 49152),
    src_port_well_known: Number(ported && n('src_port') <= 1023),
  };
  for (const s of SIZE_STATS) v[s] = n(s);
  for (const g of ['iat_min_us', 'iat_max_us', 'iat_mean_us', 'iat_std_us']) v[g] = Math.log1p(n(g));
  for (const flag of FLAGS) v[`${flag}_ratio`] = share(n(`${flag}_count`), packets);
  for (const [service, ports] of Object.entries(SERVICE_PORTS)) v[`svc_${service}`] = Number(ported && (ports as readonly number[]).includes(port));
  for (const s of CONN_STATES) v[`state_${s}`] = Number(f.conn_state === s);
  return FLOW_FEATURES.map((feature) => v[feature.name] ?? NaN);
}

/** Every (row, feature) where the matrix differs from the reference, as readable strings. */
function mismatches(batch: RecordBatch, m: FeatureMatrix): string[] {
  const out: string[] = [];
  let row = 0;
  for (const record of flowRecords(batch)) {
    reference(record).forEach((expected, j) => {
      const actual = m.data[row * m.cols + j]!;
      if (!Object.is(actual, Math.fround(expected))) out.push(`row ${row} ${FLOW_FEATURES[j]!.name}: ${actual}, expected ${expected}`);
    });
    ++row;
  }
  return out;
}

/** The batch with its columns replaced or dropped (undefined). */
function withColumns(batch: RecordBatch, replace: Record<string, Data | undefined>): RecordBatch {
  const children: Record<string, Data> = {};
  for (const c of FLOW_COLUMNS) {
    const data = c.name in replace ? replace[c.name] : batch.getChild(c.name)!.data[0]!;
    if (data) children[c.name] = data;
  }
  return new RecordBatch(children);
}

describe('FLOW_FEATURES', () => {
  it('has at least 30 documented features with distinct names', () => {
    expect(FLOW_FEATURES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(FLOW_FEATURES.map((f) => f.name)).size).toBe(FLOW_FEATURES.length);
    for (const f of FLOW_FEATURES) expect(f.description.length, f.name).toBeGreaterThan(5);
  });

  it('is listed in docs/ml.md, in order', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'ml.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| # | feature |'));
    const listed = [...table.matchAll(/^\| \d+ \| `([a-z0-9_A-Z]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(FLOW_FEATURES.map((f) => f.name));
  });

  it('assertFeatureNames names the first difference', () => {
    const names = FLOW_FEATURES.map((f) => f.name);
    expect(() => assertFeatureNames(names, names, 'model')).not.toThrow();
    expect(() => assertFeatureNames(names, [...names.slice(0, 3), 'other', ...names.slice(4)], 'model')).toThrow(
      /model: feature 3 is other, expected bytes_rev/,
    );
    expect(() => assertFeatureNames(names, names.slice(0, -1), 'model')).toThrow(/features: 61, expected 62/);
  });
});

describe('flowFeatures', () => {
  let demo: RecordBatch[];
  let synthetic: RecordBatch[];
  beforeAll(async () => {
    demo = await batchesOf(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'));
    synthetic = await batchesOf(syntheticCapture());
  });

  it('equals the per-row formulas on demo.pcap', () => {
    for (const batch of demo) {
      const m = flowFeatures(batch);
      expect([m.rows, m.cols, m.data.length]).toEqual([batch.numRows, FLOW_FEATURES.length, batch.numRows * FLOW_FEATURES.length]);
      expect(mismatches(batch, m)).toEqual([]);
    }
    expect(demo.reduce((n, b) => n + b.numRows, 0)).toBe(305);
  });

  it('equals the per-row formulas on synthetic flows, nulls included', () => {
    const records = synthetic.flatMap((b) => [...flowRecords(b)]);
    expect(records).toHaveLength(11);
    // The cases this capture is for: nulls on both kinds of statistic, and each kind of one-hot.
    expect(records.some((r) => r.pkt_size_min_rev === null)).toBe(true);
    expect(records.some((r) => r.iat_min_us === null)).toBe(true);
    expect(new Set(records.map((r) => r.conn_state))).toEqual(new Set(['SF', 'S0', 'REJ', 'RSTO', 'S1', 'OTH']));
    expect(new Set(records.map((r) => r.proto))).toEqual(new Set([6, 17, 1, 47]));
    for (const batch of synthetic) expect(mismatches(batch, flowFeatures(batch))).toEqual([]);
  });

  it('reads sliced batches from their offset, null bitmaps included', () => {
    const batch = synthetic[0]!;
    const full = flowFeatures(batch);
    const cols = full.cols;
    for (const [begin, end] of [[3, 9], [1, batch.numRows], [0, 0]] as const) {
      const part = flowFeatures(batch.slice(begin, end));
      expect(part.rows).toBe(end - begin);
      expect(Array.from(part.data)).toEqual(Array.from(full.data.subarray(begin * cols, end * cols)));
    }
  });

  it('writes into a reused buffer what it returns fresh, whatever the buffer held', () => {
    const batches = [...demo, ...synthetic];
    const into = new Float32Array(Math.max(...batches.map((b) => b.numRows)) * FLOW_FEATURES.length + 7).fill(9);
    for (const batch of batches) {
      const m = flowFeatures(batch, into);
      expect(m.data.buffer).toBe(into.buffer);
      expect(Array.from(m.data)).toEqual(Array.from(flowFeatures(batch).data));
      into.fill(9); // what the previous batch left must not show through
    }
    expect(() => flowFeatures(demo[0]!, new Float32Array(3))).toThrow(/into holds 3 values, the batch needs/);
  });

  it('reads a dictionary-encoded conn_state as it reads utf8', () => {
    for (const batch of [...demo, ...synthetic]) {
      const states = [...flowRecords(batch)].map((r) => r.conn_state as string);
      const dictionary = vectorFromArray(states, new Dictionary(new Utf8(), new Int32())).data[0]!;
      expect(flowFeatures(withColumns(batch, { conn_state: dictionary })).data).toEqual(flowFeatures(batch).data);
    }
  });

  it('leaves every state feature 0 for an unknown or null state', () => {
    const batch = demo[0]!;
    const states = Array.from({ length: batch.numRows }, (_, i) => (i % 3 === 0 ? null : i % 3 === 1 ? 'XYZ' : 'RSTX'));
    const m = flowFeatures(withColumns(batch, { conn_state: vectorFromArray(states, new Utf8()).data[0]! }));
    const first = FLOW_FEATURES.findIndex((f) => f.name.startsWith('state_'));
    for (let r = 0; r < m.rows; ++r) expect(Array.from(m.data.subarray(r * m.cols + first, (r + 1) * m.cols))).toEqual(new Array(CONN_STATES.length).fill(0));
  });

  it('names a missing column or one of the wrong type', () => {
    const batch = demo[0]!;
    expect(() => flowFeatures(withColumns(batch, { ttl_min: undefined }))).toThrow(/no column ttl_min/);
    const text = vectorFromArray(Array.from({ length: batch.numRows }, () => '1'), new Utf8()).data[0]!;
    expect(() => flowFeatures(withColumns(batch, { pkts_fwd: text }))).toThrow(/column pkts_fwd is Utf8, not a number/);
  });
});

const corpus = corpusFiles(CORPUS_PCAPS);

describe.skipIf(corpus.length === 0)('flowFeatures on the corpus', () => {
  it('equals the per-row formulas on every corpus capture', async () => {
    let rows = 0;
    for (const path of corpus) {
      for (const batch of await batchesOf(path)) {
        rows += batch.numRows;
        expect(mismatches(batch, flowFeatures(batch)), path).toEqual([]);
      }
    }
    expect(rows).toBeGreaterThan(1000);
  });
});
