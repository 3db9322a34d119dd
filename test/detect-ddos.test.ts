/** `ddos`: many sources converging on one target, and UDP amplification. */
import { tcpFrame, TCP, udpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { DdosDetector } from '../packages/core/src/detect/detectors/ddos.js';
import { CORPUS_PCAPS, corpusFiles, haveCorpus } from './support/corpus.js';
import { detectIn } from './support/detect.js';
import { writeCapture } from './support/synthetic.js';

const detect = (path: string) => detectIn(path, [new DdosDetector()]);

const t0 = 1_700_000_000_000_000;

describe('ddos', () => {
  it.skipIf(!haveCorpus)('finds the ISAKMP/IKE amplification attack of the corpus, and nothing in the rest', async () => {
    for (const path of corpusFiles(CORPUS_PCAPS)) {
      const alerts = await detect(path);
      if (path.endsWith('stopddos_amp.UDP.isakmp.pcap')) {
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({ category: 'ddos', dst_ip: '10.10.10.10', proto: 17 });
        expect(alerts[0]!.details).toMatchObject({ kind: 'udp_amplification', reflector_port: 4500, packets: 3984 });
      } else {
        expect(alerts, path).toEqual([]);
      }
    }
  });

  it('needs many sources and many packets: one busy source is not a DDoS', async () => {
    const oneSource = Array.from({ length: 3000 }, (_, i) => ({
      tsMicros: t0 + i * 100,
      frame: udpFrame({ src: '10.5.0.2', dst: '10.5.0.1', srcPort: 10000 + (i % 500), dstPort: 9000 }),
    }));
    expect(await detect(writeCapture(oneSource))).toEqual([]);
    const manySources = Array.from({ length: 3000 }, (_, i) => ({
      tsMicros: t0 + i * 100,
      frame: tcpFrame({ src: `172.30.${(i >> 8) & 255}.${i & 255}`, dst: '10.5.0.1', srcPort: 1024 + i, dstPort: 80, flags: TCP.SYN }),
    }));
    const alerts = await detect(writeCapture(manySources));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'ddos', dst_ip: '10.5.0.1', severity: 2 });
    expect(alerts[0]!.details).toMatchObject({ kind: 'many_sources', distinct_sources: 3000, packets: 3000 });
  });
});
