/**
 * Per-host window aggregates: a hand-computed window, every sequence of the
 * sample capture against a plain recomputation from its flow records, the
 * gap limit, late flows, streaming with take(), the bound on hosts, and
 * option checks.
 */
import { join } from 'node:path';

import { Capture, type FlowRecord, flowRecords } from '@mommynet/core';
import { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import {
  FAILED_CONN_STATES,
  HOST_WINDOW_FEATURES,
  type HostSequences,
  type HostWindowOptions,
  HostWindows,
} from '../packages/core/src/ml/host-windows.js';
import { REPO_ROOT } from './support/corpus.js';
import { hostFlowBatch } from './support/host-flows.js';

const F = HOST_WINDOW_FEATURES.length;
const T0 = 1_700_000_000_000_000;
const MINUTE = 60_000_000;

const batch = hostFlowBatch;

/** The window vector at position `step` of sequence `index`. */
const windowAt = (s: HostSequences, index: number, step: number) => Array.from(s.data.subarray((index * s.length + step) * F, (index * s.length + step + 1) * F));

/** Each sequence as `host@window-start` → its windows, for comparisons that do not depend on output order. */
function byKey(s: HostSequences): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (let i = 0; i < s.count; i++) out.set(`${s.hosts[i]}@${s.windowStartUs[i]}`, Array.from({ length: s.length }, (_, t) => windowAt(s, i, t)));
  return out;
}

describe('window aggregates', () => {
  it('match a window worked out by hand', () => {
    const windows = new HostWindows();
    const src = '10.0.0.9';
    windows.observe(
      batch([
        { src, dst: '10.0.0.1', port: 443, proto: 6, start: T0, duration: 2_000_000, pkts: [3, 4], bytes: [100, 1000] },
        { src, dst: '10.0.0.2', port: 8080, proto: 6, start: T0 + 1e6, pkts: [1, 1], bytes: [40, 40], state: 'REJ' },
        { src, dst: '10.0.0.1', port: 53, proto: 17, start: T0 + 2e6, pkts: [1, 0], bytes: [60, 0], state: 'S0' },
        { src, dst: '10.0.0.3', port: 0, proto: 1, start: T0 + 3e6, duration: 1000, pkts: [1, 1], bytes: [84, 84], state: 'OTH' },
      ]),
    );
    const s = windows.finish();
    expect(s.count).toBe(5); // the active window and maxGapWindows (4) quiet ones after it
    expect(s.hosts).toEqual(Array(5).fill(src));
    const windowStart = Math.floor(T0 / MINUTE) * MINUTE;
    expect(s.windowStartUs).toEqual([0, 1, 2, 3, 4].map((k) => windowStart + k * MINUTE));
    const expected = [
      Math.log1p(4), // flows
      Math.log1p(3), // peers: .1, .2, .3
      Math.log1p(3), // dst ports of TCP and UDP: 443, 8080, 53
      Math.log1p(284), // bytes out
      Math.log1p(1124), // bytes in
      Math.log1p(12), // packets
      2 / 4, // REJ and S0 failed
      Math.log1p(2.001 / 4), // mean duration, seconds
      2 / 4, // 443 and 53
      2 / 4,
      1 / 4,
      1 / 4,
    ];
    const last = windowAt(s, 0, 15);
    expected.forEach((v, j) => expect(last[j], HOST_WINDOW_FEATURES[j]).toBeCloseTo(v, 5));
    // Sequence k ends k windows later: the active window moves back one place each time, the rest is zero.
    for (let k = 0; k < 5; k++) {
      for (let t = 0; t < 16; t++) expect(windowAt(s, k, t)).toEqual(t === 15 - k ? last : Array(F).fill(0));
    }
  });

  it('read dictionary-encoded strings as utf8 ones', () => {
    const flows = ['10.0.0.1', '10.0.0.2', '10.0.0.1'].flatMap((src, i) =>
      ['10.9.0.1', '10.9.0.2'].map((dst, k) => ({ src, dst, port: 80 + k, proto: 6, start: T0 + i * MINUTE, state: k ? 'REJ' : 'SF' })),
    );
    const run = (strings: 'utf8' | 'dictionary') => {
      const windows = new HostWindows();
      windows.observe(batch(flows, strings));
      return windows.finish();
    };
    expect(run('dictionary')).toEqual(run('utf8'));
    expect(run('utf8').count).toBeGreaterThan(0);
  });

  it('count every failed conn_state as failed, and only those', () => {
    const states = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];
    const windows = new HostWindows({ maxGapWindows: 0 });
    windows.observe(batch(states.map((state, i) => ({ src: `10.0.1.${i}`, dst: '10.0.0.1', port: 80, proto: 6, start: T0, state }))));
    const s = windows.finish();
    const failed = HOST_WINDOW_FEATURES.indexOf('failed_ratio');
    for (let i = 0; i < s.count; i++) {
      const state = states[Number(s.hosts[i]!.split('.')[3])]!;
      expect(windowAt(s, i, 15)[failed], state).toBe(FAILED_CONN_STATES.has(state) ? 1 : 0);
    }
    expect([...FAILED_CONN_STATES].sort()).toEqual(['REJ', 'RSTO', 'RSTOS0', 'RSTR', 'RSTRH', 'S0', 'SH', 'SHR']);
  });
});

/** The aggregates of one host's window, computed the plain way from flow records. */
function recompute(flows: FlowRecord[]): number[] {
  const n = flows.length;
  const sum = (f: (r: FlowRecord) => number) => flows.reduce((a, r) => a + f(r), 0);
  const share = (p: (r: FlowRecord) => boolean) => flows.filter(p).length / n;
  const transport = (r: FlowRecord) => r.proto === 6 || r.proto === 17;
  return [
    Math.log1p(n),
    Math.log1p(new Set(flows.map((r) => r.dst_ip)).size),
    Math.log1p(new Set(flows.filter(transport).map((r) => r.dst_port)).size),
    Math.log1p(sum((r) => r.bytes_fwd as number)),
    Math.log1p(sum((r) => r.bytes_rev as number)),
    Math.log1p(sum((r) => (r.pkts_fwd as number) + (r.pkts_rev as number))),
    share((r) => ['S0', 'REJ', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR'].includes(r.conn_state as string)),
    Math.log1p(sum((r) => ((r.end_time as number) - (r.start_time as number)) / 1e6) / n),
    share((r) => transport(r) && (r.dst_port as number) < 1024),
    share((r) => r.proto === 6),
    share((r) => r.proto === 17),
    share((r) => r.proto === 1 || r.proto === 58),
  ];
}

describe('on the sample capture', () => {
  const demo = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');

  it.each<HostWindowOptions>([
    {},
    { windowSeconds: 0.5, sequenceLength: 4, maxGapWindows: 1, lateWindows: 12 },
    { windowSeconds: 0.2, sequenceLength: 8, maxGapWindows: 7, lateWindows: 30 },
  ])('every sequence equals a recomputation from flowRecords (%o)', async (options) => {
    const windows = new HostWindows(options);
    const records: FlowRecord[] = [];
    for await (const b of Capture.openFile(demo, { batchRows: 64 })) {
      windows.observe(b);
      records.push(...flowRecords(b));
    }
    const got = byKey(windows.finish());
    expect(windows.lateFlows).toBe(0);

    const { windowSeconds, sequenceLength: L, maxGapWindows: gap } = windows.options;
    const W = windowSeconds * 1e6;
    const active = new Map<string, Map<number, FlowRecord[]>>();
    for (const r of records) {
      const w = Math.floor((r.start_time as number) / W);
      const host = active.get(r.src_ip as string) ?? new Map<number, FlowRecord[]>();
      active.set(r.src_ip as string, host);
      host.set(w, [...(host.get(w) ?? []), r]);
    }
    const expected = new Map<string, number[][]>();
    for (const [host, byWindow] of active) {
      const ends = new Set([...byWindow.keys()].flatMap((w) => Array.from({ length: gap + 1 }, (_, k) => w + k)));
      for (const end of ends) {
        const seq = Array.from({ length: L }, (_, t) => {
          const flows = byWindow.get(end - L + 1 + t);
          return flows ? recompute(flows) : Array<number>(F).fill(0);
        });
        expected.set(`${host}@${end * W}`, seq);
      }
    }
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, seq] of expected) {
      const mine = got.get(key)!;
      seq.forEach((v, t) => v.forEach((x, j) => expect(mine[t]![j], `${key} step ${t} ${HOST_WINDOW_FEATURES[j]}`).toBeCloseTo(x, 4)));
    }
  });

  it('keeps at most maxHosts hosts, evicting the least recently seen', async () => {
    const windows = new HostWindows({ maxHosts: 5 });
    const order: string[] = [];
    for await (const b of Capture.openFile(demo, { batchRows: 16 })) {
      windows.observe(b);
      expect(windows.hostCount).toBeLessThanOrEqual(5);
      for (const r of flowRecords(b)) {
        const ip = r.src_ip as string;
        if (order.includes(ip)) order.splice(order.indexOf(ip), 1);
        order.push(ip);
      }
    }
    expect(windows.evictedHosts).toBeGreaterThanOrEqual(41 - 5);
    expect(new Set(windows.finish().hosts)).toEqual(new Set(order.slice(-5)));
  });

  it('starts a host that takes the place of an evicted one from nothing', () => {
    // Each host has flows to several peers and ports in three windows; with two hosts
    // tracked, the third takes over the state of the first, the fourth the second's, the fifth the third's.
    const flowsOf = (src: string, minute: number) =>
      [0, 1, 2].flatMap((w) => [0, 1, 2].map((k) => ({ src, dst: `10.1.${w}.${k}`, port: 1000 + k * 7 + w, proto: k ? 6 : 17, start: T0 + (minute + w) * MINUTE, bytes: [100 * k, 7] as [number, number] })));
    const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'];
    const bounded = new HostWindows({ maxHosts: 2 });
    hosts.forEach((src, i) => bounded.observe(batch(flowsOf(src, i))));
    expect(bounded.evictedHosts).toBe(3);
    const got = byKey(bounded.finish());
    expect(new Set([...got.keys()].map((k) => k.split('@')[0]))).toEqual(new Set(hosts.slice(3)));
    for (const i of [3, 4]) {
      const alone = new HostWindows();
      alone.observe(batch(flowsOf(hosts[i]!, i)));
      const expected = byKey(alone.finish());
      expect(expected.size).toBeGreaterThan(0);
      for (const [key, seq] of expected) expect(got.get(key), key).toEqual(seq);
    }
  });
});

describe('streaming', () => {
  it('drops flows whose window has closed, and keeps those within lateWindows', () => {
    const windows = new HostWindows({ lateWindows: 2, maxGapWindows: 0, sequenceLength: 4 });
    const at = (minute: number, dst = '10.0.0.1') => ({ src: '10.0.0.9', dst, port: 80, proto: 6, start: T0 + minute * MINUTE });
    windows.observe(batch([at(5)]));
    windows.observe(batch([at(3, '10.0.0.2'), at(2), at(0)])); // window 3 is still open; 2 and 0 closed when 5 was seen
    expect(windows.lateFlows).toBe(2);
    const s = windows.finish();
    expect(s.count).toBe(2); // windows 3 and 5
    const flows = (i: number, t: number) => Math.expm1(windowAt(s, i, t)[0]!);
    expect(s.windowStartUs[1]! - s.windowStartUs[0]!).toBe(2 * MINUTE);
    expect([0, 1, 2, 3].map((t) => flows(1, t))).toEqual([0, 1, 0, 1].map((x) => expect.closeTo(x, 5)));
  });

  it('take() hands out the windows that have ended and forgets hosts that can no longer matter', () => {
    const windows = new HostWindows({ sequenceLength: 4, maxGapWindows: 1, lateWindows: 0 });
    const base = Math.ceil(T0 / MINUTE) * MINUTE;
    windows.observe(batch([{ src: 'a', dst: 'x', port: 1, proto: 17, start: base }, { src: 'b', dst: 'x', port: 1, proto: 17, start: base + 2 * MINUTE }]));
    const first = windows.take(base + MINUTE); // window 0 has ended
    expect(first.hosts).toEqual(['a']);
    expect(first.windowStartUs).toEqual([base]);
    expect(windows.take(base + MINUTE).count).toBe(0); // nothing twice
    windows.observe(batch([{ src: 'a', dst: 'x', port: 1, proto: 17, start: base + 30e6 }]));
    expect(windows.lateFlows).toBe(1);
    const second = windows.take(base + 4 * MINUTE); // windows 1 to 3 have ended
    const ended = second.hosts.map((h, i) => `${h}@${(second.windowStartUs[i]! - base) / MINUTE}`);
    expect(ended.sort()).toEqual(['a@1', 'b@2', 'b@3']); // a's quiet window 1; b's window 2 and its quiet window 3
    expect(windows.hostCount).toBe(1); // a's only window is older than any later sequence could reach; b's is not
    expect(windows.finish().count).toBe(0);
  });
});

describe('options', () => {
  it.each<[HostWindowOptions, RegExp]>([
    [{ windowSeconds: 0 }, /windowSeconds/],
    [{ windowSeconds: Infinity }, /windowSeconds/],
    [{ sequenceLength: 1 }, /sequenceLength/],
    [{ sequenceLength: 2.5 }, /sequenceLength/],
    [{ maxGapWindows: 16 }, /maxGapWindows/],
    [{ maxGapWindows: -1 }, /maxGapWindows/],
    [{ lateWindows: -1 }, /lateWindows/],
    [{ maxHosts: 0 }, /maxHosts/],
    [{ windowSecond: 60 } as HostWindowOptions, /windowSecond/],
  ])('%o is refused', (options, message) => {
    expect(() => new HostWindows(options)).toThrow(message);
  });

  it('a batch without a needed column is refused, naming it', () => {
    const b = batch([{ src: 'a', dst: 'b', port: 1, proto: 6, start: T0 }]);
    const partial = new RecordBatch({ src_ip: b.getChild('src_ip')!.data[0]!, dst_ip: b.getChild('dst_ip')!.data[0]! });
    expect(() => new HostWindows().observe(partial)).toThrow(/conn_state|dst_port/);
  });
});
