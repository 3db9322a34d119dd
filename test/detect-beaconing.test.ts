/**
 * beaconing: the corpus C2 check-ins found (curl every ~2.2 s), benign
 * captures silent, and on synthetic check-ins: regularity (jitter, count,
 * period), bursts counted once, periodic infrastructure left out (internal
 * peers, NTP, a long flow cut by the active timeout), episodes of slow
 * beacons.
 */
import { join } from 'node:path';

import { type Alert, toEve, type FileOptions } from '@mommynet/core';
import { seededRandom, tcpSession, udpExchange } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { BeaconingDetector, DEFAULT_BEACONING, isLocalAddress } from '../packages/core/src/detect/detectors/beaconing.js';
import { BENIGN_CAPTURES, corpusCapture, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';
import { detectIn } from './support/detect.js';

const detect = (path: string, detector = new BeaconingDetector(), options?: FileOptions): Promise<Alert[]> =>
  detectIn(path, [detector], options);


describe.skipIf(!haveCorpus)('beaconing on the corpus', () => {
  it('finds the C2 check-ins of slips_test-cc-capture-1', async () => {
    const path = corpusCapture('slips_test-cc-capture-1.pcap');
    if (!path) return; // this corpus subset does not have it
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    // 297 check-ins in 11 minutes: past highConnections (100).
    expect(alerts[0]).toMatchObject({ category: 'beaconing', severity: 2, src_ip: '147.32.80.37', dst_ip: '141.193.213.21', dst_port: 443, proto: 6 });
    expect(alerts[0]!.details).toMatchObject({ connections: 297, threshold_connections: 10, threshold_jitter: 0.2 });
    expect(alerts[0]!.details.period_seconds).toBeCloseTo(2.2, 1);
    expect(alerts[0]!.details.jitter).toBeLessThan(0.05);
    expect((alerts[0]!.details.sample_flows as string[]).length).toBe(5);
    expect(toEve(alerts[0]!)).toMatchObject({ event_type: 'alert', alert: { category: alerts[0]!.category, severity: alerts[0]!.severity } });
    expect(await detect(path)).toEqual(alerts); // deterministic
  });

  it.each([...BENIGN_CAPTURES, 'slips_malicious-ssh-bruteforce.pcap'])('%s raises nothing', async (name) => {
    const path = corpusCapture(name);
    if (!path) return;
    expect(await detect(path)).toEqual([]);
  });
});

it('the sample demo.pcap raises nothing', async () => {
  expect(await detect(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'))).toEqual([]);
});

describe('beaconing thresholds', () => {
  const t0 = 1_700_000_000_000_000;
  const S = 1_000_000;
  const bytes = (n: number) => new Uint8Array(n).fill(0x42);
  const C2 = '198.51.100.7';

  /** One HTTPS-like check-in per start time (microseconds after t0), from 10.1.0.5 to `server`:`port`. */
  const checkIns = (starts: number[], server = C2, port = 443) =>
    starts
      .flatMap((start, i) =>
        tcpSession({
          client: '10.1.0.5', server, clientPort: 40000 + i, serverPort: port,
          exchanges: [{ fromClient: true, payload: bytes(300) }, { fromClient: false, payload: bytes(1200) }],
        }).map((frame, k) => ({ tsMicros: t0 + Math.round(start) + k * 1000, frame })),
      )
      .sort((a, b) => a.tsMicros - b.tsMicros);

  /** `n` starts, each `interval()` microseconds after the previous one. */
  const series = (n: number, interval: () => number) => {
    const out = [0];
    while (out.length < n) out.push(out[out.length - 1]! + interval());
    return out;
  };

  it('fires on a 60 s beacon with ±5 % jitter over 30 check-ins', async () => {
    const random = seededRandom(7);
    const alerts = await detect(writeCapture(checkIns(series(30, () => 60 * S * (0.95 + 0.1 * random())))));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'beaconing', severity: 3, src_ip: '10.1.0.5', dst_ip: C2, dst_port: 443, proto: 6 });
    expect(alerts[0]!.details).toMatchObject({ connections: 30 });
    expect(alerts[0]!.details.period_seconds).toBeGreaterThan(57);
    expect(alerts[0]!.details.period_seconds).toBeLessThan(63);
    expect(alerts[0]!.details.jitter).toBeLessThan(0.1);
    expect(alerts[0]!.message).toMatch(/^beaconing: 10\.1\.0\.5 contacts 198\.51\.100\.7:443\/tcp every \d+(\.\d+)? s \(30 times, jitter \d+ %\)$/);
  });

  it('stays silent on random (exponential) intervals', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const starts = series(30, () => -60 * S * Math.log(1 - random()));
      expect(await detect(writeCapture(checkIns(starts)))).toEqual([]);
    }
  });

  it('needs 10 check-ins', async () => {
    expect(await detect(writeCapture(checkIns(series(5, () => 60 * S))))).toEqual([]);
    expect(await detect(writeCapture(checkIns(series(9, () => 60 * S))))).toEqual([]);
    const alerts = await detect(writeCapture(checkIns(series(10, () => 60 * S))));
    expect(alerts.map((a) => [a.details.connections, a.details.period_seconds, a.details.jitter])).toEqual([[10, 60, 0]]);
  });

  it('takes periods from 1 s to a day', async () => {
    expect(await detect(writeCapture(checkIns(series(40, () => 0.4 * S))))).toEqual([]);
    expect((await detect(writeCapture(checkIns(series(20, () => 1.5 * S))))).map((a) => a.details.period_seconds)).toEqual([1.5]);
    expect((await detect(writeCapture(checkIns(series(12, () => 3600 * S))))).map((a) => a.details.period_seconds)).toEqual([3600]);
    expect(await detect(writeCapture(checkIns(series(12, () => 2 * 86_400 * S))))).toEqual([]);
  });

  it('tolerates a few missed or extra check-ins', async () => {
    const regular = series(30, () => 60 * S);
    const odd = [...regular.filter((_, i) => i % 9 !== 4), 630 * S, 1250 * S].sort((a, b) => a - b);
    expect((await detect(writeCapture(checkIns(odd)))).map((a) => a.details.period_seconds)).toEqual([60]);
  });

  it('counts a burst of parallel connections as one check-in', async () => {
    const starts = series(15, () => 30 * S).flatMap((s) => [s, s + 0.1 * S, s + 0.2 * S]);
    const alerts = await detect(writeCapture(checkIns(starts)));
    expect(alerts.map((a) => [a.details.connections, a.details.period_seconds])).toEqual([[15, 30]]);
  });

  it('leaves out internal peers unless asked, and DNS and NTP', async () => {
    const every = series(20, () => 60 * S);
    expect(await detect(writeCapture(checkIns(every, '10.0.0.9')))).toEqual([]);
    expect(await detect(writeCapture(checkIns(every, '192.168.1.9')))).toEqual([]);
    const all = new BeaconingDetector({ episodeGapSeconds: 300, beaconing: { ...DEFAULT_BEACONING, externalPeersOnly: false } });
    expect((await detect(writeCapture(checkIns(every, '10.0.0.9')), all)).map((a) => a.dst_ip)).toEqual(['10.0.0.9']);

    // ntpd polling a public server every 64 s (a fresh flow each time: the UDP idle timeout is 60 s).
    const udp = (port: number) =>
      series(20, () => 64 * S).flatMap((start) =>
        udpExchange({ client: '10.1.0.5', server: '198.51.100.123', clientPort: port, serverPort: port, requests: [bytes(48)], responses: [bytes(48)] }).map(
          (frame, k) => ({ tsMicros: t0 + start + k * 20_000, frame }),
        ),
      );
    expect(await detect(writeCapture(udp(123)))).toEqual([]);
    // The same over a port of no infrastructure service is a beacon.
    expect((await detect(writeCapture(udp(4444)))).map((a) => [a.dst_port, a.proto, a.details.period_seconds])).toEqual([[4444, 17, 64]]);
  });

  it('does not take one long flow, cut by the active timeout, for check-ins', async () => {
    // One UDP datagram a second for 10 minutes, records cut every 30 s: periodic records, one conversation.
    const stream = Array.from({ length: 600 }, (_, i) => ({
      tsMicros: t0 + i * S,
      frame: udpExchange({ client: '10.1.0.5', server: C2, clientPort: 5000, serverPort: 5000, requests: [bytes(100)] })[0]!,
    }));
    expect(await detect(writeCapture(stream), undefined, { activeTimeout: 30 })).toEqual([]);
  });

  it('makes one alert for a slow beacon (10 min period, longer than the episode gap)', async () => {
    const alerts = await detect(writeCapture(checkIns(series(15, () => 600 * S))));
    expect(alerts.map((a) => [a.details.connections, a.details.period_seconds])).toEqual([[15, 600]]);
    // Stopped for 3 hours (> 3 periods) and back: a second episode.
    const twice = [...series(15, () => 600 * S), ...series(15, () => 600 * S).map((s) => s + 20_000 * S)];
    expect((await detect(writeCapture(checkIns(twice)))).map((a) => a.details.connections)).toEqual([15, 15]);
  });

  it('is high severity from 100 regular check-ins', async () => {
    const alerts = await detect(writeCapture(checkIns(series(100, () => 5 * S))));
    expect(alerts.map((a) => [a.severity, a.details.connections])).toEqual([[2, 100]]);
  });

  it('knows which addresses are local', () => {
    for (const ip of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '224.0.0.251', '239.255.255.250', '255.255.255.255', '0.0.0.0', '::1', '::', 'fe80::1', 'fd12:3456::1', 'fc00::1', 'ff02::fb', '::ffff:10.0.0.1'])
      expect(isLocalAddress(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '141.193.213.21', '198.51.100.7', '2001:db8::1', '2a00:1450::1', 'fc::1', '::ffff:8.8.8.8'])
      expect(isLocalAddress(ip), ip).toBe(false);
  });

  it('judges an IPv4 address by its key as by its text', () => {
    const keyOf = (ip: string) => ip.split('.').reduce((k, octet) => (k << 8) | Number(octet), 0); // as AddressKey: an int32
    for (const ip of ['10.1.2.3', '172.15.255.255', '172.16.0.1', '172.31.255.255', '172.32.0.1', '192.168.0.1', '192.169.0.1', '127.0.0.1', '169.254.1.1', '169.253.1.1', '100.63.0.1', '100.64.0.1', '100.127.0.1', '100.128.0.1', '223.255.255.255', '224.0.0.251', '255.255.255.255', '0.0.0.0', '8.8.8.8', '141.193.213.21'])
      expect(isLocalAddress(keyOf(ip)), ip).toBe(isLocalAddress(ip));
    expect(isLocalAddress(keyOf('255.255.255.255'))).toBe(true); // a negative int32
  });
});
