/**
 * The bound on detector state: past `maxKeysPerDetector` keys a table, the
 * quietest state is evicted and counted, and an attack in progress survives
 * a flood of new addresses.
 */
import { Capture, DetectionSession, parseDetectionConfig, setUpDetection } from '@mommynet/core';
import { seededRandom, TCP, tcpFrame, udpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { DistinctWindow, evictQuietest } from '../packages/core/src/detect/distinct-window.js';
import { kthSmallest } from '../packages/core/src/detect/stats.js';
import { writeCapture } from './support/synthetic.js';

describe('detector state bound', () => {
  it('evicts the least recently used entries down to nine tenths of the bound', () => {
    const map = new Map(Array.from({ length: 100 }, (_, i) => [`k${(i * 37) % 100}`, (i * 37) % 100] as const));
    expect(evictQuietest(map, 200, (v) => v)).toBe(0);
    expect(evictQuietest(map, 50, (v) => v)).toBe(55);
    expect([...map.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => 55 + i));
  });

  it('finds the k-th smallest time as a sort would: duplicates, sorted and reversed runs, alternating signs', () => {
    const random = seededRandom(11);
    const cases = [
      Array.from({ length: 1000 }, () => Math.floor(random() * 100)),
      Array.from({ length: 1000 }, (_, i) => i),
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
      Array.from({ length: 1000 }, () => 7),
      Array.from({ length: 1001 }, (_, i) => (i % 2 ? i : -i) * 1e9),
      [5],
    ];
    for (const values of cases) {
      const sorted = [...values].sort((a, b) => a - b);
      for (const k of [0, 1, values.length >> 1, values.length - 2, values.length - 1].filter((k) => k >= 0 && k < values.length)) {
        expect(kthSmallest(Float64Array.from(values), k)).toBe(sorted[k]);
      }
    }
    expect(() => kthSmallest(new Float64Array(3), 3)).toThrow(RangeError);
  });

  it('caps the observations one window holds: the oldest leave early, distinct counts stay right', () => {
    const w = new DistinctWindow<string>(60e6, 3);
    for (const [t, v] of [[1, 'a'], [2, 'b'], [3, 'a'], [4, 'c'], [5, 'c']] as const) w.add(t, v);
    expect(w.entries).toBe(3);
    expect([...w.values()].sort()).toEqual(['a', 'c']);
    expect(w.firstTime).toBe(3);
    w.expire(3 + 60e6);
    expect([w.entries, w.size]).toEqual([2, 1]);
  });

  it('counts distinct values right from one value to many and back to none', () => {
    const w = new DistinctWindow<string>(10);
    expect([w.add(1, 'a'), w.add(2, 'a'), w.size, [...w.values()]]).toEqual([1, 1, 1, ['a']]);
    expect(w.add(3, 'b')).toBe(2);
    expect([...w.values()].sort()).toEqual(['a', 'b']);
    w.expire(12); // the two 'a' (times 1, 2) leave
    expect([w.size, w.entries, [...w.values()]]).toEqual([1, 1, ['b']]);
    w.expire(13);
    expect([w.size, w.entries, [...w.values()], w.firstTime]).toEqual([0, 0, [], Infinity]);
    expect(w.add(20, 'c')).toBe(1);
  });

  it('answers as a plain list of observations would, through single observations, expiries and refills', () => {
    const random = seededRandom(5);
    const windowUs = 50;
    // Many short-lived windows: a window holds its first observation apart from the later ones.
    for (let run = 0; run < 600; run++) {
      const maxEntries = [2, 5, 100][run % 3]!;
      const w = new DistinctWindow<number>(windowUs, maxEntries);
      let kept: { t: number; v: number }[] = []; // the reference: every observation still in the window
      let now = 0;
      for (let step = 0; step < 20; step++) {
        // Gaps from none to several windows, so the window is often empty, often holds one, sometimes many.
        now += [0, 1, 7, 30, 49, 50, 51, 120][Math.floor(random() * 8)]!;
        if (random() < 0.3) {
          w.expire(now);
        } else {
          const v = Math.floor(random() * 4);
          w.add(now, v);
          kept.push({ t: now, v });
          if (kept.length > maxEntries) kept.shift();
        }
        kept = kept.filter((o) => o.t > now - windowUs);
        const distinct = [...new Set(kept.map((o) => o.v))].sort();
        expect([w.entries, w.size, [...w.values()].sort()]).toEqual([kept.length, distinct.length, distinct]);
        expect([w.firstTime, w.lastTime]).toEqual(kept.length > 0 ? [kept[0]!.t, kept.at(-1)!.t] : [Infinity, -Infinity]);
      }
    }
  });

  it('keeps a port scan in progress through a flood of one-flow hosts, and counts what it evicted', async () => {
    const t0 = 1_700_000_000_000_000;
    const frames: { tsMicros: number; frame: Uint8Array }[] = [];
    for (let i = 0; i < 40_000; i++) {
      const t = t0 + i * 1000; // 40 s
      // Noise: every flow from a new address to a new address.
      frames.push({ tsMicros: t, frame: udpFrame({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: `172.16.${(i >> 8) & 255}.${i & 255}`, srcPort: 5000, dstPort: 9999 }) });
      if (i % 1000 === 0) {
        // The scan: one refused port a second, 40 in all.
        const port = 1000 + i / 1000;
        frames.push({ tsMicros: t + 1, frame: tcpFrame({ src: '203.0.113.66', dst: '192.0.2.1', srcPort: 40000, dstPort: port, flags: TCP.SYN }) });
        frames.push({ tsMicros: t + 2, frame: tcpFrame({ src: '192.0.2.1', dst: '203.0.113.66', srcPort: port, dstPort: 40000, flags: TCP.RST | TCP.ACK }) });
      }
    }
    const path = writeCapture(frames);
    const run = async (config: string) => {
      const session = new DetectionSession({ setup: setUpDetection(parseDetectionConfig(config, 'd.json')) });
      for await (const batch of Capture.openFile(path)) session.observe(batch);
      return { evicted: session.evictedKeys, scans: session.finish().filter((a) => a.category === 'port_scan') };
    };
    const bounded = await run('{ "maxKeysPerDetector": 1000 }');
    expect(bounded.evicted).toBeGreaterThan(30_000);
    expect(bounded.scans.map((a) => [a.src_ip, a.dst_ip])).toEqual([['203.0.113.66', '192.0.2.1']]);
    const unbounded = await run('{}');
    expect(unbounded.evicted).toBe(0);
    expect(unbounded.scans).toHaveLength(1);
  });
});
