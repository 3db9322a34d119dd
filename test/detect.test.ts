/**
 * Behavioural detectors: every attack capture of the corpus found, with its
 * attacker, victim and counts; benign captures silent; thresholds, episodes
 * and the EVE shape on synthetic traffic.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Alert, ALERT_CATEGORIES, toEve } from '@mommynet/core';
import { arpFrame, TCP, tcpFrame, tcpSession } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { corpusCapture, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { detectIn } from './support/detect.js';
import { writeCapture } from './support/synthetic.js';

const detect = (path: string): Promise<Alert[]> => detectIn(path);


describe.skipIf(!haveCorpus)('on the corpus', () => {
  it.each([
    ['ndpi_synscan.pcap', { category: 'port_scan', src_ip: '172.16.0.8', dst_ip: '64.13.134.52', severity: 2 }, { distinct_ports: 1000 }],
    ['sv_tcp-session-syn-flood.pcap', { category: 'syn_flood', dst_ip: '198.51.100.5', dst_port: 443 }, { attempts: 200 }],
    ['sgr_hs-icmpScan.pcap', { category: 'ip_sweep', src_ip: '10.0.0.128' }, { service: 'icmp/echo', distinct_hosts: 256 }],
    ['sgr_hs-udpScan.pcap', { category: 'ip_sweep', src_ip: '246.237.45.150' }, { service: 'udp/40125' }],
  ] as const)('%s', async (name, alert, details) => {
    const path = corpusCapture(name);
    if (!path) return; // this corpus subset does not have it
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject(alert);
    expect(alerts[0]!.details).toMatchObject(details);
    expect((alerts[0]!.details.sample_flows as string[]).length).toBeGreaterThan(0);
  });

  it.each(['zeek_echo-connections.pcap', 'malcolm_SSL.pcap', 'ndpi_netflix.pcap', 'ndpi_teams.pcap', 'cs_http_espn.pcapng'])(
    'benign %s raises nothing',
    async (name) => {
      const path = corpusCapture(name);
      if (!path) return;
      expect(await detect(path)).toEqual([]);
    },
  );

  // malcolm_DNS merges public DNS captures, three of which are tunnels: the
  // iodine flow of ndpi_dns-tunnel-iodine (re-timed), dnscat2 (hex names of
  // over 128 characters) and a TXT tunnel under tunnel.phd. Those, and
  // nothing among its ~530 other DNS flows.
  it('malcolm_DNS raises exactly its three embedded tunnels', async () => {
    const path = corpusCapture('malcolm_DNS.pcap');
    if (!path) return;
    const alerts = await detect(path);
    expect(alerts.map((a) => [a.category, a.src_ip]).sort()).toEqual([
      ['dns_tunnel', '10.0.2.30'],
      ['dns_tunnel', '192.168.220.56'],
      ['dns_tunnel', '192.168.56.1'],
    ]);
  });
});

describe('thresholds and episodes', () => {
  const t0 = 1_700_000_000_000_000;
  const probes = (src: string, ports: number[], startUs: number, stepUs = 10_000) =>
    ports.map((port, i) => ({
      tsMicros: startUs + i * stepUs,
      frame: tcpFrame({ src, dst: '10.9.0.1', srcPort: 50000, dstPort: port, flags: TCP.SYN }),
    }));
  const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

  it('needs 20 distinct ports within a minute', async () => {
    expect(await detect(writeCapture(probes('10.9.9.9', range(19), t0)))).toEqual([]);
    const alerts = await detect(writeCapture(probes('10.9.9.9', range(20), t0)));
    expect(alerts.map((a) => [a.category, a.details.distinct_ports])).toEqual([['port_scan', 20]]);
    // The same 20 ports spread over 20 minutes: never 20 within one minute.
    expect(await detect(writeCapture(probes('10.9.9.9', range(20), t0, 61_000_000)))).toEqual([]);
  });

  it('does not take a busy client for a scanner', async () => {
    const enc = new TextEncoder();
    const sessions = range(40, 8000).flatMap((port, i) =>
      tcpSession({ client: '10.9.0.2', server: '10.9.0.1', clientPort: 40000 + i, serverPort: port, exchanges: [{ fromClient: true, payload: enc.encode('hello') }] }),
    );
    expect(await detect(writeCapture(sessions))).toEqual([]);
  });

  it('makes one alert per episode, and a new one after a quiet gap', async () => {
    const frames = [...probes('10.9.9.9', range(100), t0), ...probes('10.9.9.9', range(100, 200), t0 + 3_600_000_000)];
    const alerts = await detect(writeCapture(frames));
    expect(alerts.map((a) => [a.category, a.details.distinct_ports])).toEqual([
      ['port_scan', 100],
      ['port_scan', 100],
    ]);
  });

  it('finds an ARP sweep of a LAN, and takes address probes and announcements for none', async () => {
    const asks = (sender: string, targets: string[], from = t0) =>
      targets.map((target, i) => ({ tsMicros: from + i * 20_000, frame: arpFrame({ op: 'request', sender, target, senderMac: '02:00:00:00:0a:0a' }) }));
    const lan = range(60).map((i) => `192.168.7.${i}`);
    // Two hosts answer; the rest of the /24 stays silent.
    const replies = ['192.168.7.1', '192.168.7.2'].map((sender, i) => ({
      tsMicros: t0 + i * 20_000 + 5_000,
      frame: arpFrame({ op: 'reply', sender, target: '192.168.7.200', targetMac: '02:00:00:00:0a:0a' }),
    }));
    const frames = [...asks('192.168.7.200', lan), ...replies].sort((a, b) => a.tsMicros - b.tsMicros);
    const alerts = await detect(writeCapture(frames));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'ip_sweep', src_ip: '192.168.7.200', severity: 3 });
    expect(alerts[0]!.proto).toBeUndefined();
    expect(alerts[0]!.details).toMatchObject({ service: 'arp', distinct_hosts: 60 });
    expect(alerts[0]!.details.sample_flows).toBeUndefined(); // ARP has no Community ID
    // A host joining the LAN probes its address from 0.0.0.0 (RFC 5227), and announces it.
    const joining = range(60).flatMap((i) => [
      ...asks('0.0.0.0', [`192.168.8.${i}`], t0 + i * 100_000),
      ...asks(`192.168.8.${i}`, [`192.168.8.${i}`], t0 + i * 100_000 + 50_000),
    ]);
    expect(await detect(writeCapture(joining))).toEqual([]);
  });

  it('counts a SYN flood per target port: a port scan is not a flood', async () => {
    const scan = await detect(writeCapture(probes('10.9.9.9', range(300), t0, 1000)));
    expect(scan.map((a) => a.category)).toEqual(['port_scan']);
    const flood = range(150).map((i) => ({
      tsMicros: t0 + i * 1000,
      frame: tcpFrame({ src: `172.20.${i >> 8}.${i & 255}`, dst: '10.9.0.1', srcPort: 1024 + i, dstPort: 80, flags: TCP.SYN }),
    }));
    const alerts = await detect(writeCapture(flood));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'syn_flood', dst_ip: '10.9.0.1', dst_port: 80, severity: 2 });
    expect(alerts[0]!.details).toMatchObject({ attempts: 150, distinct_sources: 150 });
  });
});

describe('alerts', () => {
  it('have the EVE shape, a known category, a severity from 1 to 4, and are deterministic', async () => {
    const path = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
    const first = await detect(path);
    expect(await detect(path)).toEqual(first);
    expect(first.length).toBeGreaterThan(0);
    for (const a of first) {
      expect(ALERT_CATEGORIES).toContain(a.category);
      expect([1, 2, 3, 4]).toContain(a.severity);
      const eve = toEve(a);
      expect(eve).toMatchObject({ event_type: 'alert', alert: { category: a.category, severity: a.severity, signature: a.message } });
      expect(eve.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
  });

  it('are stored by ingest, listed and filtered by the alerts command, and replaced on --force', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mommy-alerts-')), 'a.duckdb');
    const sample = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
    expect(JSON.parse(runCli(['ingest', sample, '--db', db, '--json', '-q']).stdout)).toMatchObject({ alerts: 1 });
    const eve = runCli(['alerts', '--db', db, '-f', 'eve']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(eve).toHaveLength(1);
    expect(eve[0]).toMatchObject({ event_type: 'alert', src_ip: '203.0.113.9', dest_ip: '10.0.0.10', alert: { category: 'port_scan' } });
    expect(runCli(['alerts', '--db', db, '--host', '10.0.0.10', '-f', 'jsonl']).stdout.trim().split('\n')).toHaveLength(1);
    expect(runCli(['alerts', '--db', db, '--host', '192.0.2.1', '-f', 'jsonl']).stdout.trim()).toBe('');
    expect(runCli(['alerts', '--db', db, '--severity', '2', '-f', 'jsonl']).stdout.trim()).toBe('');
    runCli(['ingest', sample, '--db', db, '--force', '-q']);
    expect(runCli(['alerts', '--db', db, '-f', 'jsonl']).stdout.trim().split('\n')).toHaveLength(1);
    const flowsOnly = join(mkdtempSync(join(tmpdir(), 'mommy-alerts-')), 'b.duckdb');
    expect(JSON.parse(runCli(['ingest', sample, '--db', flowsOnly, '--json', '--no-detect', '-q']).stdout)).toMatchObject({ alerts: 0 });
  });
});
