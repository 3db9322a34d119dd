/**
 * `mommy-forensics extract` end to end: a synthetic capture whose every frame
 * is known (a 5-tuple reused at two times, one 5-tuple on two VLANs, ICMP, IP
 * fragments) is ingested; the frames of one flow come back byte for byte, in
 * order, and nothing else; tcpdump, tshark and our own reader open the
 * output; captures gone or changed since ingest are refused; on corpus
 * captures the packet count equals tshark's for the conversation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { type ExtractResult, extractFlows, type FlowSelector, Store } from '@mommynet/core';
import { arpFrame, icmpPing, PcapWriter, seededRandom, tcpSession, udpExchange } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { CLI, runCli } from './support/cli.js';
import { CORPUS_EDGE, CORPUS_PCAPS } from './support/corpus.js';
import { haveTool, readFlows, tsharkFields } from './support/flows.js';

const dir = mkdtempSync(join(tmpdir(), 'mommy-extract-'));
const enc = new TextEncoder();
const T0 = 1_700_000_000_000_000; // µs, 2023-11-14T22:13:20Z

/** An 802.1Q tag inserted after the MAC addresses. */
function tagVlan(frame: Uint8Array, vlan: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out.set([0x81, 0x00, vlan >> 8, vlan & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

interface Packet {
  ts: bigint; // ns
  data: Buffer;
  wirelen: number;
}

/** Classic little-endian pcap, micro- or nanosecond. */
function readPcap(path: string): { linktype: number; nanos: boolean; packets: Packet[] } {
  const b = readFileSync(path);
  const magic = b.readUInt32LE(0);
  expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(magic);
  const nanos = magic === 0xa1b23c4d;
  const packets: Packet[] = [];
  for (let off = 24; off < b.length; ) {
    const caplen = b.readUInt32LE(off + 8);
    const ts = BigInt(b.readUInt32LE(off)) * 1_000_000_000n + BigInt(b.readUInt32LE(off + 4)) * (nanos ? 1n : 1000n);
    packets.push({ ts, data: b.subarray(off + 16, off + 16 + caplen), wirelen: b.readUInt32LE(off + 12) });
    off += 16 + caplen;
  }
  return { linktype: b.readUInt32LE(20), nanos, packets };
}

/** A pcapng with one interface per link type (microsecond timestamps). */
function pcapng(packets: { linktype: number; tsMicros: number; frame: Uint8Array }[]): Buffer {
  const block = (type: number, body: Buffer) => {
    const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    body.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const linktypes = [...new Set(packets.map((p) => p.linktype))];
  const parts = [block(0x0a0d0d0a, shb)];
  for (const lt of linktypes) {
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(lt, 0);
    idb.writeUInt32LE(262144, 4);
    parts.push(block(1, idb));
  }
  for (const p of packets) {
    const epb = Buffer.alloc(20 + p.frame.length);
    epb.writeUInt32LE(linktypes.indexOf(p.linktype), 0);
    epb.writeUInt32LE(Math.floor(p.tsMicros / 2 ** 32), 4);
    epb.writeUInt32LE(p.tsMicros % 2 ** 32, 8);
    epb.writeUInt32LE(p.frame.length, 12);
    epb.writeUInt32LE(p.frame.length, 16);
    Buffer.from(p.frame).copy(epb, 20);
    parts.push(block(6, epb));
  }
  return Buffer.concat(parts);
}

// ---- the synthetic capture -------------------------------------------------------

const web = { client: '10.9.0.2', server: '10.9.0.1', clientPort: 40000, serverPort: 80 };
const conversations = {
  web1: tcpSession({ ...web, exchanges: [{ fromClient: true, payload: enc.encode('GET / HTTP/1.1\r\n\r\n') }] }),
  dns: udpExchange({ client: '10.9.0.2', server: '10.9.0.53', clientPort: 5353, serverPort: 53, requests: [enc.encode('q1'), enc.encode('q2')], responses: [enc.encode('a1'), enc.encode('a2')] }),
  ping: icmpPing({ client: '10.9.0.2', server: '10.9.0.1', identifier: 7, count: 2 }),
  frag: udpExchange({ client: '10.9.0.2', server: '10.9.0.1', clientPort: 6000, serverPort: 9999, requests: [new Uint8Array(3000).fill(0x41)], responses: [enc.encode('ok')], mtu: 1500, firstId: 100 }),
  vlan10: tcpSession({ client: '10.9.0.3', server: '10.9.0.1', clientPort: 41000, serverPort: 443, exchanges: [{ fromClient: true, payload: enc.encode('ten') }] }).map((f) => tagVlan(f, 10)),
  vlan20: tcpSession({ client: '10.9.0.3', server: '10.9.0.1', clientPort: 41000, serverPort: 443, exchanges: [{ fromClient: false, payload: enc.encode('twenty!') }] }).map((f) => tagVlan(f, 20)),
  arp: [arpFrame({ op: 'request', sender: '10.9.0.2', target: '10.9.0.1' }), arpFrame({ op: 'reply', sender: '10.9.0.1', target: '10.9.0.2' })],
};
// Everything interleaved at random (each conversation in its own order), then
// the web connection again on the same 5-tuple ten minutes later.
const stamped: { name: string; tsMicros: number; frame: Uint8Array }[] = [];
const random = seededRandom(42);
const queues = Object.entries(conversations).map(([name, frames]) => ({ name, frames: [...frames] }));
for (let t = T0; queues.some((q) => q.frames.length); t += 1000) {
  const live = queues.filter((q) => q.frames.length);
  const q = live[Math.floor(random() * live.length)]!;
  stamped.push({ name: q.name, tsMicros: t, frame: q.frames.shift()! });
}
const later = T0 + 600_000_000;
tcpSession({ ...web, clientIsn: 90000, exchanges: [{ fromClient: false, payload: enc.encode('again') }] }).forEach((frame, i) =>
  stamped.push({ name: 'web2', tsMicros: later + i * 1000, frame }),
);

// A capture out of time order: the reply is stamped before the request (as
// merged or multi-queue captures are). The record starts at the request.
udpExchange({ client: '10.9.0.2', server: '10.9.0.1', clientPort: 7000, serverPort: 7, requests: [enc.encode('ping')], responses: [enc.encode('pong')] }).forEach(
  (frame, i) => stamped.push({ name: 'reordered', tsMicros: later + 100_000 - i * 500, frame }),
);

const writer = new PcapWriter();
for (const s of stamped) writer.add(s.tsMicros, s.frame);
const capture = join(dir, 'synthetic.pcap');
writer.writeFile(capture);
const db = join(dir, 'store.duckdb');

function expected(...which: string[]): { ts: bigint; data: Buffer }[] {
  return stamped.filter((s) => which.includes(s.name)).map((s) => ({ ts: BigInt(s.tsMicros) * 1000n, data: Buffer.from(s.frame) }));
}

async function query<T>(path: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Through the CLI, as a user runs it. */
function extract(args: string[], out = join(dir, `out-${++outputs}.pcap`)) {
  const r = runCli(['extract', ...args, '--db', db, '-o', out]);
  return { ...r, out };
}
let outputs = 0;

/** Through the core API in this process (no process start per call). */
async function extractHere(selector: FlowSelector, store = db): Promise<{ result: ExtractResult; packets: Packet[] }> {
  const s = await Store.open(store, { readOnly: true });
  const out = join(dir, `here-${++outputs}.pcap`);
  try {
    const result = await extractFlows(s, selector, out);
    return { result, packets: readPcap(out).packets };
  } finally {
    s.close();
  }
}

const frames = (packets: Packet[]) => packets.map((p) => Buffer.from(p.data));

function ingest(paths: string[], store: string) {
  const r = runCli(['ingest', ...paths, '--db', store, '--sensor', 'test', '-q']);
  expect(r.status, r.stderr).toBe(0);
}

describe('mommy-forensics extract', () => {
  it('ingests the synthetic capture', async () => {
    ingest([capture], db);
    const flows = await query<{ n: bigint }>(db, 'SELECT count(*) AS n FROM flows');
    expect(Number(flows[0]!.n)).toBe(9); // web twice, dns, ping, frag, two VLANs, reordered, arp
  });

  it('writes exactly one flow, byte for byte and in order, chosen by Community ID', async () => {
    const [dns] = await query<{ community_id: string }>(db, 'SELECT community_id FROM flows WHERE dst_port = 53');
    const r = extract([dns!.community_id]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^mommy-forensics: 4 packets of 1 flow \(1 capture\) written to .*\.pcap as pcap$/m);
    const pcap = readPcap(r.out);
    expect(pcap).toMatchObject({ linktype: 1, nanos: false });
    expect(pcap.packets.map((p) => ({ ts: p.ts, data: Buffer.from(p.data) }))).toEqual(expected('dns'));
  });

  it('gives both records of a reused 5-tuple by Community ID, and one of them with a time condition', async () => {
    const [web1] = await query<{ community_id: string }>(db, 'SELECT community_id FROM flows WHERE dst_port = 80 ORDER BY start_time LIMIT 1');
    const id = web1!.community_id;
    const both = await extractHere({ communityIds: [id] });
    expect(both.result).toMatchObject({ flows: 2, packets: expected('web1', 'web2').length, format: 'pcap', linktypes: [1] });
    expect(both.packets.map((p) => p.ts)).toEqual(expected('web1', 'web2').map((p) => p.ts));
    const first = await extractHere({ where: `community_id = '${id}' AND start_time < '2023-11-14 22:20:00'` });
    expect(frames(first.packets)).toEqual(expected('web1').map((p) => p.data));
    const second = await extractHere({ communityIds: [id], where: "start_time >= '2023-11-14 22:20:00'" });
    expect(frames(second.packets)).toEqual(expected('web2').map((p) => p.data));
  });

  it('keeps VLANs apart: the same 5-tuple on VLAN 10 and VLAN 20 are two flows', async () => {
    const { packets } = await extractHere({ where: 'vlan = 10' });
    expect(frames(packets)).toEqual(expected('vlan10').map((p) => p.data));
    expect(packets.length).toBeLessThan(expected('vlan10', 'vlan20').length);
  });

  it('matches ICMP echo flows by type/code, and attributes IP fragments', async () => {
    const ping = await extractHere({ where: 'proto = 1' });
    expect(frames(ping.packets)).toEqual(expected('ping').map((p) => p.data));
    const frag = await extractHere({ where: 'dst_port = 9999' });
    expect(frames(frag.packets)).toEqual(expected('frag').map((p) => p.data));
    expect(frag.packets.length).toBe(4); // three fragments and the response
  });

  it('writes an ARP exchange, whose record has no protocol, and no other flow of its two hosts', async () => {
    const { packets } = await extractHere({ where: 'proto IS NULL' });
    expect(frames(packets)).toEqual(expected('arp').map((p) => p.data));
  });

  it('keeps a frame stamped before its record started, as the flow table counted it', async () => {
    const { packets } = await extractHere({ where: 'dst_port = 7' });
    expect(frames(packets)).toEqual(expected('reordered').map((p) => p.data));
  });

  it('writes a pcap that tcpdump and our own reader open, holding the same flow', async () => {
    const [rec] = await query<Record<string, unknown>>(
      db,
      'SELECT community_id, pkts_fwd, pkts_rev, bytes_fwd, bytes_rev, epoch_us(start_time) AS s, epoch_us(end_time) AS e FROM flows WHERE vlan = 20',
    );
    const r = extract([rec!.community_id as string, '--where', 'vlan = 20']);
    expect(r.status, r.stderr).toBe(0);
    if (haveTool('tcpdump')) {
      const lines = execFileSync('tcpdump', ['-enr', r.out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
      expect(lines).toHaveLength(expected('vlan20').length);
      for (const l of lines) expect(l).toMatch(/vlan 20.*10\.9\.0\.(3\.41000|1\.443) > 10\.9\.0\.(1\.443|3\.41000)/);
    } else console.warn('[extract] tcpdump not installed: its check is skipped');
    const { flows } = await readFlows(r.out);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      community_id: rec!.community_id,
      vlan: 20,
      pkts_fwd: Number(rec!.pkts_fwd),
      pkts_rev: Number(rec!.pkts_rev),
      bytes_fwd: Number(rec!.bytes_fwd),
      bytes_rev: Number(rec!.bytes_rev),
      start_time: Number(rec!.s),
      end_time: Number(rec!.e),
    });
  });

  it('writes the pcap to stdout with -o -', () => {
    const r = spawnSync(process.execPath, [CLI, 'extract', '--where', 'dst_port = 53', '--db', db, '-o', '-']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const file = join(dir, 'stdout.pcap');
    writeFileSync(file, r.stdout);
    expect(frames(readPcap(file).packets)).toEqual(expected('dns').map((p) => p.data));
  });

  it('answers selections that name nothing, or are not SQL, with exit 1 and one line', async () => {
    const none = extract(['--where', 'dst_port = 1']);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe('mommy-forensics: no flow in the store matches\n');
    expect(existsSync(none.out)).toBe(false);
    const bad = extract(['--where', 'dst_port = ']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^mommy-forensics: bad flow condition: .*syntax error[^\n]*\n$/);
    expect(extract([]).stderr).toMatch(/give Community IDs, --where, or both/);
    await expect(extractHere({ where: '1 = 1; DROP TABLE flows' })).rejects.toMatchObject({ code: 'bad_selector' });
    await expect(extractHere({ communityIds: ['not-an-id'] })).rejects.toThrow(/'not-an-id' is not a Community ID/);
  });

  it('refuses a capture that is gone or changed since ingest, naming it, with exit 2', () => {
    const copy = join(dir, 'copy.pcap');
    const store = join(dir, 'copy.duckdb');
    copyFileSync(capture, copy);
    ingest([copy], store);
    const refused = join(dir, 'refused.pcap');
    const run = (...more: string[]) => runCli(['extract', '--where', 'dst_port = 53', '--db', store, '-o', refused, ...more]);

    const bytes = readFileSync(copy);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1]! ^= 0xff; // same size, other content
    writeFileSync(copy, flipped);
    let r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mommy-forensics: capture 1 \(.*copy\.pcap\) has changed since it was ingested \(SHA-256 differs\)/);
    expect(existsSync(refused)).toBe(false);
    expect(run('--verify', 'size').status).toBe(0); // the size alone cannot tell

    writeFileSync(copy, Buffer.concat([bytes, Buffer.alloc(10)]));
    r = run('--verify', 'size');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/capture 1 \(.*copy\.pcap\) has changed since it was ingested \(\d+ bytes, was \d+\)/);

    rmSync(copy);
    r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mommy-forensics: capture 1 \(.*copy\.pcap\) is gone: no such file\n$/);
  });

  it('writes pcapng, one interface per link type, when the frames have several', async () => {
    // One connection seen on two interfaces: Ethernet, and raw IP (link type 101).
    const session = tcpSession({ client: '10.8.0.2', server: '10.8.0.1', clientPort: 40000, serverPort: 80 });
    const other = udpExchange({ client: '10.8.0.2', server: '10.8.0.53', clientPort: 5000, serverPort: 53, requests: [enc.encode('q')] });
    const packets = [
      ...session.map((frame, i) => (i % 2 ? { linktype: 101, frame: frame.subarray(14) } : { linktype: 1, frame })),
      ...other.map((frame) => ({ linktype: 1, frame })),
    ].map((p, i) => ({ ...p, tsMicros: T0 + i * 1000 }));
    const mixed = join(dir, 'mixed.pcapng');
    writeFileSync(mixed, pcapng(packets));
    const store = join(dir, 'mixed.duckdb');
    ingest([mixed], store);
    const s = await Store.open(store, { readOnly: true });
    const out = join(dir, 'mixed-out.pcapng');
    const r = await extractFlows(s, { where: 'dst_port = 80' }, out).finally(() => s.close());
    expect(r).toMatchObject({ format: 'pcapng', linktypes: [1, 101], packets: session.length });
    if (haveTool('tshark')) {
      const theirs = tsharkFields(out, ['frame.time_epoch', 'frame.len', 'frame.interface_id']);
      const original = tsharkFields(mixed, ['frame.time_epoch', 'frame.len', 'frame.interface_id'], 'tcp');
      expect(theirs).toEqual(original);
    }
    const { flows } = await readFlows(out);
    expect(flows.map((f) => [f.dst_port, Number(f.pkts_fwd) + Number(f.pkts_rev)])).toEqual([[80, session.length]]);
  });

  it('writes the frames before the damage of a damaged capture, exit 3; an unwritable output is exit 5', () => {
    const cut = join(dir, 'cut.pcap');
    const whole = readFileSync(capture);
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const store = join(dir, 'cut.duckdb');
    expect(runCli(['ingest', cut, '--db', store, '-q']).status).toBe(3);
    const out = join(dir, 'cut-out.pcap');
    let r = runCli(['extract', '--where', 'true', '--db', store, '-o', out]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^mommy-forensics: .*cut\.pcap: file ends inside a record .*\(at byte \d+\); packets before it were written$/m);
    expect(readPcap(out).packets.length).toBe(stamped.length - 1);
    r = runCli(['extract', '--where', 'true', '--db', store, '-o', join(dir, 'no', 'such', 'dir.pcap')]);
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/^mommy-forensics: cannot write .*dir\.pcap: No such file or directory\n$/);
  });

  it('names a missing database with exit 6', () => {
    const r = runCli(['extract', '--where', 'true', '--db', join(dir, 'none.duckdb'), '-o', join(dir, 'x.pcap')]);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/none\.duckdb: no such database/);
  });
});

// ---- real captures ---------------------------------------------------------------

const corpus = ['ndpi_xss.pcap', 'slips_malicious-ssh-bruteforce.pcap'].map((f) => join(CORPUS_PCAPS, f)).filter(existsSync);
const corpusReady = corpus.length > 0 && haveTool('tshark');
if (!corpusReady) console.warn('[extract] corpus captures or tshark missing: tshark comparisons skipped');

describe.skipIf(!corpusReady)('extract on corpus captures, against tshark', () => {
  it('writes as many packets as tshark counts in the TCP conversation', async () => {
    const store = join(dir, 'corpus.duckdb');
    ingest(corpus, store);
    // Per capture, its three largest TCP conversations (every record of the 5-tuple).
    const rows = await query<{ path: string; community_id: string; src_ip: string; dst_ip: string; src_port: number; dst_port: number }>(
      store,
      `SELECT c.path, f.community_id, any_value(f.src_ip) AS src_ip, any_value(f.dst_ip) AS dst_ip,
              any_value(f.src_port) AS src_port, any_value(f.dst_port) AS dst_port
       FROM flows f JOIN captures c USING (capture_id) WHERE f.proto = 6
       GROUP BY c.path, f.community_id QUALIFY row_number() OVER (PARTITION BY c.path ORDER BY sum(f.pkts_fwd + f.pkts_rev) DESC, f.community_id) <= 3`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(corpus.length);
    for (const row of rows) {
      const { packets } = await extractHere({ communityIds: [row.community_id] }, store);
      const filter = `ip.addr==${row.src_ip} && ip.addr==${row.dst_ip} && tcp.port==${row.src_port} && tcp.port==${row.dst_port}`;
      const theirs = tsharkFields(row.path, ['frame.time_epoch'], filter);
      expect(packets.length, `${row.path}: ${filter}`).toBe(theirs.length);
    }
  });

  const nano = join(CORPUS_EDGE, 'nsec_tcpdump_tcp-handshake-nano.pcap');
  it.skipIf(!existsSync(nano) || !haveTool('tcpdump'))('keeps nanosecond timestamps of a nanosecond capture', async () => {
    const store = join(dir, 'nano.duckdb');
    ingest([nano], store);
    const [row] = await query<{ community_id: string }>(store, 'SELECT community_id FROM flows ORDER BY pkts_fwd + pkts_rev DESC LIMIT 1');
    const s = await Store.open(store, { readOnly: true });
    const out = join(dir, 'nano-out.pcap');
    await extractFlows(s, { communityIds: [row!.community_id] }, out).finally(() => s.close());
    expect(readPcap(out).nanos).toBe(true);
    const dump = (f: string) => execFileSync('tcpdump', ['-nr', f, '--nano', '-tt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const ours = dump(out).trim().split('\n');
    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours) expect(dump(nano)).toContain(line);
  });
});
