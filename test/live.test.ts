/**
 * Live capture end to end: frames replayed onto a veth pair are captured by
 * Capture.openLive and must give the same flows as Capture.openFile on the
 * same pcap.
 *
 * Isolation: every frame stays inside a network namespace this file creates
 * (both veth ends live in it; nothing is attached to the host's namespace).
 * The capturing code has to run inside that namespace, and a Node process
 * cannot move one of its threads there, so each capture runs in a child
 * started with `ip netns exec <ns> node support/live-capture-child.mjs`,
 * which reports flows and stats as JSON lines. Moving a veth end into the
 * test runner's own namespace would instead put test traffic next to the
 * host's interfaces; a child keeps the runner's namespace untouched.
 *
 * The traffic is a small deterministic capture generated here (TCP, UDP and
 * ICMP conversations, fixed seed), replayed with tcpreplay at a modest fixed
 * rate so a loaded machine does not drop frames. The namespace is kept quiet
 * (no addresses, IPv6 off), so the only frames on the wire are ours. Every
 * capture is stopped as soon as tcpreplay exits: stop() must still hand over
 * every frame the kernel accepted (packets === psRecv === frames sent).
 *
 * Other generated captures cover IPv4 and IPv6 fragments across fanout
 * workers; a Python helper (support/fanout-intruder.py) plays a process that
 * tries to join the capture's fanout group; the child's "threadpool" mode
 * checks that pending next() calls leave libuv's thread pool free.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

import { Capture, CaptureError, type CaptureStats } from '@mommynet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CORPUS_PCAPS, haveCorpus } from './support/corpus.js';
import { createVethNamespace, netnsSupport, type VethNamespace } from './support/netns.js';
import {
  icmpPing,
  interleave,
  PcapWriter,
  randomBytes,
  seededRandom,
  tcpSession,
  udpExchange,
  type TcpSessionOptions,
} from '@mommynet/core/synth';

const SUPPORT = join(dirname(fileURLToPath(import.meta.url)), 'support');
const CHILD = join(SUPPORT, 'live-capture-child.mjs');
const INTRUDER = join(SUPPORT, 'fanout-intruder.py');
/** Replay rate, packets per second: slow enough for a loaded CI box, fast enough for a short test. */
const PPS = 2000;

const support = netnsSupport(['tcpreplay']);
if (!support.ok) console.warn(`[live] skipping live capture tests: ${support.reason}`);
const havePython = spawnSync('python3', ['-c', 'import ctypes, socket; socket.AF_PACKET'], { timeout: 10_000 }).status === 0;
if (support.ok && !havePython) console.warn('[live] skipping the fanout intruder test: python3 with AF_PACKET support is not available');

// ---- the generated traffic -------------------------------------------------------

const CLIENT_MAC = '02:00:5e:00:00:01';
const SERVER_MAC = '02:00:5e:00:00:02';

/** ~350 frames: complete, reset, refused, unanswered and still-open TCP connections, UDP request/response, pings. */
function generateCapture(seed: number): PcapWriter {
  const random = seededRandom(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const conversations: Uint8Array[][] = [];
  let port = 40000;
  const endpoints = (server: number, serverPort: number) => ({
    client: `10.77.0.${pick(2, 250)}`,
    server: `10.77.1.${server}`,
    clientPort: port++,
    serverPort,
    clientMac: CLIENT_MAC,
    serverMac: SERVER_MAC,
  });

  const endings: TcpSessionOptions['ending'][] = [
    ...Array<'fin'>(16).fill('fin'),
    'rst',
    'rst',
    'refused',
    'refused',
    'unanswered',
    'unanswered',
    'open',
    'open',
  ];
  endings.forEach((ending, i) => {
    const exchanges = Array.from({ length: pick(1, 4) }, (_, k) => ({
      fromClient: k % 2 === 0,
      payload: randomBytes(random, pick(1, 1400)),
    }));
    conversations.push(tcpSession({ ...endpoints(1 + (i % 4), [80, 443, 22, 25][i % 4]), ending, exchanges, clientIsn: pick(0, 2 ** 31), serverIsn: pick(0, 2 ** 31) }));
  });
  for (let i = 0; i < 12; i++) {
    const n = pick(1, 3);
    const requests = Array.from({ length: n }, () => randomBytes(random, pick(20, 120)));
    // Every fourth exchange goes unanswered (a one-way flow).
    const responses = i % 4 === 3 ? [] : requests.map(() => randomBytes(random, pick(40, 900)));
    conversations.push(udpExchange({ ...endpoints(53, [53, 123, 5353][i % 3]), requests, responses }));
  }
  for (let i = 0; i < 6; i++) {
    const ep = endpoints(7, 0);
    conversations.push(
      icmpPing({ client: ep.client, server: ep.server, clientMac: CLIENT_MAC, serverMac: SERVER_MAC, identifier: 0x100 + i, count: 3, answered: i === 5 ? 1 : 3, payload: randomBytes(random, 56) }),
    );
  }

  const writer = new PcapWriter();
  // 2024-01-01T00:00:00Z, one frame a millisecond: far inside every timeout.
  for (const { tsMicros, frame } of interleave(conversations, random, 1_704_067_200_000_000, 1000)) writer.add(tsMicros, frame);
  return writer;
}

/** Frames per flow in `flows`, both directions. */
const packetsOf = (flows: FlowRow[]) => flows.reduce((n, f) => n + Number(f.pkts_fwd) + Number(f.pkts_rev), 0);

/**
 * UDP request/response exchanges between many address pairs (so a fanout
 * spreads them over the workers) whose large datagrams go out as IP
 * fragments of at most 1500 bytes. IPv4: requests and responses of up to
 * 4000 bytes, fragmented in both directions. IPv6: small requests and
 * fragmented responses, the case a port-based hash splits (the fragments
 * carry no ports, the requests do).
 */
function generateFragmentCapture(seed: number, family: 4 | 6): { writer: PcapWriter; conversations: number; ipBytes: number } {
  const random = seededRandom(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const conversations: Uint8Array[][] = [];
  const n = 16;
  for (let i = 0; i < n; i++) {
    const client = family === 4 ? `10.78.0.${pick(2, 250)}` : `fd00:78::${pick(2, 0xfffe).toString(16)}`;
    const server = family === 4 ? `10.78.1.${1 + (i % 5)}` : `fd00:78:1::${1 + (i % 5)}`;
    const count = pick(1, 3);
    const requests = Array.from({ length: count }, (_, k) => randomBytes(random, family === 4 && k % 2 === 0 ? pick(1500, 4000) : pick(20, 200)));
    // Every sixth exchange goes unanswered.
    const responses = i % 6 === 5 ? [] : requests.map(() => randomBytes(random, pick(1500, 5000)));
    conversations.push(
      udpExchange({ client, server, clientPort: 41000 + i, serverPort: 5000 + (i % 3), clientMac: CLIENT_MAC, serverMac: SERVER_MAC, requests, responses, mtu: 1500, firstId: i * 16 }),
    );
  }
  const writer = new PcapWriter();
  let ipBytes = 0;
  for (const { tsMicros, frame } of interleave(conversations, random, 1_704_067_200_000_000, 1000)) {
    writer.add(tsMicros, frame);
    // The IP packet's length from its header (frames shorter than 60 bytes are padded).
    const ip = new DataView(frame.buffer, frame.byteOffset + 14);
    ipBytes += family === 4 ? ip.getUint16(2) : 40 + ip.getUint16(4);
  }
  return { writer, conversations: n, ipBytes };
}

/** IP bytes in `flows`, both directions. */
const bytesOf = (flows: FlowRow[]) => flows.reduce((n, f) => n + Number(f.bytes_fwd) + Number(f.bytes_rev), 0);

// ---- flows in canonical form -------------------------------------------------------

type FlowRow = Record<string, unknown>;

/** The fields that must not depend on how the frames were read (no times, no end reason). */
const CANONICAL = [
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  'proto',
  'pkts_fwd',
  'pkts_rev',
  'bytes_fwd',
  'bytes_rev',
  'conn_state',
  'community_id',
] as const;

/** Also the packet sizes: a reassembled datagram would show up there. */
const CANONICAL_SIZES = [...CANONICAL, 'pkt_size_min_fwd', 'pkt_size_max_fwd', 'pkt_size_min_rev', 'pkt_size_max_rev'] as const;

function canonical(flows: FlowRow[], keys: readonly string[] = CANONICAL): string[] {
  return flows.map((f) => keys.map((k) => `${k}=${String(f[k])}`).join(' ')).sort();
}

async function fileFlows(path: string): Promise<{ flows: FlowRow[]; stats: CaptureStats }> {
  const capture = Capture.openFile(path);
  const flows: FlowRow[] = [];
  for await (const batch of capture) for (const row of batch) flows.push(row.toJSON() as FlowRow);
  return { flows, stats: capture.stats() };
}

// ---- the child processes -----------------------------------------------------------

interface EndLine {
  stats: CaptureStats;
  stopToEndMs: number | null;
  /** stats().packets just before stop(). */
  packetsAtStop: number | null;
}
interface ErrorLine {
  name?: string;
  code?: string;
  message: string;
  captureError: boolean;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Line = Record<string, unknown>;

/**
 * A child process inside the namespace that reports JSON lines on stdout and
 * takes commands on stdin, one a line.
 */
class JsonChild {
  readonly stderr: string[] = [];
  readonly #what: string;
  #proc: ChildProcessWithoutNullStreams;
  #waiters: { type: string; resolve: (line: Line) => void }[] = [];
  #exited: Promise<number | null>;

  constructor(ns: VethNamespace, argv: string[], what: string, env?: Record<string, string>) {
    this.#what = what;
    const [cmd, ...args] = [...ns.prefix(), ...argv];
    this.#proc = spawn(cmd, args, { cwd: SUPPORT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    // A write to a child that already exited must not crash the runner (EPIPE).
    this.#proc.stdin.on('error', () => {});
    this.#exited = new Promise((resolve) => this.#proc.on('close', (code) => resolve(code)));
    this.#proc.stderr.setEncoding('utf8').on('data', (s: string) => this.stderr.push(s));
    createInterface({ input: this.#proc.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      this.onLine(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (w.type !== line.type && !(line.type === 'error' && w.type !== 'stats')) return true;
        w.resolve(line);
        return false;
      });
    });
  }

  protected onLine(_line: Line): void {}

  /** Waits for the next line of `type` (an error line also answers, except for stats). */
  waitFor(type: string, ms: number): Promise<Line> {
    const exited = this.#exited.then((code) => {
      throw new Error(`${this.#what} exited (${code}) before '${type}': ${this.stderr.join('').trim()}`);
    });
    return withTimeout(Promise.race([new Promise<Line>((resolve) => this.#waiters.push({ type, resolve })), exited]), ms, `'${type}' from ${this.#what}`);
  }

  write(command: string): void {
    this.#proc.stdin.write(`${command}\n`);
  }

  waitForExit(ms: number): Promise<number | null> {
    return withTimeout(this.#exited, ms, `${this.#what} exit`);
  }

  /** Ends the child for sure (SIGKILL after a grace period). Idempotent. */
  async kill(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    this.#proc.stdin.end();
    this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** One live capture running in a child inside the namespace (support/live-capture-child.mjs). */
class CaptureChild extends JsonChild {
  readonly flows: FlowRow[] = [];

  protected override onLine(line: Line): void {
    if (line.type === 'flow') this.flows.push(line.flow as FlowRow);
  }

  /**
   * Starts a capture; resolves once it is open, or with the error it
   * reported. `env` adds to the child's environment.
   */
  static async start(ns: VethNamespace, options: Record<string, unknown>, env?: Record<string, string>): Promise<CaptureChild | ErrorLine> {
    const child = new CaptureChild(ns, [process.execPath, CHILD, JSON.stringify({ maxSeconds: 30, interface: ns.captureIf, ...options })], 'capture child', env);
    try {
      const line = await child.waitFor('ready', 15_000);
      if (line.type === 'error') {
        await child.kill();
        return line as unknown as ErrorLine;
      }
      return child;
    } catch (err) {
      await child.kill();
      throw err;
    }
  }

  /** Like start(), but an error line throws. */
  static async open(ns: VethNamespace, options: Record<string, unknown>, env?: Record<string, string>): Promise<CaptureChild> {
    const child = await CaptureChild.start(ns, options, env);
    if (!(child instanceof CaptureChild)) throw new Error(`openLive failed: ${child.code}: ${child.message}`);
    return child;
  }

  async stats(): Promise<CaptureStats> {
    const reply = this.waitFor('stats', 5000);
    this.write('stats');
    return (await reply).stats as CaptureStats;
  }

  /** stop(), then waits for the iteration to end. */
  async stop(): Promise<EndLine> {
    const end = this.waitFor('end', 10_000);
    this.write('stop');
    const line = await end;
    if (line.type === 'error') throw new Error(`the capture failed: ${String(line.code)}: ${String(line.message)}`);
    await this.waitForExit(5000);
    return line as unknown as EndLine;
  }
}

interface IntruderReady {
  /** [id, type] of the fanout groups sock_diag showed; null without sock_diag. */
  groups: [number, number][] | null;
  /** Ids it looked at: those, and the ones the kernel handed out last. */
  candidates: number[];
  /** Existing groups that the intruder is now a member of. */
  joined: number[];
  /** Groups whose program the intruder replaced (--steal). */
  stealing: number[];
}

/** support/fanout-intruder.py: a process that joins fanout groups it finds on the interface. */
class Intruder extends JsonChild {
  static async start(ns: VethNamespace, steal = false): Promise<{ intruder: Intruder; ready: IntruderReady }> {
    const intruder = new Intruder(ns, ['python3', INTRUDER, ns.captureIf, ...(steal ? ['--steal'] : [])], 'fanout intruder');
    try {
      const ready = await intruder.waitFor('ready', 15_000);
      if (ready.type !== 'ready') throw new Error(`fanout intruder failed: ${JSON.stringify(ready)}`);
      return { intruder, ready: ready as unknown as IntruderReady };
    } catch (err) {
      await intruder.kill();
      throw err;
    }
  }

  /** Ends it; resolves with the frames each joined group handed it. */
  async stop(): Promise<Record<string, number>> {
    const end = this.waitFor('end', 5000);
    this.write('stop');
    const line = await end;
    await this.waitForExit(5000);
    return line.received as Record<string, number>;
  }
}

/** Sends a pcap from the peer end at a fixed rate; resolves with the number of frames tcpreplay sent. */
function replay(ns: VethNamespace, file: string, pps = PPS): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const [cmd, ...args] = [...ns.prefix(), 'tcpreplay', '-i', ns.sendIf, `--pps=${pps}`, file];
      const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      p.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
      p.on('error', reject);
      p.on('close', (code) => {
        const sent = /Actual: (\d+) packets/.exec(out);
        if (code !== 0 || !sent) reject(new Error(`tcpreplay exited ${code}: ${out.trim()}`));
        else if (/Failed packets:\s+[1-9]/.test(out)) reject(new Error(`tcpreplay failed to send some frames: ${out.trim()}`));
        else resolve(Number(sent[1]));
      });
    }),
    30_000,
    `tcpreplay ${file}`,
  );
}

/**
 * Captures while `file` is replayed and stops the moment tcpreplay exits
 * (no waiting for the kernel to hand over its last, partly filled ring
 * block: stop() has to). Returns the child's flows and end line.
 */
async function captureReplay(ns: VethNamespace, file: string, options: Record<string, unknown> = {}, pps = PPS) {
  const child = await CaptureChild.open(ns, options);
  try {
    const sent = await replay(ns, file, pps);
    const end = await child.stop();
    return { sent, end, flows: child.flows };
  } finally {
    await child.kill();
  }
}

/** What every capture that stopped right after the replay must show: nothing lost, nothing dropped. */
function expectComplete(stats: CaptureStats, packets: number): void {
  expect(stats.packets).toBe(packets);
  expect(stats.psRecv).toBe(stats.packets);
  expect(stats.psDrop).toBe(0);
  expect(stats.batchesDropped).toBe(0);
}

// ---- the tests ---------------------------------------------------------------------

describe.skipIf(!support.ok)('live capture on a veth pair in a private namespace', () => {
  let ns: VethNamespace;
  let dir: string;
  let pcap: string;
  let expected: FlowRow[];
  let expectedStats: CaptureStats;
  let frames: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mommynet-live-'));
    pcap = join(dir, 'generated.pcap');
    const writer = generateCapture(20240101);
    writer.writeFile(pcap);
    frames = writer.count;
    ({ flows: expected, stats: expectedStats } = await fileFlows(pcap));
    ns = createVethNamespace('live');
  });

  afterAll(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the generated capture decodes completely from the file', () => {
    expect(frames).toBeGreaterThan(250);
    expect(expectedStats.packets).toBe(frames);
    expect(expectedStats.skipped).toBe(0);
    expect(new Set(expected.map((f) => f.proto))).toEqual(new Set([1, 6, 17]));
    expect(new Set(expected.map((f) => f.conn_state))).toEqual(new Set(['SF', 'REJ', 'S0', 'S1', 'RSTO', 'OTH']));
  });

  it('replayed frames give the same flows as the file, with no drops', async () => {
    const { sent, end, flows } = await captureReplay(ns, pcap);
    expect(sent).toBe(frames);
    expect(canonical(flows)).toEqual(canonical(expected));
    expectComplete(end.stats, sent);
    expect(end.stats.decoded).toBe(expectedStats.decoded);
  });

  // Regression: stop() used to end the worker at once, losing the frames in
  // the ring block the kernel had not handed over yet (TPACKET_V3 retires a
  // block when it fills or on a 100 ms timer). A 3 ms burst and a stop() the
  // moment tcpreplay exits usually leave the frames in the ring; when the
  // timer happened to fire in between (packetsAtStop === sent), try again, so
  // that at least one run stops with frames still in the kernel's hands.
  it.each([1, 2])('stop() right after a burst delivers every frame the kernel accepted (workers: %i)', async (workers) => {
    const readBeforeStop: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { sent, end, flows } = await captureReplay(ns, pcap, { workers }, 100_000);
      expect(sent).toBe(frames);
      expectComplete(end.stats, sent);
      expect(canonical(flows)).toEqual(canonical(expected));
      readBeforeStop.push(end.packetsAtStop!);
      if (end.packetsAtStop! < sent) break;
    }
    expect(readBeforeStop.at(-1), `frames read before stop(), per attempt: ${readBeforeStop.join(', ')} of ${frames}`).toBeLessThan(frames);
  });

  it('two fanout workers give the same flows as one', async () => {
    const one = await captureReplay(ns, pcap, { workers: 1 });
    const two = await captureReplay(ns, pcap, { workers: 2 });
    expect(canonical(two.flows)).toEqual(canonical(one.flows));
    expect(canonical(two.flows)).toEqual(canonical(expected));
    expectComplete(one.end.stats, one.sent);
    expectComplete(two.end.stats, two.sent);
  });

  /** The file's flows, checked first: every packet decoded, and every fragment a packet of its flow, with its own IP length. */
  async function wholeFile(file: string, packets: number, conversations: number, ipBytes: number) {
    const fromFile = await fileFlows(file);
    expect(fromFile.stats.packets).toBe(packets);
    expect(fromFile.stats.skipped).toBe(0);
    expect(fromFile.flows).toHaveLength(conversations);
    expect(packetsOf(fromFile.flows)).toBe(packets);
    expect(bytesOf(fromFile.flows)).toBe(ipBytes);
    return fromFile;
  }

  // Fanout used to set PACKET_FANOUT_FLAG_DEFRAG: with more than one worker
  // the kernel reassembled IPv4 fragments, so a datagram became one packet
  // larger than the MTU and the counts depended on the worker count.
  it('workers: 2 counts IPv4 fragments like the file and workers: 1', async () => {
    const file = join(dir, 'fragments-v4.pcap');
    const { writer, conversations, ipBytes } = generateFragmentCapture(20240202, 4);
    writer.writeFile(file);
    const fromFile = await wholeFile(file, writer.count, conversations, ipBytes);
    // The capture really is fragmented in both directions, and no IP packet is over 1500 bytes.
    expect(fromFile.flows.some((f) => Number(f.pkt_size_max_fwd) === 1500)).toBe(true);
    expect(fromFile.flows.some((f) => Number(f.pkt_size_max_rev) === 1500)).toBe(true);
    expect(fromFile.flows.every((f) => Number(f.pkt_size_max_fwd) <= 1500 && Number(f.pkt_size_max_rev ?? 0) <= 1500)).toBe(true);

    const one = await captureReplay(ns, file, { workers: 1 });
    const two = await captureReplay(ns, file, { workers: 2 });
    expect(one.sent).toBe(writer.count);
    expectComplete(one.end.stats, one.sent);
    expectComplete(two.end.stats, two.sent);
    expect(two.end.stats.skipped).toBe(0);
    expect(canonical(two.flows, CANONICAL_SIZES)).toEqual(canonical(fromFile.flows, CANONICAL_SIZES));
    expect(canonical(two.flows, CANONICAL_SIZES)).toEqual(canonical(one.flows, CANONICAL_SIZES));
  });

  // IPv6 fragments carry no ports, the unfragmented requests do: a fanout
  // hash over ports used to send them to different workers, and each worker
  // made a record of its own (the fragments of the response orphaned or in a
  // one-way flow).
  it('workers: 2 keeps flows whose IPv6 responses are fragmented in one bidirectional record each', async () => {
    const file = join(dir, 'fragments-v6.pcap');
    const { writer, conversations, ipBytes } = generateFragmentCapture(20240303, 6);
    writer.writeFile(file);
    const fromFile = await wholeFile(file, writer.count, conversations, ipBytes);
    expect(fromFile.flows.every((f) => f.ip_version === 6 && f.proto === 17)).toBe(true);
    // Answered exchanges: each response is 2 to 4 fragments.
    const answered = fromFile.flows.filter((f) => Number(f.pkts_rev) > 0);
    expect(answered.length).toBeGreaterThan(conversations / 2);
    expect(answered.every((f) => Number(f.pkts_rev) >= 2 * Number(f.pkts_fwd) && Number(f.pkt_size_max_rev) <= 1500)).toBe(true);

    const { sent, end, flows } = await captureReplay(ns, file, { workers: 2 });
    expect(sent).toBe(writer.count);
    expectComplete(end.stats, sent);
    expect(end.stats.skipped).toBe(0);
    expect(flows).toHaveLength(conversations);
    expect(canonical(flows, CANONICAL_SIZES)).toEqual(canonical(fromFile.flows, CANONICAL_SIZES));
  });

  // The fanout group id used to come from the pid. Now the kernel assigns it
  // (PACKET_FANOUT_FLAG_UNIQUEID). The intruder looks the id up (sock_diag,
  // and the ids the kernel handed out last), joins as CBPF and as HASH, and
  // counts what the group hands it; the capture must still get every frame.
  // With `steal` it also replaces the group's program (PACKET_FANOUT_DATA).
  async function intruderRun(steal: boolean): Promise<void> {
    const child = await CaptureChild.open(ns, { workers: 2 });
    let intruder: Intruder | undefined;
    try {
      let ready: IntruderReady;
      ({ intruder, ready } = await Intruder.start(ns, steal));
      // It must have found the group to try it: the namespace holds no other.
      if (ready.groups === null) console.warn('[live] sock_diag for packet sockets is unavailable: the intruder only tried the ids the kernel handed out last');
      else {
        expect(ready.groups).toHaveLength(1);
        expect(ready.candidates).toContain(ready.groups[0][0]);
      }
      const sent = await replay(ns, pcap);
      const end = await child.stop();
      const received = await intruder.stop();
      expect(sent).toBe(frames);
      expect(received, `frames the fanout group handed the intruder (joined: ${JSON.stringify(ready.joined)})`).toEqual(
        Object.fromEntries(ready.joined.map((id) => [String(id), 0])),
      );
      expectComplete(end.stats, sent);
      expect(canonical(child.flows)).toEqual(canonical(expected));
    } finally {
      await intruder?.kill();
      await child.kill();
    }
  }

  it.skipIf(!havePython)("a foreign socket trying to join the capture's fanout group takes no frames from it", () => intruderRun(false));

  // A unique id is not a secret: any process with CAP_NET_RAW in the
  // namespace reads it with sock_diag. Had it joined, as a member it could
  // replace the group's program and take every frame unnoticed. The group is
  // created with exactly `workers` places, so the join fails.
  it.skipIf(!havePython)("a foreign socket cannot join the group and replace the fanout program", () => intruderRun(true));

  // Before: next() ran as an AsyncWorker that sat in a thread of libuv's pool
  // until a batch came, so four pending next() calls on idle interfaces
  // stalled every fs call, DNS lookup and zlib job of the process.
  it('pending next() on 5 idle live captures in one process leaves the libuv pool free', async () => {
    const child = await CaptureChild.open(ns, { mode: 'threadpool', captures: 5 }, { UV_THREADPOOL_SIZE: '4' });
    try {
      const line = await child.waitFor('threadpool', 15_000);
      expect(line.type).toBe('threadpool');
      expect(line.pendingBefore).toBe(5);
      expect(line.readFileMs).not.toBeNull();
      expect(line.readFileMs as number).toBeLessThan(1000);
      const end = await child.waitFor('end', 10_000);
      expect(end.type).toBe('end');
      expect((end.stats as CaptureStats).packets).toBe(0);
      expect(await child.waitForExit(5000)).toBe(0);
    } finally {
      await child.kill();
    }
  });

  it("a BPF filter 'udp' keeps only the UDP flows", async () => {
    const udp = expected.filter((f) => f.proto === 17);
    expect(udp.length).toBeGreaterThan(0);
    const { flows, end } = await captureReplay(ns, pcap, { filter: 'udp' });
    expect(flows.every((f) => f.proto === 17)).toBe(true);
    expect(canonical(flows)).toEqual(canonical(udp));
    expectComplete(end.stats, packetsOf(udp));
  });

  it("an invalid filter fails with code 'bad_filter'", async () => {
    const result = await CaptureChild.start(ns, { filter: 'udp and and' });
    expect(result).not.toBeInstanceOf(CaptureChild);
    expect(result).toMatchObject({ captureError: true, name: 'CaptureError', code: 'bad_filter' });
  });

  it("a missing interface fails with code 'no_such_device'", () => {
    // Opens nothing: the name is checked before any socket is bound.
    let error: unknown;
    try {
      Capture.openLive({ interface: `mnnone${process.pid % 1e6}` }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).code).toBe('no_such_device');
  });

  it("stop() on an idle interface ends promptly and delivers open flows as 'eof'", async () => {
    // Only connections that are still open: nothing ends before stop().
    const open = join(dir, 'open.pcap');
    const w = new PcapWriter();
    const base = 1_704_067_200_000_000;
    const frames = [
      ...tcpSession({ client: '10.77.0.9', server: '10.77.1.9', clientPort: 45000, serverPort: 8080, ending: 'open', exchanges: [{ fromClient: true, payload: new Uint8Array(100) }] }),
      ...udpExchange({ client: '10.77.0.9', server: '10.77.1.53', clientPort: 45001, serverPort: 53, requests: [new Uint8Array(30)], responses: [new Uint8Array(90)] }),
      ...icmpPing({ client: '10.77.0.9', server: '10.77.1.7', identifier: 7, count: 2 }),
    ];
    frames.forEach((f, i) => w.add(base + i * 1000, f));
    w.writeFile(open);
    const fromFile = await fileFlows(open);

    const child = await CaptureChild.open(ns, { batchInterval: 0.2 });
    try {
      const sent = await replay(ns, open);
      // Idle: nothing more arrives, and no flow is due to end yet. By now
      // the kernel has handed the frames over (its block timeout is 100 ms).
      await sleep(500);
      expect((await child.stats()).packets).toBe(sent);
      expect(child.flows).toHaveLength(0);
      const end = await child.stop();
      expect(end.stopToEndMs).not.toBeNull();
      expect(end.stopToEndMs!).toBeLessThan(2000);
      expectComplete(end.stats, sent);
      expect(child.flows.length).toBe(fromFile.flows.length);
      expect(child.flows.every((f) => f.end_reason === 'eof')).toBe(true);
      expect(canonical(child.flows)).toEqual(canonical(fromFile.flows));
    } finally {
      await child.kill();
    }
  });

  // A real capture too, when the shared corpus is present: flows of a
  // capture with real stacks' quirks (options, retransmissions, padding).
  it.skipIf(!haveCorpus)('a corpus capture replays to the same flows as the file', async () => {
    const file = join(CORPUS_PCAPS, 'ndpi_dns-tunnel-iodine.pcap');
    const fromFile = await fileFlows(file);
    const { flows, end, sent } = await captureReplay(ns, file);
    expectComplete(end.stats, sent);
    expect(canonical(flows)).toEqual(canonical(fromFile.flows));
  });
});
