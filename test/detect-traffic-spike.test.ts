/** `traffic_spike`: a host far above its own baseline, judged per 10 s bin. */
import { udpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { DEFAULT_TRAFFIC_SPIKE, TrafficSpikeDetector } from '../packages/core/src/detect/detectors/traffic-spike.js';
import { CORPUS_PCAPS, corpusFiles, haveCorpus } from './support/corpus.js';
import { readFlows } from './support/flows.js';
import { writeCapture } from './support/synthetic.js';
import { detectIn } from './support/detect.js';

const detect = (path: string, minBytes = DEFAULT_TRAFFIC_SPIKE.minBytes) =>
  detectIn(path, [new TrafficSpikeDetector({ ...DEFAULT_TRAFFIC_SPIKE, minBytes })]);

const t0 = 1_700_000_000_000_000;
/** One 1000-byte datagram per flow, `perBin` flows in each 10 s bin; optionally, in bin `big.bin`, one flow of `big.datagrams`. */
function traffic(perBin: number[], big?: { bin: number; datagrams: number }) {
  const frames = [];
  let port = 1024;
  for (const [bin, n] of perBin.entries())
    for (let i = 0; i < n; i++)
      frames.push({
        tsMicros: t0 + bin * 10_000_000 + i * 1000,
        frame: udpFrame({ src: '10.6.0.2', dst: '10.6.0.1', srcPort: port++, dstPort: 9000, payload: new Uint8Array(1000) }),
      });
  for (let i = 0; i < (big?.datagrams ?? 0); i++)
    frames.push({
      tsMicros: t0 + big!.bin * 10_000_000 + 5_000_000 + i,
      frame: udpFrame({ src: '10.6.0.2', dst: '10.6.0.1', srcPort: 999, dstPort: 9000, payload: new Uint8Array(1000) }),
    });
  return writeCapture(frames.sort((a, b) => a.tsMicros - b.tsMicros));
}

describe('traffic_spike', () => {
  it("flags a bin far above the host's own baseline, once its baseline exists", async () => {
    const alerts = await detect(traffic([5, 5, 5, 5, 5, 5, 5, 5, 400, 5]), 100_000);
    expect(alerts).toHaveLength(2); // both ends of the traffic spiked
    expect(alerts.map((a) => a.src_ip).sort()).toEqual(['10.6.0.1', '10.6.0.2']);
    expect(alerts[0]!.details).toMatchObject({ max_bin_bytes: 400_000, baseline_bytes: expect.any(Number) });
    expect(alerts[0]!.severity).toBe(3);
  });

  it("samples the spike bin's largest flow", async () => {
    const path = traffic([5, 5, 5, 5, 5, 5, 5, 5, 400, 5], { bin: 8, datagrams: 30 });
    const big = (await readFlows(path)).flows.find((f) => f.src_port === 999)!;
    const alerts = await detect(path, 100_000);
    expect(alerts).toHaveLength(2);
    for (const a of alerts) expect(a.details.sample_flows).toEqual([big.community_id]);
  });

  it('stays quiet without history, under the byte floor, or for steady traffic', async () => {
    expect(await detect(traffic([5, 400]), 100_000)).toEqual([]); // no baseline yet
    expect(await detect(traffic([5, 5, 5, 5, 5, 5, 5, 5, 400]))).toEqual([]); // 400 kB < 50 MB
    expect(await detect(traffic(Array(20).fill(50)), 1000)).toEqual([]);
  });

  it.skipIf(!haveCorpus)('raises nothing on the corpus with its defaults', async () => {
    for (const path of corpusFiles(CORPUS_PCAPS)) expect(await detect(path), path).toEqual([]);
  });
});
