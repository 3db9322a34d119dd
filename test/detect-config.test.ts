/** The detection config file: merged over the defaults, per-network settings; mistakes refused with file, line and setting. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Capture, DEFAULT_DETECTION, DetectionConfigError, DetectionSession, loadDetectionConfig, parseDetectionConfig, setUpDetection } from '@mommynet/core';
import { TCP, tcpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';

describe('detection config file', () => {
  it('changes only what it names', () => {
    const c = parseDetectionConfig('{ "portScan": { "minPorts": 30 }, "beaconing": { "ignoredPorts": [53, 123, 5353] } }', 'd.json');
    expect(c.portScan).toEqual({ ...DEFAULT_DETECTION.portScan, minPorts: 30 });
    expect(c.beaconing.ignoredPorts).toEqual([53, 123, 5353]);
    expect(c.synFlood).toEqual(DEFAULT_DETECTION.synFlood);
  });

  it.each([
    ['{\n  "portScan": {\n    "minPort": 30\n  }\n}', /^d\.json:3: portScan\.minPort is not a setting \(known here: windowSeconds, minPorts, highPorts\)$/],
    ['{\n  "synFlood": { "minAttempts": "many" }\n}', /^d\.json:2: synFlood\.minAttempts must be a number, not string$/],
    ['{\n  "beaconing": { "ignoredPorts": ["dns"] }\n}', /^d\.json:2: beaconing\.ignoredPorts items must be numbers$/],
    ['{\n  "portScan": { "minPorts": 30, }\n}', /^d\.json:2: not valid JSON/],
    ['[1, 2]', /^d\.json:1: must hold one JSON object$/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDetectionConfig(text, 'd.json')).toThrow(DetectionConfigError);
    expect(() => parseDetectionConfig(text, 'd.json')).toThrow(message);
  });

  it('names a file it cannot read', () => {
    expect(() => loadDetectionConfig('/nonexistent/detection.json')).toThrow(/cannot read detection config \/nonexistent\/detection\.json: ENOENT/);
  });

  it('is used by ingest --detect-config, and a bad one stops ingest before any capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mommy-dc-'));
    const sample = join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap');
    writeFileSync(join(dir, 'strict.json'), '{ "portScan": { "minPorts": 300 } }');
    const quiet = runCli(['ingest', sample, '--db', join(dir, 'a.duckdb'), '--detect-config', join(dir, 'strict.json'), '--json', '-q']);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ alerts: 0, ingested: 1 });
    writeFileSync(join(dir, 'bad.json'), '{ "portscan": {} }');
    const bad = runCli(['ingest', sample, '--db', join(dir, 'b.duckdb'), '--detect-config', join(dir, 'bad.json')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bad\.json:1: portscan is not a setting/);
    expect(bad.stdout).toBe('');
  });
});

describe('per-network settings', () => {
  const text = `{
  "portScan": { "minPorts": 30 },
  "networks": {
    "10.0.5.10": { "portScan": { "minPorts": 100000 } },
    "192.168.100.0/24, 2001:db8:100::/48": { "portScan": { "minPorts": 5 }, "synFlood": { "minAttempts": 10 } },
    "10.0.9.7/24": { "ipSweep": { "minHosts": 500 } }
  }
}`;

  it("merges each network over the file's own settings, with canonical prefixes", () => {
    const c = parseDetectionConfig(text, 'd.json');
    expect(c.portScan.minPorts).toBe(30);
    expect(c.networks.map((n) => n.prefixes)).toEqual([['10.0.5.10'], ['192.168.100.0/24', '2001:db8:100::/48'], ['10.0.9.0/24']]);
    expect(c.networks[0]!.config.portScan).toEqual({ ...DEFAULT_DETECTION.portScan, minPorts: 100000 });
    expect(c.networks[1]!.config.synFlood).toEqual({ ...DEFAULT_DETECTION.synFlood, minAttempts: 10 });
    expect(c.networks[2]!.config.portScan.minPorts).toBe(30); // inherited from the top level
    expect(c.networks[2]!.config).not.toHaveProperty('networks');
  });

  it.each([
    ['{\n  "networks": {\n    "10.0.0.300/8": {}\n  }\n}', /^d\.json:3: networks\.10\.0\.0\.300\/8 names '10\.0\.0\.300\/8', which is not an IP address or CIDR prefix$/],
    ['{\n  "networks": {\n    "10.0.0.0/8": {\n      "portScan": { "minPort": 3 }\n    }\n  }\n}', /^d\.json:4: networks\.10\.0\.0\.0\/8\.portScan\.minPort is not a setting/],
    ['{\n  "networks": {\n    "10.0.0.0/8": {\n      "threatIntel": { "lists": [] }\n    }\n  }\n}', /^d\.json:4: networks\.10\.0\.0\.0\/8\.threatIntel is the same for every network \(set it at the top level\)$/],
    ['{ "networks": ["10.0.0.0/8"] }', /^d\.json:1: networks must be an object of prefixes and their settings, not array$/],
    ['{ "networks": { "10.0.0.0/8": 5 } }', /^d\.json:1: networks\.10\.0\.0\.0\/8 must be an object of settings, not number$/],
  ])('refuses %j', (bad, message) => {
    expect(() => parseDetectionConfig(bad, 'd.json')).toThrow(message);
  });

  it('watches each network with its own settings: the most specific prefix of source or destination wins', async () => {
    const t0 = 1_700_000_000_000_000;
    let t = t0;
    // A SYN scan of `ports` ports (each refused with RST) from `src` to `dst`.
    const scan = (src: string, dst: string, ports: number) =>
      Array.from({ length: ports }, (_, i) => [
        { tsMicros: (t += 1000), frame: tcpFrame({ src, dst, srcPort: 40000, dstPort: 1000 + i, flags: TCP.SYN }) },
        { tsMicros: (t += 10), frame: tcpFrame({ src: dst, dst: src, srcPort: 1000 + i, dstPort: 40000, flags: TCP.RST | TCP.ACK }) },
      ]).flat();
    const path = writeCapture([
      ...scan('10.0.5.10', '10.0.1.1', 40), // the organisation's own scanner: allowed
      ...scan('10.0.6.10', '10.0.1.1', 40), // anyone else: alert (30 ports at the top level)
      ...scan('10.0.6.11', '192.168.100.9', 8), // a sensitive network: 5 ports are enough
      ...scan('10.0.6.12', '10.0.1.2', 8), // elsewhere 8 ports are not
      ...scan('10.0.5.10', '192.168.100.9', 8), // the scanner's /32 beats the /24
    ]);
    const session = new DetectionSession({ setup: setUpDetection(parseDetectionConfig(text, 'd.json')) });
    for await (const batch of Capture.openFile(path)) session.observe(batch);
    const scans = session.finish().filter((a) => a.category === 'port_scan');
    expect(scans.map((a) => `${a.src_ip}>${a.dst_ip}`)).toEqual(['10.0.6.10>10.0.1.1', '10.0.6.11>192.168.100.9']);
    expect(scans[1]!.details).toMatchObject({ threshold_ports: 5 });
  });
});

