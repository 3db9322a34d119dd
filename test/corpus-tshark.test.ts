/**
 * Flows against tshark on the real captures: per conversation (5-tuple,
 * both directions together) the packet and IP-byte totals must agree with
 * what tshark decodes, and the whole-file totals must add up; each
 * side's packets, bytes, payload bytes, TCP flags and payload prefix (the
 * first payload bytes in packet order), the TTL range, the TCP flag
 * counters, the times of the first and last packet, and the packet-size and
 * inter-arrival statistics must be what tshark decodes; so must ICMP's
 * packets and bytes between each pair of hosts.
 */
import { isDeepStrictEqual } from 'node:util';

import type { FlowRecord } from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { CORPUS_EDGE, CORPUS_PCAPS, corpusFiles, haveCorpus } from './support/corpus.js';
import { haveTool, readFlows, tsharkFields } from './support/flows.js';

const canCompare = haveCorpus && haveTool('tshark');
if (!canCompare) console.warn('[corpus-tshark] corpus or tshark missing: comparison skipped');

type Totals = Map<string, { pkts: number; bytes: number }>;

function conversationKey(a: string, ap: string, b: string, bp: string, proto: string): string {
  const one = `${a}/${ap}`;
  const two = `${b}/${bp}`;
  return `${proto} ${one < two ? `${one} ${two}` : `${two} ${one}`}`;
}

function add(map: Totals, key: string, pkts: number, bytes: number) {
  const t = map.get(key) ?? { pkts: 0, bytes: 0 };
  t.pkts += pkts;
  t.bytes += bytes;
  map.set(key, t);
}

/** IP bytes of a packet from tshark's fields: IPv4's total length, or IPv6's payload length and header. */
const ipBytes = (len4: string | undefined, plen6: string | undefined) => (len4 ? Number(len4) : Number(plen6) + 40);

const packetsOf = (f: FlowRecord) => (f.pkts_fwd as number) + (f.pkts_rev as number);
const bytesOf = (f: FlowRecord) => (f.bytes_fwd as number) + (f.bytes_rev as number);

/** Our TCP and UDP records by conversation. */
function recordsByConversation(flows: FlowRecord[]): Map<string, FlowRecord[]> {
  const records = new Map<string, FlowRecord[]>();
  for (const f of flows) {
    if (f.proto !== 6 && f.proto !== 17) continue;
    const key = conversationKey(f.src_ip as string, String(f.src_port), f.dst_ip as string, String(f.dst_port), String(f.proto));
    records.set(key, [...(records.get(key) ?? []), f]);
  }
  return records;
}

const PAYLOAD_BYTES = 128;

/** What one side of a conversation sent, as tshark decodes it. */
interface Side {
  /** Each packet's IP size, in packet order. */
  sizes: number[];
  payloadBytes: number;
  /** Union of the TCP flags (low eight bits). */
  flags: number;
  /** Payload bytes in packet order, up to PAYLOAD_BYTES. */
  prefix: Buffer;
}

interface Conversation {
  /** By sender ("address/port"). */
  sides: Map<string, Side>;
  ttlMin: number;
  ttlMax: number;
  /** Packets with each TCP flag, by the flow record's counter names. */
  flagCounts: Record<string, number>;
  /** Every packet's time (nanoseconds since the epoch), in capture order: one a packet. */
  times: bigint[];
  /** A packet of it was cut short by the snap length, fragmented or tunnelled: not comparable field by field. */
  unclear: boolean;
}

const emptySide = (): Side => ({ sizes: [], payloadBytes: 0, flags: 0, prefix: Buffer.alloc(0) });
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The figures of a side both tshark's and our records give. */
interface SideFigures {
  packets: number;
  bytes: number;
  payloadBytes: number;
  flags: number;
  prefix: Buffer;
}

const figuresOf = (s: Side): SideFigures => ({ packets: s.sizes.length, bytes: sum(s.sizes), payloadBytes: s.payloadBytes, flags: s.flags, prefix: s.prefix });

const FLAG_COUNTS = ['syn_count', 'synack_count', 'fin_count', 'rst_count', 'psh_count', 'ack_count', 'urg_count', 'ece_count', 'cwr_count'];

/** One TCP packet's contribution to each flag counter (a SYN without ACK is a SYN, with it a SYN-ACK). */
function flagCounts(flags: number): Record<string, number> {
  const syn = (flags & 0x02) !== 0;
  const ack = (flags & 0x10) !== 0;
  const bits = [syn && !ack, syn && ack, flags & 0x01, flags & 0x04, flags & 0x08, ack, flags & 0x20, flags & 0x40, flags & 0x80];
  return Object.fromEntries(FLAG_COUNTS.map((name, i) => [name, bits[i] ? 1 : 0]));
}

/** TCP and UDP conversations, each side's packets, bytes, flags and payload as tshark decodes them. */
function tsharkConversations(path: string): Map<string, Conversation> {
  const rows = tsharkFields(
    path,
    [
      'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
      'tcp.payload', 'udp.payload', 'frame.cap_len', 'frame.len', 'ip.flags.mf', 'ip.frag_offset',
      'ip.len', 'ipv6.plen', 'ip.ttl', 'ipv6.hlim', 'tcp.flags', 'frame.time_epoch',
    ],
    '(tcp or udp) and not icmp and not icmpv6',
  );
  const conversations = new Map<string, Conversation>();
  for (const [s4, d4, s6, d6, ts, td, us, ud, tcpPayload, udpPayload, capLen, len, mf, fragOffset, len4, plen6, ttl4, hlim6, flags, epoch] of rows) {
    if ([s4, d4, s6, d6, ts, td, us, ud].join('').includes('|') || (s4 && s6)) continue; // tunnelled: not one flow
    const tcp = Boolean(ts);
    const src = `${s4 || s6}/${tcp ? ts : us}`;
    const dst = `${d4 || d6}/${tcp ? td : ud}`;
    const key = conversationKey(s4 || s6!, tcp ? ts! : us!, d4 || d6!, tcp ? td! : ud!, tcp ? '6' : '17');
    let c = conversations.get(key);
    if (!c) conversations.set(key, (c = { sides: new Map([[src, emptySide()], [dst, emptySide()]]), ttlMin: 255, ttlMax: 0, flagCounts: flagCounts(0), times: [], unclear: false }));
    if (capLen !== len || mf === '1' || mf === 'True' || (fragOffset && fragOffset !== '0') || src === dst) c.unclear = true;
    const [seconds, fraction = ''] = epoch!.split('.');
    // Nanoseconds, exactly: nanosecond captures keep theirs, and a double of microseconds since 1970 cannot.
    c.times.push(BigInt(seconds!) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9)));
    const ttl = Number(ttl4 || hlim6);
    c.ttlMin = Math.min(c.ttlMin, ttl);
    c.ttlMax = Math.max(c.ttlMax, ttl);
    const side = c.sides.get(src)!;
    const payload = Buffer.from((tcp ? tcpPayload : udpPayload)!.replaceAll(':', ''), 'hex');
    side.sizes.push(ipBytes(len4, plen6));
    side.payloadBytes += payload.length;
    side.flags |= tcp ? Number(flags) & 0xff : 0;
    if (tcp) for (const [name, n] of Object.entries(flagCounts(Number(flags)))) c.flagCounts[name]! += n;
    if (side.prefix.length < PAYLOAD_BYTES && payload.length) side.prefix = Buffer.concat([side.prefix, payload]).subarray(0, PAYLOAD_BYTES);
  }
  return conversations;
}

/** Min, max, mean and population standard deviation; nulls without values, as the record has them. */
function summary(values: number[]): (number | null)[] {
  if (values.length === 0) return [null, null, null, null];
  const mean = sum(values) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return [Math.min(...values), Math.max(...values), mean, Math.sqrt(variance)];
}

/** Gaps between packets in capture order, microseconds; one earlier than the latest so far counts 0, as in the flow table. */
function gaps(times: bigint[]): number[] {
  const out: number[] = [];
  for (let i = 1, latest = times[0]!; i < times.length; i++) {
    out.push(times[i]! > latest ? Number(times[i]! - latest) / 1000 : 0);
    if (times[i]! > latest) latest = times[i]!;
  }
  return out;
}

/** The first and last of the times, as the record's microseconds. */
function span(times: bigint[]): number[] {
  const sorted = [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [sorted[0]!, sorted[sorted.length - 1]!].map((ns) => Number(ns / 1000n));
}

/** Summaries equal to a millionth of their scale (our gaps are single precision; sums of squares round). */
function nearlyEqual(a: (number | null)[], b: (number | null)[]): boolean {
  const scale = Math.max(1, ...[...a, ...b].map((v) => Math.abs(v ?? 0)));
  return a.every((v, i) => (v === null || b[i] === null ? v === b[i] : Math.abs(v - b[i]!) <= 1e-6 * scale));
}

/** One side of one of our flow records, in the shape of tshark's. */
function ourSide(f: FlowRecord, dir: 'fwd' | 'rev'): SideFigures {
  return {
    packets: f[`pkts_${dir}`] as number,
    bytes: f[`bytes_${dir}`] as number,
    payloadBytes: f[`payload_bytes_${dir}`] as number,
    flags: f[`tcp_flags_${dir}`] as number,
    prefix: Buffer.from(f[`payload_${dir}`] as Uint8Array),
  };
}

/**
 * Each conversation tshark sees whole that is one record of ours, compared
 * field by field: how many were compared, how many tshark saw whole, and
 * the ones that differ.
 */
async function compareConversations(path: string): Promise<{ compared: number; clear: number; wrong: unknown[] }> {
  const { flows } = await readFlows(path, { payloadBytes: PAYLOAD_BYTES });
  const records = recordsByConversation(flows);
  let compared = 0;
  let clear = 0;
  const wrong: unknown[] = [];
  for (const [key, c] of tsharkConversations(path)) {
    if (!c.unclear) clear++;
    const mine = records.get(key);
    // One record holding every packet tshark shows: the same packets, so the same figures.
    if (c.unclear || mine?.length !== 1 || packetsOf(mine[0]!) !== c.times.length) continue;
    const f = mine[0]!;
    compared++;
    const fwd = c.sides.get(`${f.src_ip}/${f.src_port}`)!;
    const rev = c.sides.get(`${f.dst_ip}/${f.dst_port}`)!;
    const theirs = { fwd: figuresOf(fwd), rev: figuresOf(rev), ttl: [c.ttlMin, c.ttlMax], flagCounts: c.flagCounts, times: span(c.times) };
    const ours = { fwd: ourSide(f, 'fwd'), rev: ourSide(f, 'rev'), ttl: [f.ttl_min, f.ttl_max], flagCounts: Object.fromEntries(FLAG_COUNTS.map((n) => [n, f[n]])), times: [f.start_time, f.end_time] };
    if (!isDeepStrictEqual(ours, theirs)) wrong.push({ key, ours, theirs });
    const statistics = (dir: 'fwd' | 'rev') => ['min', 'max', 'mean', 'std'].map((s) => f[`pkt_size_${s}_${dir}`] as number | null);
    const ourStats = [statistics('fwd'), statistics('rev'), ['min', 'max', 'mean', 'std'].map((s) => f[`iat_${s}_us`] as number | null)];
    const theirStats = [summary(fwd.sizes), summary(rev.sizes), summary(gaps(c.times))];
    if (!ourStats.every((o, i) => nearlyEqual(o, theirStats[i]!))) wrong.push({ key, ourStats, theirStats });
  }
  return { compared, clear, wrong };
}

describe.skipIf(!canCompare)('flows agree with tshark', () => {
  it.each(corpusFiles(CORPUS_PCAPS).map((f) => [f.split('/').pop()!, f]))('%s', async (_name, path) => {
    const { flows, stats, error } = await readFlows(path);
    expect(error).toBeUndefined();

    const ours: Totals = new Map();
    for (const [key, records] of recordsByConversation(flows)) for (const f of records) add(ours, key, packetsOf(f), bytesOf(f));
    // TCP and UDP packets over exactly one IP header, the way tshark sees them.
    const theirs: Totals = new Map();
    for (const [key, c] of tsharkConversations(path)) add(theirs, key, c.times.length, sum([...c.sides.values()].map((side) => sum(side.sizes))));

    // Packets the decoder refused as malformed may be ones tshark still
    // shows; each can disagree with tshark on at most one conversation.
    const mismatches = [...theirs].filter(([k, t]) => {
      const o = ours.get(k);
      return !o || o.pkts !== t.pkts || o.bytes !== t.bytes;
    });
    expect(mismatches.length, JSON.stringify(mismatches.slice(0, 5))).toBeLessThanOrEqual(stats.skipped);
    expect([...ours.keys()].filter((k) => !theirs.has(k))).toEqual([]);

    // Every decoded packet is in exactly one flow record.
    const inFlows = flows.reduce((n, f) => n + packetsOf(f), 0);
    expect(inFlows).toBe(stats.decoded);
    expect(stats.decoded + stats.skipped).toBe(stats.packets);
  });

  it.each(corpusFiles(CORPUS_PCAPS).map((f) => [f.split('/').pop()!, f]))('%s: each side of each conversation', async (_name, path) => {
    const { compared, clear, wrong } = await compareConversations(path);
    expect(wrong.slice(0, 3)).toEqual([]);
    // Nearly every conversation tshark sees whole is one record of ours (the rest: split by a timeout or port reuse).
    expect(compared).toBeGreaterThanOrEqual(0.95 * clear);
  });

  // The edge cases' link layers and encapsulations (SLL, SLL2, null, raw IP, PPP, pcapng with several
  // interfaces, nanoseconds...): where a conversation is one record of ours, every field agrees. Files
  // either side refuses are left to edge.test.ts; VLAN-split and tunnelled conversations are not compared.
  // (Not the captures whose timestamps are invalid on purpose: a fraction of a second past 10^9 ns or
  // 10^6 µs, which we carry into the seconds and tshark prints as it is.)
  const edgeFiles = corpusFiles(CORPUS_EDGE).filter((f) => !/timestamp_invalid/.test(f));
  it.each(edgeFiles.map((f) => [f.split('/').pop()!, f]))('edge %s: each side of each conversation', async (_name, path) => {
    let result;
    try {
      result = await compareConversations(path);
    } catch (err) {
      // A file the capture engine refuses (edge.test.ts checks how) or tshark cannot read.
      if ((err as Error).name === 'CaptureError' || String(err).includes('Command failed: tshark')) return;
      throw err;
    }
    expect(result.wrong.slice(0, 3)).toEqual([]);
  });

  it.each(corpusFiles(CORPUS_PCAPS).map((f) => [f.split('/').pop()!, f]))('%s: ICMP packets and bytes per pair of hosts', async (_name, path) => {
    const { flows } = await readFlows(path);
    const ours: Totals = new Map();
    for (const f of flows) {
      if (f.proto === 1 || f.proto === 58) add(ours, [f.src_ip, f.dst_ip].sort().join(' '), packetsOf(f), bytesOf(f));
    }
    // The outer header's addresses and length: an ICMP error also shows those of the packet it quotes.
    const theirs: Totals = new Map();
    for (const row of tsharkFields(path, ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.len', 'ipv6.plen'], 'icmp or icmpv6')) {
      const [s4, d4, s6, d6, len4, plen6] = row.map((v) => v.split('|')[0]!);
      add(theirs, [s4 || s6, d4 || d6].sort().join(' '), 1, ipBytes(len4, plen6));
    }
    expect(ours).toEqual(theirs);
  });
});
