/** The detection config file: merged over the defaults; mistakes refused with file, line and setting. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_DETECTION, DetectionConfigError, loadDetectionConfig, parseDetectionConfig } from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';

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
