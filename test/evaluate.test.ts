/**
 * Evaluation: the labels format and its errors, the matching rules, the
 * scorer's counts, `mommy-forensics evaluate` end to end on a capture made
 * here, and on the public corpus, whose results table in the README must be
 * the one the command prints today.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  alertCoversFlow,
  alertMatchesEpisode,
  type EvaluatedAlert,
  type EvaluatedFlow,
  type EvaluationReport,
  flowInEpisode,
  loadLabels,
  parseLabel,
  Scorer,
} from '@mommynet/core';
import { TCP, tcpFrame, tcpSession } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { BENIGN_CAPTURES, CORPUS_PCAPS, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { runCli } from './support/cli.js';
import { writeCapture } from './support/synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'mommy-evaluate-'));
let files = 0;
function labelsFile(lines: object[] | string): string {
  const path = join(tmp, `labels-${files++}.jsonl`);
  writeFileSync(path, typeof lines === 'string' ? lines : lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

const T0 = Date.parse('2026-01-05T10:00:00Z') * 1000;
const flow = (src: string, dst: string, startS: number, endS = startS, extra: Partial<EvaluatedFlow> = {}): EvaluatedFlow => ({
  src_ip: src, dst_ip: dst, proto: 6, dst_port: 80, startUs: T0 + startS * 1e6, endUs: T0 + endS * 1e6, ...extra,
});
const alert = (a: Partial<EvaluatedAlert> & { startS: number; endS: number }): EvaluatedAlert => ({
  category: 'port_scan', severity: 3, ...a, start: T0 + a.startS * 1e6, end: T0 + a.endS * 1e6,
});
const iso = (s: number) => new Date(T0 / 1000 + s * 1000).toISOString();

describe('labels', () => {
  it('parses every field: addresses, prefixes and lists, times to the microsecond, protocol names', () => {
    const e = parseLabel(
      JSON.stringify({ id: 'x', category: 'ddos', attacker: ['198.51.100.0/24', '2001:db8::1'], victim: '10.0.0.1', start: '2026-01-05T10:00:00.000250Z', end: iso(60), proto: 'UDP', dst_port: 53 }),
      'f:1',
    );
    expect(e.attacker!.has('198.51.100.77')).toBe(true);
    expect(e.attacker!.has('2001:db8::1')).toBe(true);
    expect(e.attacker!.has('198.51.101.1')).toBe(false);
    expect(e.startUs).toBe(T0 + 250);
    expect(e.endUs).toBe(T0 + 60e6);
    expect([e.proto, e.dstPort, e.label.id]).toEqual([17, 53, 'x']);
    const open = parseLabel('{"category":"syn_flood"}', 'f:9');
    expect([open.startUs, open.endUs, open.label.id, open.attacker]).toEqual([-Infinity, Infinity, 'f:9', undefined]);
  });

  it('refuses a bad line naming the file, the line and the field', () => {
    const cases: [string, RegExp][] = [
      ['{"category":"port_scan",', /:3: not JSON/],
      ['{"category":"scan"}', /:3: category "scan" is not one of port_scan, /],
      ['{"category":"port_scan","attacker":"10.0.0.300"}', /:3: attacker "10.0.0.300" is not an IP address or CIDR prefix/],
      ['{"category":"port_scan","start":"yesterday"}', /:3: start "yesterday" is not an ISO 8601 time/],
      ['{"category":"port_scan","start":"2026-01-02T00:00:00Z","end":"2026-01-01T00:00:00Z"}', /:3: end is before start/],
      ['{"category":"port_scan","victm":"10.0.0.1"}', /:3: unknown field 'victm'/],
      ['{"category":"port_scan","proto":"gre"}', /:3: proto "gre" is not tcp, udp, icmp, icmpv6, sctp, arp or a protocol number/],
      ['{"category":"port_scan","dst_port":70000}', /:3: dst_port 70000 is not a port number/],
      ['[1]', /:3: expected a JSON object/],
    ];
    for (const [line, message] of cases) {
      const path = labelsFile(`# comment\n\n${line}\n`);
      expect(() => loadLabels(path), line).toThrow(message);
      expect(() => loadLabels(path)).toThrow(path);
    }
    expect(() => loadLabels(join(tmp, 'missing.jsonl'))).toThrow(/missing\.jsonl: cannot read labels \(ENOENT\)/);
  });
});

describe('matching', () => {
  const scan = parseLabel(JSON.stringify({ category: 'port_scan', attacker: '10.0.0.66', victim: '10.0.0.0/24', start: iso(10), end: iso(20), proto: 'tcp' }), 'f:1');

  it('puts a flow in an episode by endpoints in either direction, time overlap, protocol and port', () => {
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 12), scan)).toBe(true);
    expect(flowInEpisode(flow('10.0.0.5', '10.0.0.66', 12), scan)).toBe(true); // the victim's answer
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 5, 10), scan)).toBe(true); // ends as the episode starts
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 21), scan)).toBe(false);
    expect(flowInEpisode(flow('10.0.0.66', '10.0.1.5', 12), scan)).toBe(false);
    expect(flowInEpisode(flow('10.0.0.67', '10.0.0.5', 12), scan)).toBe(false);
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 12, 12, { proto: 17 }), scan)).toBe(false);
    // `arp` labels the ARP exchanges of the two sides (flows without an IP protocol) and nothing else.
    const arpSweep = parseLabel(JSON.stringify({ category: 'ip_sweep', attacker: '10.0.0.66', victim: '10.0.0.0/24', proto: 'ARP' }), 'f:3');
    expect(arpSweep.proto).toBeNull();
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 12, 12, { proto: null }), arpSweep)).toBe(true);
    expect(flowInEpisode(flow('10.0.0.66', '10.0.0.5', 12, 12, { proto: 1 }), arpSweep)).toBe(false);
    const spoofed = parseLabel('{"category":"syn_flood","victim":"10.0.0.1","dst_port":443}', 'f:2');
    expect(flowInEpisode(flow('203.0.113.9', '10.0.0.1', 0, 0, { dst_port: 443 }), spoofed)).toBe(true);
    expect(flowInEpisode(flow('203.0.113.9', '10.0.0.1', 0), spoofed)).toBe(false);
  });

  it('covers a flow by an alert when the alert names its endpoints and overlaps it', () => {
    const both = alert({ src_ip: '10.0.0.66', dst_ip: '10.0.0.5', startS: 10, endS: 20 });
    expect(alertCoversFlow(both, flow('10.0.0.5', '10.0.0.66', 15))).toBe(true);
    expect(alertCoversFlow(both, flow('10.0.0.66', '10.0.0.6', 15))).toBe(false);
    expect(alertCoversFlow(both, flow('10.0.0.66', '10.0.0.5', 25))).toBe(false);
    const source = alert({ src_ip: '10.0.0.66', startS: 10, endS: 20 });
    expect(alertCoversFlow(source, flow('10.0.0.66', '10.0.0.200', 15))).toBe(true);
    expect(alertCoversFlow(source, flow('10.0.0.7', '10.0.0.200', 15))).toBe(false);
    // An alert naming a protocol covers only flows of it: not the ARP (null) or UDP flows of the same hosts.
    const icmp = { ...both, proto: 1 };
    expect(alertCoversFlow(icmp, flow('10.0.0.66', '10.0.0.5', 15, 15, { proto: 1 }))).toBe(true);
    expect(alertCoversFlow(icmp, flow('10.0.0.66', '10.0.0.5', 15, 15, { proto: null }))).toBe(false);
    expect(alertCoversFlow(icmp, flow('10.0.0.66', '10.0.0.5', 15, 15, { proto: 17 }))).toBe(false);
    // An ARP sweep's alert names no protocol (ARP has none) but covers only ARP exchanges.
    const arpSweep = { ...source, details: { service: 'arp' } };
    expect(alertCoversFlow(arpSweep, flow('10.0.0.66', '10.0.0.200', 15, 15, { proto: null }))).toBe(true);
    expect(alertCoversFlow(arpSweep, flow('10.0.0.66', '10.0.0.200', 15, 15, { proto: 17 }))).toBe(false);
    expect(alertCoversFlow({ ...source, details: { service: 'tcp/445' } }, flow('10.0.0.66', '10.0.0.200', 15, 15, { proto: 17 }))).toBe(true);
  });

  it('matches an alert to an episode in either orientation, and not outside it', () => {
    expect(alertMatchesEpisode(alert({ src_ip: '10.0.0.66', dst_ip: '10.0.0.9', startS: 15, endS: 30 }), scan)).toBe(true);
    expect(alertMatchesEpisode(alert({ src_ip: '10.0.0.9', dst_ip: '10.0.0.66', startS: 15, endS: 30 }), scan)).toBe(true);
    expect(alertMatchesEpisode(alert({ src_ip: '10.0.0.66', startS: 15, endS: 30 }), scan)).toBe(true);
    expect(alertMatchesEpisode(alert({ src_ip: '10.0.0.66', dst_ip: '10.0.9.9', startS: 15, endS: 30 }), scan)).toBe(false);
    expect(alertMatchesEpisode(alert({ src_ip: '10.0.0.66', startS: 21, endS: 30 }), scan)).toBe(false);
  });
});

describe('Scorer', () => {
  it('counts flows and episodes per category, and false alerts per 10 000 benign flows', () => {
    const episodes = [
      parseLabel(JSON.stringify({ category: 'port_scan', attacker: '10.0.0.66', victim: '10.0.0.5' }), 'f:1'),
      parseLabel(JSON.stringify({ category: 'brute_force', attacker: '10.0.0.77', victim: '10.0.0.5' }), 'f:2'),
    ];
    const flows = [
      ...Array.from({ length: 4 }, (_, i) => flow('10.0.0.66', '10.0.0.5', i)), // scan, all covered
      ...Array.from({ length: 2 }, (_, i) => flow('10.0.0.77', '10.0.0.5', i)), // brute force, missed
      ...Array.from({ length: 3 }, (_, i) => flow('10.0.0.8', '10.0.0.5', 10 + i)), // benign, one covered by the false alert
    ];
    const alerts = [
      alert({ src_ip: '10.0.0.66', dst_ip: '10.0.0.5', startS: 0, endS: 3 }),
      alert({ category: 'beaconing', severity: 2, src_ip: '10.0.0.8', dst_ip: '10.0.0.5', startS: 10, endS: 10 }),
    ];
    const scorer = new Scorer();
    const capture = scorer.addCapture('a.pcap', flows, alerts, episodes);
    expect(capture).toMatchObject({ flows: 9, benignFlows: 3, falseAlertsBySeverity: [0, 1, 0, 0], alerts: { port_scan: 1, beaconing: 1 } });
    expect(capture.episodes).toEqual([
      { category: 'port_scan', labelled: 1, detected: 1 },
      { category: 'brute_force', labelled: 1, detected: 0 },
    ]);
    const report = scorer.report();
    const by = Object.fromEntries(report.categories.map((c) => [c.category, c]));
    expect(by.port_scan!.flows).toMatchObject({ labelled: 4, detected: 4, claimed: 4, precision: 1, recall: 1 });
    expect(by.brute_force!.flows).toMatchObject({ labelled: 2, detected: 0, claimed: 0, precision: null, recall: 0 });
    expect(by.beaconing!.flows).toMatchObject({ labelled: 0, claimed: 1, precision: 0, recall: null });
    expect(by.beaconing!.episodes).toMatchObject({ labelled: 0, claimed: 1, correct: 0, precision: 0 });
    expect(report).toMatchObject({ flows: 9, benignFlows: 3, falseAlerts: 1, falseAlertsBySeverity: [0, 1, 0, 0] });
    expect(report.falseAlertsPer10kBenign).toBeCloseTo(10_000 / 3);
  });
});

describe('mommy-forensics evaluate', () => {
  // A port scan (30 ports, RST answers) among ordinary web sessions.
  const frames = [
    ...Array.from({ length: 30 }, (_, i) => [
      { tsMicros: T0 + i * 100_000, frame: tcpFrame({ src: '10.0.0.66', dst: '10.0.0.5', srcPort: 50000, dstPort: 1000 + i, flags: TCP.SYN }) },
      { tsMicros: T0 + i * 100_000 + 50, frame: tcpFrame({ src: '10.0.0.5', dst: '10.0.0.66', srcPort: 1000 + i, dstPort: 50000, flags: TCP.RST | TCP.ACK }) },
    ]).flat(),
    ...Array.from({ length: 20 }, (_, i) =>
      tcpSession({ client: `10.0.1.${i + 2}`, server: '10.0.0.5', clientPort: 40000 + i, serverPort: 80, exchanges: [{ fromClient: true, payload: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n') }] }).map(
        (frame, k) => ({ tsMicros: T0 + 5e6 + i * 200_000 + k * 1000, frame }),
      ),
    ).flat(),
  ].sort((a, b) => a.tsMicros - b.tsMicros);
  const capture = writeCapture(frames);
  const scanLabel = { category: 'port_scan', attacker: '10.0.0.66', victim: '10.0.0.5', start: iso(0), end: iso(3), proto: 'tcp' };

  it('scores a labelled scan: found at flow and episode level, no false alert', () => {
    const r = runCli(['evaluate', '-q', '-f', 'json', '--labels', labelsFile([scanLabel]), capture]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as EvaluationReport;
    expect(report).toMatchObject({ flows: 50, benignFlows: 20, falseAlerts: 0, falseAlertsPer10kBenign: 0 });
    expect(report.categories).toEqual([
      {
        category: 'port_scan',
        flows: { labelled: 30, detected: 30, correct: 30, claimed: 30, precision: 1, recall: 1 },
        episodes: { labelled: 1, detected: 1, correct: 1, claimed: 1, precision: 1, recall: 1 },
      },
    ]);
  });

  it('counts a detection of an unlabelled attack as a false alert, and a missed label as missed', () => {
    const wrong = { ...scanLabel, attacker: '10.0.0.99' };
    const r = runCli(['evaluate', '-q', '-f', 'json', '--labels', labelsFile([wrong]), capture]);
    const report = JSON.parse(r.stdout) as EvaluationReport;
    expect(report.categories[0]!.episodes).toMatchObject({ labelled: 1, detected: 0, claimed: 1, correct: 0, recall: 0, precision: 0 });
    expect(report).toMatchObject({ benignFlows: 50, falseAlerts: 1, falseAlertsBySeverity: [0, 0, 1, 0] });
  });

  it('prints aligned tables, and refuses a bad labels file before reading any capture', () => {
    const table = runCli(['evaluate', '-q', '--labels', labelsFile([scanLabel]), capture]);
    expect(table.stdout).toMatch(/^category +flows +flow_precision/);
    expect(table.stdout).toMatch(/\nport_scan +30 +1\.000 +1\.000 +1 +1 +1 +1\.000 +1\.000\n/);
    expect(table.stdout).toContain('50 flows, 20 benign; 0 false alerts (0.00 per 10 000 benign flows; severity 1/2/3/4: 0/0/0/0)');
    const bad = labelsFile('{"category":"portscan"}\n');
    const r = runCli(['evaluate', '--labels', bad, capture]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mommy-forensics: ${bad}:1: category "portscan" is not one of port_scan, ip_sweep, syn_flood, ddos, traffic_spike, brute_force, beaconing, dns_tunnel, icmp_tunnel, payload_signature, threat_intel, ml_anomaly\n`);
  });
});

describe.skipIf(!haveCorpus)('evaluation on the public corpus', () => {
  const labels = join(REPO_ROOT, 'datasets', 'corpus', 'labels.jsonl');
  const run = (format: string) => runCli(['evaluate', '-q', '-f', format, '--labels', labels, CORPUS_PCAPS]);

  it('finds every labelled attack with its category; no alert of severity 1 or 2 on the benign captures', () => {
    const r = run('json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as EvaluationReport;
    const labelled = new Set(loadLabels(labels).map((e) => e.label.capture));
    for (const c of report.captures) {
      for (const e of c.episodes) expect(e.detected, `${c.capture} ${e.category}`).toBe(e.labelled);
      if (labelled.has(c.capture)) expect(c.episodes.length, c.capture).toBeGreaterThan(0);
      expect(c.falseAlertsBySeverity[0] + c.falseAlertsBySeverity[1], c.capture).toBe(0);
    }
    for (const name of BENIGN_CAPTURES) expect(report.captures.map((c) => c.capture)).toContain(name);
    for (const category of report.categories) if (category.episodes.labelled > 0) expect(category.episodes.recall, category.category).toBe(1);
  });

  it('is the results table the README shows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(run('markdown').stdout.trim());
  });
});
