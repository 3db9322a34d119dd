/**
 * The parser against real edge-case captures (../shared/corpus/edge): every
 * file is read without a crash; damaged and invalid ones fail with the right
 * code and the byte offset; packet counts agree with tshark's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { Capture, CaptureError } from '@mommynet/core';
import { udpFrame } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { CORPUS_EDGE, corpusCapture, corpusFiles, haveCorpus } from './support/corpus.js';
import { haveTool, readFlows } from './support/flows.js';
import { writeCapture } from './support/synthetic.js';

if (!haveCorpus) console.warn('[edge] corpus missing: edge-case tests skipped');

/** Files that must be refused at open, with the reason. */
const REFUSED: Record<string, string> = {
  'badhdr_libpcap_linktype-reserved-field-not-zero.pcap': 'bad_header',
  'badhdr_libpcap_pcap-invalid-version-1.pcap': 'unsupported_version',
  'badhdr_libpcap_pcap-invalid-version-2.pcap': 'unsupported_version',
  'badhdr_libpcap_pcapng-invalid-vers-1.pcapng': 'unsupported_version',
  'badhdr_libpcap_pcapng-invalid-vers-2.pcapng': 'unsupported_version',
};

/** Files damaged part-way: the code and where the damage starts. */
const DAMAGED: Record<string, { code: string; offset: number; packets: number }> = {
  'corrupt_sv_bug-6875-01_fuzz.pcap': { code: 'corrupt', offset: 228, packets: 1 },
  'trunc_cs_ppa1e_http-fault-post.pcap': { code: 'truncated', offset: 8877, packets: 25 },
  'trunc_sv_http-mime-truncated.pcap': { code: 'truncated', offset: 2715459, packets: 2696 },
};

const edgeFiles = corpusFiles(CORPUS_EDGE).map((f) => [basename(f), f]);

function tsharkPacketCount(path: string): number | undefined {
  try {
    const out = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 26,
    });
    return out.split('\n').filter(Boolean).length;
  } catch {
    return undefined; // tshark refuses or stops early: compared elsewhere
  }
}

describe.skipIf(!haveCorpus)('edge-case captures', () => {
  it.each(edgeFiles)('%s is read without a crash', async (name, path) => {
    if (REFUSED[name]) {
      let err: unknown;
      try {
        Capture.openFile(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptureError);
      expect((err as CaptureError).code).toBe(REFUSED[name]);
      expect((err as CaptureError).message).toContain(path);
      return;
    }
    const { flows, stats, error } = await readFlows(path);
    const damage = DAMAGED[name];
    if (damage) {
      expect(error).toBeInstanceOf(CaptureError);
      const e = error as CaptureError;
      expect([e.code, e.offset, stats.packets]).toEqual([damage.code, damage.offset, damage.packets]);
      expect(e.partial).toBe(true);
      expect(e.message).toContain(`at byte ${damage.offset}`);
    } else {
      expect(error).toBeUndefined();
    }
    // Nothing decoded is lost, and nothing is counted twice.
    const inFlows = flows.reduce((n, f) => n + (f.pkts_fwd as number) + (f.pkts_rev as number), 0);
    expect(inFlows).toBe(stats.decoded);
    expect(stats.decoded + stats.skipped).toBe(stats.packets);
    const byReason = Object.values(stats.skippedByReason).reduce((a, b) => a + b, 0);
    expect(byReason).toBe(stats.skipped);
  });

  it.skipIf(!haveTool('tshark')).each(edgeFiles.filter(([n]) => !REFUSED[n!] && !DAMAGED[n!]))(
    '%s: packet count agrees with tshark',
    async (_name, path) => {
      const expected = tsharkPacketCount(path);
      if (expected === undefined) return;
      const { stats } = await readFlows(path);
      expect(stats.packets).toBe(expected);
    },
  );

  const edge = (name: string) => join(CORPUS_EDGE, name);

  it('reads big-endian, nanosecond and pcapng files by their magic, whatever the extension', async () => {
    const be = await readFlows(edge('be_sv_nfs3-01.pcap'));
    expect([be.stats.packets, be.stats.decoded]).toEqual([128, 128]);
    const misnamedNg = Capture.openFile(edge('ng_ndpi_malware.pcap'));
    expect(misnamedNg.info().format).toBe('pcapng');
    misnamedNg.close();
    const misnamedPcap = Capture.openFile(edge('misnamed_stopddos_amp.UDP.snmp.src161.pcapng'));
    expect(misnamedPcap.info().format).toBe('pcap');
    misnamedPcap.close();
    const nano = Capture.openFile(edge('nsec_tcpdump_tcp-handshake-nano.pcap'));
    expect(nano.info().format).toBe('pcap-ns');
    nano.close();
  });

  it.skipIf(!haveTool('tshark'))('keeps nanosecond timestamps to the microsecond', async () => {
    const path = edge('nsec_zeek_get-to-ssh-server.pcap');
    const first = execFileSync('tshark', ['-n', '-r', path, '-c', '1', '-T', 'fields', '-e', 'frame.time_epoch'], {
      encoding: 'utf8',
    }).trim();
    const { flows } = await readFlows(path);
    const [sec, frac] = first.split('.');
    expect(flows[0]!.start_time).toBe(Number(sec) * 1e6 + Math.floor(Number(frac!.padEnd(9, '0')) / 1000));
  });

  it('reads a pcapng whose interfaces have different link types', async () => {
    const path = edge('ng_zeek_ldap_gap-data-missing.pcapng');
    const capture = Capture.openFile(path);
    let decoded = 0;
    for await (const batch of capture) decoded += batch.numRows;
    expect(new Set(capture.info().linktypes)).toEqual(new Set([1, 113, 274]));
    expect(decoded).toBeGreaterThan(0);
    expect(capture.stats().decoded).toBe(capture.stats().packets);
  });

  it('puts VLAN IDs in the flow key: the same 5-tuple on two VLANs is two flows', async () => {
    const { flows } = await readFlows(edge('vlan_zeek_vlan-collisions.pcap'));
    const tuples = flows.map((f) => `${f.src_ip}:${f.src_port}>${f.dst_ip}:${f.dst_port}/${f.proto}`);
    const vlans = new Set(flows.map((f) => f.vlan));
    expect(vlans.size).toBeGreaterThan(1);
    expect(new Set(tuples).size).toBeLessThan(flows.length);
  });

  it('decodes stacked VLAN tags (QinQ and deeper)', async () => {
    const { flows, stats } = await readFlows(edge('vlan_zeek_vlan-qinqinq.pcap'));
    expect(stats.skipped).toBe(0);
    expect(flows.every((f) => (f.vlan as number) > 0 && (f.inner_vlan as number) > 0)).toBe(true);
  });

  it('attributes IPv4 fragments to the flow their first fragment opened', async () => {
    const { flows, stats } = await readFlows(edge('frag4_zeek_fragmented-1.pcap'));
    expect(stats.skipped).toBe(0);
    expect(flows).toHaveLength(1);
    expect((flows[0]!.pkts_fwd as number) + (flows[0]!.pkts_rev as number)).toBe(3);
    expect(flows[0]!.src_port).not.toBe(0);
  });
});

describe('compressed captures, inflated ahead on a thread of their own', () => {
  // About 20 MB once inflated: many of the read-ahead's 1 MB blocks, with 64 KB records across them.
  const frames = Array.from({ length: 3000 }, (_, i) =>
    udpFrame({
      src: `10.0.${i >> 8}.${i & 255}`,
      dst: '192.0.2.1',
      srcPort: 40000,
      dstPort: 9,
      payload: new Uint8Array(i % 10 === 0 ? 65000 : 100 + (i % 300)).fill(i & 255),
    }),
  );
  const plain = writeCapture(frames);
  const whole = gzipSync(readFileSync(plain));
  const dir = mkdtempSync(join(tmpdir(), 'mommy-gz-ahead-'));
  const gz = join(dir, 'ahead.pcap.gz');
  writeFileSync(gz, whole);

  it('gives the flows of the uncompressed file, byte for byte', async () => {
    const packed = await readFlows(gz);
    expect(packed.error).toBeUndefined();
    expect(packed.stats.packets).toBe(3000);
    expect(packed.flows).toEqual((await readFlows(plain)).flows);
  });

  it('reports a cut stream once every byte before the cut is read, with its offset', async () => {
    const cut = join(dir, 'cut.pcap.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const { flows, stats, error } = await readFlows(cut);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).partial).toBe(true);
    expect((error as CaptureError).offset).toBeGreaterThan(8 << 20); // beyond the blocks read ahead
    expect(stats.packets).toBeGreaterThan(1000);
    expect(stats.packets).toBeLessThan(3000);
    expect(flows.length).toBeGreaterThan(0);
  });

  it('stops at once when closed after its first batch, its thread waiting for room', async () => {
    for (let i = 0; i < 20; i++) {
      const capture = Capture.openFile(gz, { batchRows: 16 });
      for await (const batch of capture) {
        expect(batch.numRows).toBeGreaterThan(0);
        break;
      }
      capture.close();
    }
  });
});

describe.skipIf(!haveCorpus)('compressed captures', () => {
  const source = corpusCapture('ndpi_synscan.pcap');
  const dir = mkdtempSync(join(tmpdir(), 'mommy-gz-'));

  it.skipIf(!source)('reads .gz directly with the same flows', async () => {
    const gz = join(dir, 'synscan.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(source!)));
    const plain = await readFlows(source!);
    const packed = await readFlows(gz);
    expect(packed.error).toBeUndefined();
    expect(packed.flows).toEqual(plain.flows);
    const c = Capture.openFile(gz);
    expect(c.info().compressed).toBe(true);
    c.close();
  });

  it.skipIf(!source)('reports a cut .gz, keeping the flows before the cut', async () => {
    const whole = gzipSync(readFileSync(source!));
    const cut = join(dir, 'cut.pcap.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const { flows, stats, error } = await readFlows(cut);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).partial).toBe(true);
    expect(stats.packets).toBeGreaterThan(100);
    expect(flows.length).toBeGreaterThan(0);
  });
});
