import { describe, expect, it } from 'vitest';

import { CORPUS_PCAPS, corpusFiles, haveCorpus } from './support/corpus.js';
import { haveTool, readFlows, tsharkFields } from './support/flows.js';
import { native } from './support/native.js';

// The Community ID specification's published baseline
// (corelight/community-id-spec, baseline/baseline_deflt.json). For ICMP the
// spec lists the port pair after its type/counterpart mapping, so "dport"
// of a request/reply type is the counterpart type.
const BASELINE: [number, string, string, number | null, number | null, string][] = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
];

describe('Community ID v1', () => {
  it.each(BASELINE)('proto %i %s -> %s', (proto, src, dst, sport, dport, expected) => {
    expect(native.communityId({ src, dst, proto, srcPort: sport ?? 0, dstPort: dport ?? 0 })).toBe(expected);
  });

  it('depends on the seed', () => {
    const tuple = { src: '1.2.3.4', dst: '5.6.7.8', proto: 6, srcPort: 1122, dstPort: 3344 };
    expect(native.communityId(tuple)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
    expect(native.communityId({ ...tuple, seed: 1 })).not.toBe(native.communityId(tuple));
  });
});

const canCompare = haveCorpus && haveTool('tshark');
if (!canCompare) console.warn('[community-id] corpus or tshark missing: tshark comparison skipped');

describe.skipIf(!canCompare)("Community ID agrees with Wireshark's on the corpus", () => {
  it.each(corpusFiles(CORPUS_PCAPS).map((f) => [f.split('/').pop()!, f]))('%s', async (_name, path) => {
    const { flows } = await readFlows(path);
    const ours = new Set(flows.filter((f) => f.proto === 6 || f.proto === 17).map((f) => f.community_id as string));
    // Per packet; TCP/UDP over a single IP header (tunnelled and ICMP-quoted
    // packets carry several, and their ID is not a flow's).
    const rows = tsharkFields(path, ['communityid', 'ip.src', 'ipv6.src'], '(tcp or udp) and not icmp and not icmpv6', [
      '--enable-protocol',
      'communityid',
    ]);
    const theirs = new Set(
      rows.filter(([cid, v4, v6]) => cid && !cid.includes('|') && !`${v4}${v6}`.includes('|') && !(v4 && v6)).map(([cid]) => cid!),
    );
    for (const id of theirs) expect(ours, `tshark's ${id} not among our flows`).toContain(id);
    for (const id of ours) expect(theirs, `our ${id} unknown to tshark`).toContain(id);
  });
});
