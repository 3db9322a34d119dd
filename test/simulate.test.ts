/**
 * The simulator: the same options give the same bytes (and the committed
 * datasets are what the script makes); tshark reads every file it writes;
 * every label names exactly the flows of its attack; the detectors find
 * the attacks, apart from the gaps listed below, and raise nothing severe
 * on normal traffic; and the `simulate` command end to end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  type Alert,
  alertMatchesEpisode,
  attackTraffic,
  DEFAULT_DETECTION,
  type Episode,
  type FileOptions,
  flowInEpisode,
  loadLabels,
  makeDetectors,
  parseLabel,
  setUpDetection,
  type Simulation,
  type SimulationFiles,
  simulate,
  writeSimulation,
} from '@mommynet/core';
import { PcapWriter } from '@mommynet/core/synth';
import { beforeAll, describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/corpus.js';
import { detectIn } from './support/detect.js';
import { haveTool, readFlows } from './support/flows.js';

const tmp = mkdtempSync(join(tmpdir(), 'mommy-sim-'));
const haveTshark = haveTool('tshark');
if (!haveTshark) console.warn('[simulate] tshark missing: tshark checks skipped');

/**
 * Flow records come out when flows end: unanswered SYNs after the 300 s TCP
 * idle timeout, reflected UDP after 60 s, long after flows that started
 * later. The detectors count by each flow's own start time, so the attacks
 * are found with the default timeouts and with short ones alike.
 */
const SHORT_TIMEOUTS: FileOptions = { tcpIdleTimeout: 3, udpIdleTimeout: 3, icmpIdleTimeout: 3 };

let mixed: Simulation;
let mixedFiles: SimulationFiles;
let benign: Simulation;
let benignFiles: SimulationFiles;

beforeAll(() => {
  mixed = simulate({ captureName: 'mixed.pcap' });
  mixedFiles = writeSimulation(mixed, tmp, 'mixed');
  benign = simulate({ seed: 2, attacks: [], captureName: 'benign.pcap' });
  benignFiles = writeSimulation(benign, tmp, 'benign');
});

/** Every detector, with the capture's indicator list when it has one. */
function detectors(intel?: string) {
  return makeDetectors(setUpDetection({ ...DEFAULT_DETECTION, threatIntel: { lists: intel ? [intel] : [] } }));
}

/** The records of a classic pcap, header and data, in file order. */
function records(pcap: Buffer): string[] {
  const out: string[] = [];
  for (let at = 24; at < pcap.length; ) {
    const end = at + 16 + pcap.readUInt32LE(at + 8);
    out.push(pcap.subarray(at, end).toString('hex'));
    at = end;
  }
  return out;
}

describe('determinism', () => {
  it('gives the same bytes and labels for the same options, other bytes for another seed', () => {
    const again = simulate({ captureName: 'mixed.pcap' });
    expect(again.pcap.equals(mixed.pcap)).toBe(true);
    expect(again.labels).toEqual(mixed.labels);
    expect(again.intel).toBe(mixed.intel);
    const other = simulate({ seed: 2, captureName: 'mixed.pcap' });
    expect(other.pcap.equals(mixed.pcap)).toBe(false);
  });

  it('leaves the normal traffic of a seed as it is when attacks are added', () => {
    const normal = records(simulate({ attacks: [], captureName: 'mixed.pcap' }).pcap);
    const all = records(mixed.pcap);
    // The normal capture's records appear in the mixed one, in the same order.
    let i = 0;
    for (const r of all) if (r === normal[i]) i++;
    expect(i).toBe(normal.length);
    expect(all.length).toBe(mixed.packets);
  });

  it('gives one attack on its own as simulate mixes it in', () => {
    const scan = attackTraffic('port_scan', { captureName: 'mixed.pcap' });
    expect(scan.labels).toEqual(mixed.labels.filter((l) => l.category === 'port_scan'));
    expect(scan.flows).toBe(mixed.flows.port_scan);
    const all = new Set(records(mixed.pcap));
    const writer = new PcapWriter({ snaplen: mixed.options.snaplen });
    for (const f of scan.frames) writer.add(f.t, f.frame, f.wire);
    expect(records(writer.toBuffer()).every((r) => all.has(r))).toBe(true);
  });

  // The script rewrites the files: after a failure, the new ones are there to review and commit.
  it('keeps the committed datasets what scripts/make-datasets.mjs makes', () => {
    const names = ['sample/demo.pcap', 'sim/benign.pcap', 'sim/benign.labels.jsonl', 'sim/mixed.pcap', 'sim/mixed.labels.jsonl', 'sim/mixed.intel.txt'];
    const committed = names.map((n) => readFileSync(join(REPO_ROOT, 'datasets', n)));
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'make-datasets.mjs')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    names.forEach((n, i) => expect(readFileSync(join(REPO_ROOT, 'datasets', n)).equals(committed[i]!), n).toBe(true));
  });
});

describe.runIf(haveTshark)('tshark', () => {
  /** tshark's exit status, what it printed on stderr (its warning about running as root left out), and its packets. */
  function tshark(path: string) {
    const r = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.malformed'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const stderr = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Running as user'));
    const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    return { status: r.status, stderr, packets: rows.length, malformed: rows.filter((row) => row[1] !== '').map((row) => row[0]) };
  }

  it('reads the mixed and the normal capture whole, without malformed packets', () => {
    for (const [sim, files] of [[mixed, mixedFiles], [benign, benignFiles]] as const) {
      const t = tshark(files.pcap);
      expect(t.status).toBe(0);
      expect(t.stderr).toEqual([]);
      expect(t.packets).toBe(sim.packets);
      expect(t.malformed).toEqual([]);
    }
  });
});

describe('labels', () => {
  it('are valid label lines, and the intel list names the listed host', () => {
    const lines = readFileSync(mixedFiles.labels, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(mixed.labels.length);
    lines.forEach((l, i) => expect(parseLabel(l, `mixed.labels.jsonl:${i + 1}`).label.capture).toBe('mixed.pcap'));
    const categories = new Set(mixed.labels.map((l) => l.category));
    expect([...categories].sort()).toEqual([...mixed.options.attacks].sort());
    const intelHost = mixed.labels.find((l) => l.category === 'threat_intel')!.attacker as string;
    expect(readFileSync(mixedFiles.intel!, 'utf8')).toMatch(new RegExp(`^${intelHost.replaceAll('.', '\\.')}\\b`, 'm'));
    expect(readFileSync(benignFiles.labels, 'utf8')).toBe('');
  });

  it('claim exactly the flows each attack made, and no flow twice', async () => {
    const episodes = loadLabels(mixedFiles.labels);
    const { flows, error } = await readFlows(mixedFiles.pcap);
    expect(error).toBeUndefined();
    const perEpisode = new Map<string, number>();
    const perCategory: Record<string, number> = {};
    for (const r of flows) {
      const flow = { src_ip: r.src_ip as string, dst_ip: r.dst_ip as string, proto: r.proto as number, dst_port: r.dst_port as number, startUs: r.start_time as number, endUs: r.end_time as number };
      const matched = episodes.filter((e) => flowInEpisode(flow, e));
      for (const e of matched) perEpisode.set(e.label.id, (perEpisode.get(e.label.id) ?? 0) + 1);
      const categories = new Set(matched.map((e) => e.label.category));
      expect(categories.size).toBeLessThanOrEqual(1);
      for (const c of categories) perCategory[c] = (perCategory[c] ?? 0) + 1;
    }
    for (const e of episodes) expect(perEpisode.get(e.label.id) ?? 0, e.label.id).toBeGreaterThan(0);
    // The flow table finds as many flows per attack as the simulator made conversations: no normal flow is claimed.
    const { benign: _, ...attackFlows } = mixed.flows;
    expect(perCategory).toEqual(attackFlows);
  });
});

describe('detectors', () => {
  /** The ids of the labels no alert of their category reports. */
  function missed(alerts: Alert[], episodes: Episode[]): string[] {
    return episodes.filter((e) => !alerts.some((a) => a.category === e.label.category && alertMatchesEpisode(a, e))).map((e) => e.label.id);
  }

  const detailsOf = (alerts: Alert[], category: string, key: string) => new Set(alerts.filter((a) => a.category === category).map((a) => a.details[key]));

  it('report every attack at medium intensity, naming the labelled attacker or victim', async () => {
    const alerts = await detectIn(mixedFiles.pcap, detectors(mixedFiles.intel));
    const episodes = loadLabels(mixedFiles.labels);
    expect(missed(alerts, episodes)).toEqual([]);
    expect(new Set(episodes.map((e) => e.label.category))).toEqual(new Set(mixed.options.attacks));
    expect([...detailsOf(alerts, 'ip_sweep', 'service')].sort()).toEqual(['arp', 'icmp/echo', 'tcp/445']);
    expect([...detailsOf(alerts, 'ddos', 'kind')].sort()).toEqual(['many_sources', 'udp_amplification']);
    // Each kind of injection the web attacker sends is recognised.
    expect([...detailsOf(alerts, 'payload_signature', 'signature_category')].sort()).toEqual(['cmdi', 'sqli', 'traversal', 'xss']);
  });

  it('report every labelled episode when flows end after a few idle seconds too', async () => {
    const alerts = await detectIn(mixedFiles.pcap, detectors(mixedFiles.intel), SHORT_TIMEOUTS);
    expect(missed(alerts, loadLabels(mixedFiles.labels))).toEqual([]);
    expect(detailsOf(alerts, 'ip_sweep', 'service')).toContain('tcp/445');
    expect(detailsOf(alerts, 'ip_sweep', 'service')).toContain('arp');
    expect(detailsOf(alerts, 'ddos', 'kind')).toContain('udp_amplification');
  });

  it('raise nothing critical or high on normal traffic', async () => {
    const alerts = await detectIn(benignFiles.pcap, detectors());
    expect(alerts.filter((a) => a.severity <= 2).map((a) => a.message)).toEqual([]);
  });
});

describe('mommy-forensics simulate', () => {
  it('writes the capture, labels and intel list, and a JSON summary', () => {
    const out = join(tmp, 'cli');
    const r = runCli(['simulate', '--out', out, '--name', 'lab', '--seed', '3', '--duration', '60', '--attacks', 'port_scan,threat_intel', '--intensity', 'high']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.files).toEqual({ pcap: join(out, 'lab.pcap'), labels: join(out, 'lab.labels.jsonl'), intel: join(out, 'lab.intel.txt') });
    const sim = simulate({ seed: 3, durationSeconds: 60, attacks: ['port_scan', 'threat_intel'], intensity: 'high', captureName: 'lab.pcap' });
    expect(readFileSync(summary.files.pcap).equals(sim.pcap)).toBe(true);
    expect(summary).toMatchObject({ packets: sim.packets, flows: sim.flows, labels: 2, seed: 3, duration: 60, attacks: ['port_scan', 'threat_intel'] });
    expect(loadLabels(summary.files.labels).map((e) => e.label.category)).toEqual(['port_scan', 'threat_intel']);
  });

  it('makes benign traffic only with --attacks none, and no intel list', () => {
    const out = join(tmp, 'none');
    const r = runCli(['simulate', '--out', out, '--attacks', 'none', '--duration', '30']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual({ pcap: join(out, 'simulated.pcap'), labels: join(out, 'simulated.labels.jsonl') });
    expect(existsSync(join(out, 'simulated.intel.txt'))).toBe(false);
  });

  it('refuses bad options with status 1 and an unwritable directory with status 5', () => {
    for (const [args, message] of [
      [['--attacks', 'port_scan,teleport'], "unknown attack 'teleport'"],
      [['--intensity', 'extreme'], '--intensity must be low, medium, high'],
      [['--duration', '5'], '--duration must be a number from 30 to 3600'],
      [['--seed', '-1'], '--seed must be an integer'],
      [['--name', 'a/b'], '--name must be a file name'],
    ] as const) {
      const r = runCli(['simulate', '--out', tmp, ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const r = runCli(['simulate', '--out', join(file, 'sub'), '--attacks', 'none', '--duration', '30']);
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('ENOTDIR');
  });

  it('explains itself with --help', () => {
    const r = runCli(['simulate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--intensity');
    expect(r.stdout).toContain('Examples:');
  });
});
