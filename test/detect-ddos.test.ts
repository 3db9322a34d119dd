/** `ddos`: many sources converging on one target, UDP amplification, and DHCP floods. */
import { seededRandom, tcpFrame, TCP, udpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { DdosDetector, DEFAULT_DDOS, PacketWindow } from '../packages/core/src/detect/detectors/ddos.js';
import { DEFAULT_DHCP_FLOOD, dhcpClientAddress, DhcpFloodDetector } from '../packages/core/src/detect/detectors/dhcp-flood.js';
import { CORPUS_PCAPS, corpusCapture, corpusFiles, haveCorpus } from './support/corpus.js';
import { detectIn } from './support/detect.js';
import { writeCapture } from './support/synthetic.js';

const detect = (path: string) => detectIn(path, [new DdosDetector()]);

const t0 = 1_700_000_000_000_000;

describe('PacketWindow', () => {
  it('sums what a plain list of millisecond buckets would, through single buckets, expiries and refills', () => {
    const random = seededRandom(9);
    const windowUs = 10_000;
    // Many short-lived windows: a window holds its first bucket apart from the later ones.
    for (let run = 0; run < 600; run++) {
      const w = new PacketWindow(windowUs);
      const buckets: { t: number; packets: number; amplified: boolean }[] = []; // the reference
      let now = 0;
      for (let step = 0; step < 20; step++) {
        now += [0, 300, 999, 1000, 4000, 9999, 10_000, 25_000][Math.floor(random() * 8)]!;
        const packets = 1 + Math.floor(random() * 100);
        const amplified = random() < 0.4;
        w.add(now, packets, amplified);
        const last = buckets.at(-1);
        if (last && last.amplified === amplified && now - last.t < 1000) last.packets += packets;
        else buckets.push({ t: now, packets, amplified });
        while (buckets.length > 0 && buckets[0]!.t <= now - windowUs) buckets.shift();
        const sum = (list: typeof buckets) => list.reduce((n, b) => n + b.packets, 0);
        expect([w.total, w.amplified]).toEqual([sum(buckets), sum(buckets.filter((b) => b.amplified))]);
      }
    }
  });
});

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

/** UDP packets to 10.5.0.1 at `rate` a second over [fromS, toS) s, from `sources` addresses, each packet a flow of its own. */
function load(fromS: number, toS: number, rate: number, sources: number, net: number) {
  return Array.from({ length: Math.round((toS - fromS) * rate) }, (_, i) => ({
    tsMicros: t0 + fromS * 1e6 + Math.round((i * 1e6) / rate),
    frame: udpFrame({ src: `172.${net}.${(i % sources) >> 8}.${(i % sources) & 255}`, dst: '10.5.0.1', srcPort: 1024 + Math.floor(i / sources), dstPort: 443 }),
  }));
}

describe('ddos: the target\'s baseline', () => {
  // Two minutes of ordinary load (40 clients, 500 packets in 10 s), then that load grown six
  // times (100 clients: over the thresholds), then a flood forty times the usual.
  const usual = load(0, 120, 50, 40, 16);
  const grown = load(120, 150, 300, 100, 17);
  const flood = load(150, 160, 2000, 1000, 18);
  // A trickle after it, so that every flow ends at its idle timeout, in the order they started.
  const after = (fromS: number) => load(fromS, fromS + 70, 1, 1, 19);

  it('takes a server\'s own grown load for no flood once its baseline is known, and the flood for one', async () => {
    const alerts = await detect(writeCapture([...usual, ...grown, ...flood, ...after(160)]));
    expect(alerts).toHaveLength(1);
    // An alert starts with its window (10 s before the crossing): here in the flood, not in the grown load.
    expect(alerts[0]!.start).toBeGreaterThanOrEqual(t0 + 140e6);
    expect(alerts[0]).toMatchObject({ category: 'ddos', dst_ip: '10.5.0.1' });
    expect(alerts[0]!.details.baseline_packets).toBeGreaterThan(500);
    expect(alerts[0]!.details.baseline_packets).toBeLessThan(2000);
  });

  it('judges on the thresholds alone without the history', async () => {
    const noBaseline = new DdosDetector({ ...DEFAULT_DDOS, baselineBins: Number.MAX_SAFE_INTEGER });
    const alerts = await detectIn(writeCapture([...usual, ...grown, ...after(150)]), [noBaseline]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.start).toBeGreaterThanOrEqual(t0 + 110e6);
    expect(alerts[0]!.start).toBeLessThan(t0 + 140e6);
    // Without the ordinary minutes before it, the grown load alone is all there is to judge.
    expect(await detect(writeCapture([...grown, ...after(150)]))).toHaveLength(1);
  });
});

/** A DHCP client message (RFC 2131 BOOTREQUEST) from hardware address `mac` (6 bytes). */
function bootRequest(mac: number[], xid: number): Uint8Array {
  const p = new Uint8Array(240);
  p.set([1, 1, 6, 0]); // op BOOTREQUEST, htype Ethernet, hlen 6, hops
  new DataView(p.buffer).setUint32(4, xid);
  p.set(mac, 28);
  p.set([99, 130, 83, 99], 236); // magic cookie
  return p;
}

describe('ddos: DHCP flood', () => {
  const dhcp = (path: string) => detectIn(path, [new DhcpFloodDetector(DEFAULT_DHCP_FLOOD, 300)]);
  const flood = (n: number, spacingUs: number, mac: (i: number) => number[]) =>
    Array.from({ length: n }, (_, i) => ({
      tsMicros: t0 + i * spacingUs,
      frame: udpFrame({ src: `10.9.${i >> 8}.${i & 255}`, dst: '10.9.255.1', srcPort: 68, dstPort: 67, payload: bootRequest(mac(i), i) }),
    }));

  it('reads the client hardware address of a BOOTREQUEST, and nothing from replies or cut payloads', () => {
    const request = bootRequest([0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29], 7);
    expect(dhcpClientAddress(request)).toBe('90:b1:1c:99:49:29');
    expect(dhcpClientAddress(Uint8Array.of(2, ...request.subarray(1)))).toBeUndefined();
    expect(dhcpClientAddress(request.subarray(0, 30))).toBeUndefined();
  });

  it('raises one ddos alert for a starvation flood (a new hardware address each time), with its counts', async () => {
    const alerts = await dhcp(writeCapture(flood(300, 10_000, (i) => [2, 0, 0, 0, i >> 8, i & 255])));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'ddos', detector: 'dhcp_flood', severity: 2, dst_ip: '10.9.255.1', dst_port: 67, proto: 17 });
    expect(alerts[0]!.src_ip).toBeUndefined();
    expect(alerts[0]!.details).toMatchObject({ kind: 'dhcp_flood', messages: 300, client_hardware_addresses: 300, source_addresses: 300, server_addresses: 1 });
  });

  it('stays quiet at a busy but normal rate: 99 messages in 10 s, then 100 spread over a minute', async () => {
    expect(await dhcp(writeCapture(flood(99, 100_000, (i) => [2, 0, 0, 0, 0, i])))).toEqual([]);
    expect(await dhcp(writeCapture(flood(100, 600_000, (i) => [2, 0, 0, 0, 0, i])))).toEqual([]);
  });

  it.skipIf(!haveCorpus)("finds Zeek's dhcp_flood trace: 250 messages from one hardware address", async () => {
    const alerts = await dhcp(corpusCapture('zeek_dhcp_flood.pcap')!);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.details).toMatchObject({ messages: 250, client_hardware_addresses: 1, source_addresses: 250, server_addresses: 250 });
  });
});
