/**
 * `icmp_tunnel`: the SSH-over-ICMP capture of the corpus found; sweeps,
 * benign captures and every kind of ordinary ping silent; each kind of
 * evidence, the packet threshold, pooling over flows and episodes on
 * synthetic echo traffic.
 */
import { type Alert } from '@mommynet/core';
import { icmpEchoFrame, icmpPing, randomBytes, seededRandom } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { DEFAULT_ICMP_TUNNEL, IcmpTunnelDetector, randomness } from '../packages/core/src/detect/detectors/icmp-tunnel.js';
import { corpusCapture, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';
import { detectIn } from './support/detect.js';

const detect = (path: string): Promise<Alert[]> => detectIn(path, [new IcmpTunnelDetector()]);


describe.skipIf(!haveCorpus)('on the corpus', () => {
  it('finds SSH tunnelled over ICMP echo (ndpi_icmp-tunnel.pcap)', async () => {
    const path = corpusCapture('ndpi_icmp-tunnel.pcap');
    if (!path) return;
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    // Two flows (an idle gap splits them; the second starts with a reply): one pair, one episode.
    expect(alerts[0]).toMatchObject({ category: 'icmp_tunnel', severity: 3, src_ip: '192.168.154.131', dst_ip: '192.168.154.132', proto: 1 });
    expect(alerts[0]!.details).toMatchObject({ evidence: ['payload_size'], packets: 863, flows: 2 });
    expect(alerts[0]!.details.mean_payload_bytes).toBeGreaterThanOrEqual(DEFAULT_ICMP_TUNNEL.minMeanPayload);
    expect(alerts[0]!.details.size_std_bytes).toBeGreaterThanOrEqual(DEFAULT_ICMP_TUNNEL.minSizeStd);
    expect((alerts[0]!.details.sample_flows as string[]).length).toBeGreaterThan(0);
  });

  it.each([
    'sgr_hs-icmpScan.pcap', // an echo sweep: ip_sweep's
    'malcolm_DNS.pcap',
    'malcolm_SSL.pcap', // a few Linux pings and ICMPv6
    'ndpi_netflix.pcap',
    'ndpi_teams.pcap', // ICMP unreachable
    'cs_http_espn.pcapng',
    'ndpi_dns-tunnel-iodine.pcap',
  ])('%s raises nothing', async (name) => {
    const path = corpusCapture(name);
    if (!path) return;
    expect(await detect(path)).toEqual([]);
  });
});

it('raises nothing on the demo capture', async () => {
  expect(await detect(`${REPO_ROOT}/datasets/sample/demo.pcap`)).toEqual([]);
});

const t0 = 1_700_000_000_000_000;
const client = '10.30.0.5';
const server = '198.51.100.7';
const random = seededRandom(11);
const counting = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** Echo exchanges carrying `payloads(i)` (request and reply differ, as a tunnel's do), `stepUs` apart. */
function exchanges(n: number, payload: (i: number, reply: boolean) => Uint8Array, startUs = t0, stepUs = 200_000) {
  return Array.from({ length: n }, (_, i) => [
    { tsMicros: startUs + i * stepUs, frame: icmpEchoFrame({ src: client, dst: server, identifier: 0x4d2, sequence: i + 1, payload: payload(i, false) }) },
    { tsMicros: startUs + i * stepUs + 5000, frame: icmpEchoFrame({ src: server, dst: client, reply: true, identifier: 0x4d2, sequence: i + 1, payload: payload(i, true) }) },
  ]).flat();
}

const pings = (payload: Uint8Array | undefined, count = 300, from = client) =>
  icmpPing({ client: from, server, identifier: 7, count, payload }).map((frame, i) => ({ tsMicros: t0 + Math.floor(i / 2) * 1_000_000 + (i % 2) * 300, frame }));

describe('ordinary pings stay silent', () => {
  const linux = Uint8Array.from([0x5e, 0xec, 0x6d, 0x7a, 0, 0, 0, 0, 0xc7, 0xea, 0x07, 0, 0, 0, 0, 0, ...counting(40, 0x10)]);
  it.each([
    ['the default (no payload)', undefined],
    ['Windows (32 bytes, a–w)', new TextEncoder().encode('abcdefghijklmnopqrstuvwabcdefghi')],
    ['Linux (56 bytes: a timestamp and counting bytes)', linux],
    ['large, for an MTU test (1472 counting bytes)', counting(1472)],
    ['filled with one pattern (ping -p)', Uint8Array.from({ length: 1000 }, (_, i) => [0xde, 0xad, 0xbe, 0xef][i % 4]!)],
  ])('%s', async (_, payload) => {
    expect(await detect(writeCapture(pings(payload)))).toEqual([]);
  });

  it('Windows and Linux pinging the same host', async () => {
    const both = [...pings(new TextEncoder().encode('abcdefghijklmnopqrstuvwabcdefghi'), 100), ...pings(linux, 100)];
    expect(await detect(writeCapture(both.sort((a, b) => a.tsMicros - b.tsMicros)))).toEqual([]);
  });
});

describe('evidence on synthetic echo traffic', () => {
  const varying = (i: number, reply: boolean) => randomBytes(random, 100 + ((i * 137 + (reply ? 400 : 0)) % 900));
  const varyingPattern = (i: number, reply: boolean) => counting(100 + ((i * 137 + (reply ? 400 : 0)) % 900), i);

  it('large payloads of varying size and random content: both kinds, severity 2', async () => {
    const alerts = await detect(writeCapture(exchanges(60, varying)));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'icmp_tunnel', severity: 2, src_ip: client, dst_ip: server, proto: 1 });
    expect(alerts[0]!.details).toMatchObject({ evidence: ['payload_size', 'payload_content'], packets: 120, flows: 1, threshold_packets: 40 });
    expect(alerts[0]!.details.max_payload_randomness).toBeGreaterThanOrEqual(DEFAULT_ICMP_TUNNEL.minEntropyRatio);
    expect(alerts[0]!.message).toMatch(/^ICMP tunnel: 10\.30\.0\.5 and 198\.51\.100\.7 exchanged 120 echo packets, \d+ payload bytes \(payload_size, payload_content\)$/);
  });

  it('needs 40 echo packets in the window', async () => {
    expect(await detect(writeCapture(exchanges(19, varying)))).toEqual([]);
    expect((await detect(writeCapture(exchanges(20, varying)))).map((a) => a.details.packets)).toEqual([40]);
  });

  it('sizes alone: varying sizes, ping-like content', async () => {
    const alerts = await detect(writeCapture(exchanges(60, varyingPattern)));
    expect(alerts.map((a) => [a.severity, a.details.evidence])).toEqual([[3, ['payload_size']]]);
  });

  it('content alone: random payloads of one ordinary size', async () => {
    const alerts = await detect(writeCapture(exchanges(60, () => randomBytes(random, 64))));
    expect(alerts.map((a) => [a.severity, a.details.evidence, a.details.size_std_bytes])).toEqual([[3, ['payload_content'], 0]]);
  });

  it('pools the flows of a pair within the window: a slow tunnel split by idle gaps', async () => {
    // Bursts of 10 exchanges every 90 s: each burst its own flow (ICMP idle timeout 60 s).
    const bursts = [0, 1, 2].flatMap((b) => exchanges(10, varyingPattern, t0 + b * 90_000_000, 1_000_000));
    const alerts = await detect(writeCapture(bursts));
    expect(alerts.map((a) => [a.details.flows, a.details.packets])).toEqual([[3, 60]]);
    // The same bursts 10 minutes apart never add up to 40 packets within 5 minutes.
    const apart = [0, 1, 2].flatMap((b) => exchanges(10, varyingPattern, t0 + b * 600_000_000, 1_000_000));
    expect(await detect(writeCapture(apart))).toEqual([]);
  });

  it('names the pinging host even when the capture starts with a reply', async () => {
    const frames = exchanges(40, varying).slice(1); // the first request was not captured
    const alerts = await detect(writeCapture(frames));
    expect(alerts.map((a) => [a.src_ip, a.dst_ip])).toEqual([[client, server]]);
  });

  it('makes one alert per episode, and a new one after a quiet gap', async () => {
    const alerts = await detect(writeCapture([...exchanges(30, varying), ...exchanges(30, varying, t0 + 3_600_000_000)]));
    expect(alerts.map((a) => a.details.packets)).toEqual([60, 60]);
  });
});

describe('randomness of a payload prefix', () => {
  it('is high for random bytes and low for what ping sends', () => {
    const r = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      expect(randomness(randomBytes(r, 64))).toBeGreaterThan(DEFAULT_ICMP_TUNNEL.minEntropyRatio);
      expect(randomness(randomBytes(r, 128))).toBeGreaterThan(DEFAULT_ICMP_TUNNEL.minEntropyRatio);
    }
    expect(randomness(counting(128))).toBeLessThan(0.2);
    expect(randomness(new TextEncoder().encode('abcdefghijklmnopqrstuvwabcdefghi'.repeat(4)))).toBeLessThan(0.7);
    expect(randomness(new Uint8Array(128))).toBe(0);
    expect(randomness(new Uint8Array(1))).toBe(0);
  });
});
