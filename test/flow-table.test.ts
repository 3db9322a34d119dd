/**
 * The flow table's behaviour on synthetic captures whose every packet is
 * known: directions, counters, TCP states, end reasons, timeouts, interim
 * records, eviction and the bound on flows.
 */
import { Capture, flowRecords } from '@mommynet/core';
import { describe, expect, it } from 'vitest';

import { readFlows } from './support/flows.js';
import { native } from './support/native.js';
import { icmpPing, TCP, tcpFrame, tcpSession, udpExchange, udpFrame } from '@mommynet/core/synth';
import { writeCapture } from './support/synthetic.js';

const enc = new TextEncoder();
const client = { client: '10.1.0.2', server: '10.1.0.1', clientPort: 40001, serverPort: 80 };
const request = enc.encode('GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n');
const response = enc.encode('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');

describe('one TCP connection', () => {
  it('is one flow whose forward side is the client, with exact counters', async () => {
    const frames = tcpSession({ ...client, exchanges: [{ fromClient: true, payload: request }, { fromClient: false, payload: response }] });
    const { flows, stats } = await readFlows(writeCapture(frames));
    expect(stats).toMatchObject({ packets: frames.length, decoded: frames.length, skipped: 0, flows: 1 });
    const [f] = flows;
    // SYN, ACK, request, ACK(of response), FIN, ACK from the client: 6; SYN-ACK, ACK, response, FIN from the server: 4.
    expect(f).toMatchObject({
      src_ip: '10.1.0.2', src_port: 40001, dst_ip: '10.1.0.1', dst_port: 80, proto: 6, ip_version: 4,
      pkts_fwd: 6, pkts_rev: 4,
      bytes_fwd: 6 * 40 + request.length, bytes_rev: 4 * 40 + response.length,
      payload_bytes_fwd: request.length, payload_bytes_rev: response.length,
      syn_count: 1, synack_count: 1, fin_count: 2, rst_count: 0,
      conn_state: 'SF', end_reason: 'fin',
      pkt_size_min_fwd: 40, pkt_size_max_fwd: 40 + request.length,
      ttl_min: 64, ttl_max: 64,
      tcp_flags_fwd: TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN, tcp_flags_rev: TCP.SYN | TCP.ACK | TCP.PSH | TCP.FIN,
    });
    expect(f!.end_time as number - (f!.start_time as number)).toBe((frames.length - 1) * 1000);
    expect(f!.iat_min_us).toBe(1000);
    expect(f!.iat_mean_us).toBe(1000);
    expect(f!.iat_std_us).toBe(0);
    expect(Buffer.from(f!.payload_fwd as Uint8Array).toString()).toBe(Buffer.from(request).toString());
    expect(Buffer.from(f!.payload_rev as Uint8Array).toString()).toBe(Buffer.from(response).toString());
    expect(f!.community_id).toBe(native.communityId({ src: '10.1.0.2', dst: '10.1.0.1', proto: 6, srcPort: 40001, dstPort: 80 }));
  });

  it.each([
    ['refused', 'REJ', 'rst'],
    ['unanswered', 'S0', 'eof'],
    ['rst', 'RSTO', 'rst'],
    ['open', 'S1', 'eof'],
  ] as const)('ending %s gives conn_state %s and end_reason %s', async (ending, state, reason) => {
    const { flows } = await readFlows(writeCapture(tcpSession({ ...client, ending, exchanges: [{ fromClient: true, payload: request }] })));
    expect(flows.map((f) => [f.conn_state, f.end_reason])).toEqual([[state, reason]]);
  });

  it('starts a new flow when the port is reused after the close delay', async () => {
    const first = tcpSession(client).map((frame, i) => ({ tsMicros: 1e15 + i * 1000, frame }));
    const second = tcpSession(client).map((frame, i) => ({ tsMicros: 1e15 + 60e6 + i * 1000, frame }));
    const { flows } = await readFlows(writeCapture([...first, ...second]));
    expect(flows.map((f) => [f.conn_state, f.end_reason, f.pkts_fwd])).toEqual([
      ['SF', 'fin', 4],
      ['SF', 'fin', 4],
    ]);
  });

  it('keeps only the first payloadBytes of each direction', async () => {
    const frames = tcpSession({ ...client, exchanges: [{ fromClient: true, payload: request }, { fromClient: true, payload: request }] });
    const { flows } = await readFlows(writeCapture(frames), { payloadBytes: 4 });
    expect(Buffer.from(flows[0]!.payload_fwd as Uint8Array).toString()).toBe('GET ');
    expect((flows[0]!.payload_rev as Uint8Array).length).toBe(0);
    expect(flows[0]!.payload_bytes_fwd).toBe(2 * request.length);
  });
});

describe('reading ahead', () => {
  // The capture thread decodes frames ahead of the one it accounts, so a
  // frame's bytes must stay where they are while the reader refills its
  // buffer: runs of 64 KB frames (a 1 MB buffer holds 16) between small
  // ones make it refill at every kind of place.
  it('gives every flow its own payload prefix across refills of the reader buffer', async () => {
    const byte = (flow: number, k: number) => (flow * 7 + k) & 0xff;
    const length = (flow: number) => (flow % 1000 >= 980 ? 65_000 : 60 + (flow % 400));
    const frames: Uint8Array[] = [];
    const flows = 24_000;
    for (let i = 0; i < flows; i++) {
      const payload = Uint8Array.from({ length: length(i) }, (_, k) => byte(i, k));
      frames.push(udpFrame({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.1', srcPort: 40_000, dstPort: 9, payload }));
    }
    const { flows: records, error } = await readFlows(writeCapture(frames));
    expect(error).toBeUndefined();
    expect(records).toHaveLength(flows);
    const wrong = records.filter((r) => {
      const [, a, b, c] = (r.src_ip as string).split('.').map(Number);
      const i = (a! << 16) | (b! << 8) | c!;
      const prefix = r.payload_fwd as Uint8Array;
      return prefix.length !== Math.min(128, length(i)) || prefix.some((v, k) => v !== byte(i, k));
    });
    expect(wrong.map((r) => r.src_ip)).toEqual([]);
  });

  it('hands over thousands of records in the order their flows ended, each with both its prefixes', async () => {
    // Enough flows that records are built on a thread of their own, ending
    // both during the read (idle) and at its end, in batches that do not
    // line up with the chunks the records travel in.
    const flows = 5000;
    const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const fwdLength = (i: number) => (i % 3 === 0 ? 0 : (i * 13) % 200);
    const revLength = (i: number) => (i % 4 === 0 ? 0 : 1 + ((i * 7) % 150));
    const payload = (length: number, seed: number) => Uint8Array.from({ length }, (_, k) => (seed * 31 + k) & 0xff);
    const t0 = 1_700_000_000_000_000;
    const frames: { tsMicros: number; frame: Uint8Array }[] = [];
    for (let i = 0; i < flows; i++) {
      const at = t0 + i * 20_000; // a flow every 20 ms: 100 s in all
      frames.push({ tsMicros: at, frame: udpFrame({ src: ip(i), dst: '192.0.2.1', srcPort: 40_000, dstPort: 9, payload: payload(fwdLength(i), i) }) });
      if (revLength(i) > 0)
        // Answered at once, so flows go idle (and end) in the order they began.
        frames.push({ tsMicros: at, frame: udpFrame({ src: '192.0.2.1', dst: ip(i), srcPort: 9, dstPort: 40_000, payload: payload(revLength(i), i + 1) }) });
    }
    const capture = Capture.openFile(writeCapture(frames), { udpIdleTimeout: 30, batchRows: 1000 });
    const records = [];
    let batches = 0;
    for await (const batch of capture) {
      batches++;
      records.push(...flowRecords(batch));
    }
    expect(records.map((r) => r.src_ip)).toEqual(Array.from({ length: flows }, (_, i) => ip(i)));
    const wrong = records.filter((r, i) => {
      const fwd = r.payload_fwd as Uint8Array;
      const rev = r.payload_rev as Uint8Array;
      return (
        Buffer.compare(fwd, payload(Math.min(128, fwdLength(i)), i)) !== 0 ||
        Buffer.compare(rev, payload(Math.min(128, revLength(i)), i + 1)) !== 0 ||
        r.pkts_rev !== (revLength(i) > 0 ? 1 : 0)
      );
    });
    expect(wrong.map((r) => r.src_ip)).toEqual([]);
    const idle = records.filter((r) => r.end_reason === 'idle').length;
    expect(idle).toBeGreaterThan(3000); // all but the last 30 s of flows
    expect(records.slice(idle).every((r) => r.end_reason === 'eof')).toBe(true);
    expect(capture.stats()).toMatchObject({ flows, batches });
    expect(batches).toBe(flows / 1000);
  });
});

describe('UDP and ICMP', () => {
  it('pairs requests and responses', async () => {
    const answered = udpExchange({ client: '10.1.0.2', server: '10.1.0.53', clientPort: 5353, serverPort: 53, requests: [request, request], responses: [response, response] });
    const unanswered = udpExchange({ client: '10.1.0.3', server: '10.1.0.53', clientPort: 5354, serverPort: 53, requests: [request] });
    const { flows } = await readFlows(writeCapture([...answered, ...unanswered]));
    expect(flows.map((f) => [f.src_ip, f.pkts_fwd, f.pkts_rev, f.conn_state])).toEqual([
      ['10.1.0.2', 2, 2, 'SF'],
      ['10.1.0.3', 1, 0, 'S0'],
    ]);
    // A one-way flow has no reverse size statistics.
    expect(flows[1]).toMatchObject({ pkt_size_min_rev: null, pkt_size_mean_rev: null, pkt_size_std_rev: null });
  });

  it('puts an echo request and its reply in one flow, type and code as ports', async () => {
    const { flows } = await readFlows(writeCapture(icmpPing({ client: '10.1.0.2', server: '10.1.0.1', identifier: 7, count: 3, answered: 2 })));
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ proto: 1, src_port: 8, dst_port: 0, pkts_fwd: 3, pkts_rev: 2, conn_state: 'OTH' });
    expect(flows[0]!.community_id).toBe(native.communityId({ src: '10.1.0.2', dst: '10.1.0.1', proto: 1, srcPort: 8, dstPort: 0 }));
  });
});

describe('timeouts and bounds', () => {
  const dns = (t: number) => ({
    tsMicros: t,
    frame: udpFrame({ src: '10.1.0.2', dst: '10.1.0.53', srcPort: 5353, dstPort: 53, payload: request }),
  });

  it('ends a flow idle past its protocol timeout, and the next packet opens another', async () => {
    const t0 = 1e15;
    const path = writeCapture([dns(t0), dns(t0 + 1e6), dns(t0 + 40e6), dns(t0 + 41e6)]);
    expect((await readFlows(path)).flows.map((f) => [f.pkts_fwd, f.end_reason])).toEqual([[4, 'eof']]);
    expect((await readFlows(path, { udpIdleTimeout: 30 })).flows.map((f) => [f.pkts_fwd, f.end_reason])).toEqual([
      [2, 'idle'],
      [2, 'eof'],
    ]);
  });

  it('emits interim records for a flow longer than the active timeout, losing no packet', async () => {
    const t0 = 1e15;
    // One packet every 10 s for 100 s, never idle long enough to end.
    const path = writeCapture(Array.from({ length: 11 }, (_, i) => dns(t0 + i * 10e6)));
    const { flows } = await readFlows(path, { activeTimeout: 30 });
    expect(flows.length).toBeGreaterThan(2);
    expect(flows.slice(0, -1).every((f) => f.end_reason === 'active')).toBe(true);
    expect(flows.at(-1)!.end_reason).toBe('eof');
    expect(flows.reduce((n, f) => n + (f.pkts_fwd as number), 0)).toBe(11);
    // Records follow each other in time.
    for (let i = 1; i < flows.length; i++) expect(flows[i]!.start_time as number).toBeGreaterThan(flows[i - 1]!.end_time as number);
  });

  it('never holds more than maxFlows, evicting the oldest idle and counting it', async () => {
    // 100 spoofed SYNs, each from its own source (a SYN flood's shape).
    const frames = Array.from({ length: 100 }, (_, i) =>
      tcpFrame({ src: `172.16.${i >> 8}.${i & 255}`, dst: '10.1.0.1', srcPort: 1024 + i, dstPort: 80, flags: TCP.SYN }),
    );
    const { flows, stats } = await readFlows(writeCapture(frames), { maxFlows: 10 });
    expect(stats.evictions).toBe(90);
    expect(flows).toHaveLength(100);
    expect(flows.filter((f) => f.end_reason === 'evicted')).toHaveLength(90);
    // The oldest go first.
    expect(flows.slice(0, 90).map((f) => f.src_port)).toEqual(Array.from({ length: 90 }, (_, i) => 1024 + i));
  });
});

describe('batches', () => {
  it('close at batchRows and carry every flow once', async () => {
    const frames = Array.from({ length: 50 }, (_, i) =>
      udpFrame({ src: '10.1.0.2', dst: '10.1.0.53', srcPort: 2000 + i, dstPort: 53, payload: request }),
    );
    const capture = Capture.openFile(writeCapture(frames), { batchRows: 7 });
    const sizes: number[] = [];
    const ports = new Set<number>();
    for await (const batch of capture) {
      sizes.push(batch.numRows);
      for (const f of flowRecords(batch)) ports.add(f.src_port as number);
    }
    expect(sizes.every((n) => n <= 7)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(50);
    expect(ports.size).toBe(50);
  });
});

describe('options', () => {
  it('refuses a misspelled option and names the right one', () => {
    expect(() => Capture.openFile('x.pcap', { udpIdleTimout: 5 } as never)).toThrow(/unknown option 'udpIdleTimout' \(did you mean 'udpIdleTimeout'\?\)/);
  });

  it('refuses an out-of-range value, naming the option and the range', () => {
    expect(() => Capture.openFile('x.pcap', { maxFlows: 0 })).toThrow(RangeError);
    expect(() => Capture.openFile('x.pcap', { maxFlows: 0 })).toThrow(/'maxFlows' must be an integer from 1/);
    expect(() => Capture.openFile('x.pcap', { tcpIdleTimeout: 'soon' } as never)).toThrow(TypeError);
  });
});
