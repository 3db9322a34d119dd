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
 * (no addresses, IPv6 off), so the only frames on the wire are ours.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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
} from './support/pcap-writer.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'support', 'live-capture-child.mjs');
/** Replay rate, packets per second: slow enough for a loaded CI box, fast enough for a short test. */
const PPS = 2000;

const support = netnsSupport(['tcpreplay']);
if (!support.ok) console.warn(`[live] skipping live capture tests: ${support.reason}`);

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

function canonical(flows: FlowRow[]): string[] {
  return flows.map((f) => CANONICAL.map((k) => `${k}=${String(f[k])}`).join(' ')).sort();
}

async function fileFlows(path: string): Promise<{ flows: FlowRow[]; stats: CaptureStats }> {
  const capture = Capture.openFile(path);
  const flows: FlowRow[] = [];
  for await (const batch of capture) for (const row of batch) flows.push(row.toJSON() as FlowRow);
  return { flows, stats: capture.stats() };
}

// ---- the capturing child -----------------------------------------------------------

interface EndLine {
  stats: CaptureStats;
  stopToEndMs: number | null;
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

/** One live capture running in a child inside the namespace. */
class CaptureChild {
  readonly flows: FlowRow[] = [];
  readonly stderr: string[] = [];
  #proc: ChildProcessWithoutNullStreams;
  #waiters: { type: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  #lines: Record<string, unknown>[] = [];
  #exited: Promise<number | null>;

  private constructor(ns: VethNamespace, options: Record<string, unknown>) {
    const [cmd, ...args] = [...ns.prefix(), process.execPath, CHILD, JSON.stringify({ maxSeconds: 30, ...options })];
    this.#proc = spawn(cmd, args, { cwd: dirname(CHILD), stdio: ['pipe', 'pipe', 'pipe'] });
    // A write to a child that already exited must not crash the runner (EPIPE).
    this.#proc.stdin.on('error', () => {});
    this.#exited = new Promise((resolve) => this.#proc.on('close', (code) => resolve(code)));
    this.#proc.stderr.setEncoding('utf8').on('data', (s: string) => this.stderr.push(s));
    createInterface({ input: this.#proc.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      if (line.type === 'flow') this.flows.push(line.flow as FlowRow);
      this.#lines.push(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (w.type !== line.type && !(line.type === 'error' && w.type !== 'stats')) return true;
        w.resolve(line);
        return false;
      });
    });
  }

  /** Waits for the next line of `type` (an error line also answers, except for stats). */
  #next(type: string, ms: number): Promise<Record<string, unknown>> {
    const exited = this.#exited.then((code) => {
      throw new Error(`capture child exited (${code}) before '${type}': ${this.stderr.join('').trim()}`);
    });
    return withTimeout(Promise.race([new Promise<Record<string, unknown>>((resolve) => this.#waiters.push({ type, resolve })), exited]), ms, `'${type}' from the capture child`);
  }

  /** Starts a capture; resolves once it is open, or with the error it reported. */
  static async start(ns: VethNamespace, options: Record<string, unknown>): Promise<CaptureChild | ErrorLine> {
    const child = new CaptureChild(ns, { interface: ns.captureIf, ...options });
    try {
      const line = await child.#next('ready', 15_000);
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

  async stats(): Promise<CaptureStats> {
    const reply = this.#next('stats', 5000);
    this.#proc.stdin.write('stats\n');
    return (await reply).stats as CaptureStats;
  }

  /** stop(), then waits for the iteration to end. */
  async stop(): Promise<EndLine> {
    const end = this.#next('end', 10_000);
    this.#proc.stdin.write('stop\n');
    const line = await end;
    await withTimeout(this.#exited, 5000, 'capture child exit');
    return line as unknown as EndLine;
  }

  /** Polls stats until `packets` reaches `n` (the kernel may still hold frames in its ring). */
  async waitForPackets(n: number, ms = 5000): Promise<CaptureStats> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.stats();
      if (s.packets >= n || Date.now() > deadline) return s;
      await sleep(50);
    }
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
 * Captures while `file` is replayed, then stops; returns the child's flows and
 * end line. `expectPackets` (default: every frame sent) is what the capture
 * should read before it is stopped, e.g. fewer behind a filter.
 */
async function captureReplay(ns: VethNamespace, file: string, options: Record<string, unknown> = {}, expectPackets?: number) {
  const child = await CaptureChild.start(ns, options);
  if (!(child instanceof CaptureChild)) throw new Error(`openLive failed: ${child.code}: ${child.message}`);
  try {
    const sent = await replay(ns, file);
    // TPACKET_V3 hands a block to user space when it is full or its timer
    // (the 100 ms read timeout) fires, so wait until the frames were read.
    const seen = await child.waitForPackets(expectPackets ?? sent);
    const end = await child.stop();
    return { sent, seen, end, flows: child.flows };
  } finally {
    await child.kill();
  }
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
    expect(end.stats.packets).toBeGreaterThanOrEqual(sent);
    expect(end.stats.decoded).toBe(expectedStats.decoded);
    expect(end.stats.psDrop).toBe(0);
    expect(end.stats.batchesDropped).toBe(0);
  });

  it('two fanout workers give the same flows as one', async () => {
    const one = await captureReplay(ns, pcap, { workers: 1 });
    const two = await captureReplay(ns, pcap, { workers: 2 });
    expect(canonical(two.flows)).toEqual(canonical(one.flows));
    expect(canonical(two.flows)).toEqual(canonical(expected));
    expect(two.end.stats.psDrop).toBe(0);
    expect(two.end.stats.packets).toBeGreaterThanOrEqual(two.sent);
  });

  it("a BPF filter 'udp' keeps only the UDP flows", async () => {
    const udp = expected.filter((f) => f.proto === 17);
    const udpPackets = udp.reduce((n, f) => n + Number(f.pkts_fwd) + Number(f.pkts_rev), 0);
    expect(udp.length).toBeGreaterThan(0);
    const { flows, end } = await captureReplay(ns, pcap, { filter: 'udp' }, udpPackets);
    expect(flows.every((f) => f.proto === 17)).toBe(true);
    expect(canonical(flows)).toEqual(canonical(udp));
    expect(end.stats.packets).toBe(udpPackets);
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

    const child = await CaptureChild.start(ns, { batchInterval: 0.2 });
    if (!(child instanceof CaptureChild)) throw new Error(`openLive failed: ${child.code}: ${child.message}`);
    try {
      const sent = await replay(ns, open);
      expect((await child.waitForPackets(sent)).packets).toBe(sent);
      // Idle: nothing more arrives, and no flow is due to end yet.
      await sleep(500);
      expect(child.flows).toHaveLength(0);
      const end = await child.stop();
      expect(end.stopToEndMs).not.toBeNull();
      expect(end.stopToEndMs!).toBeLessThan(2000);
      expect(child.flows.length).toBe(fromFile.flows.length);
      expect(child.flows.every((f) => f.end_reason === 'eof')).toBe(true);
      expect(canonical(child.flows)).toEqual(canonical(fromFile.flows));
    } finally {
      await child.kill();
    }
  });

  // Known engine problems, reproduced by hand (see the lead's report); turn
  // these into tests when they are fixed.
  it.todo('stop() right after traffic delivers every frame the kernel counted in psRecv (the ring is not drained on stop)');
  it.todo('workers: 2 counts IPv4 fragments like workers: 1 (PACKET_FANOUT_FLAG_DEFRAG hands over reassembled datagrams)');
  it.todo('workers: 2 keeps a flow whose IPv6 packets are partly fragmented in one record');
  it.todo('a foreign socket cannot join a capture\'s fanout group by guessing its id (use PACKET_FANOUT_FLAG_UNIQUEID)');

  // A real capture too, when the shared corpus is present: flows of a
  // capture with real stacks' quirks (options, retransmissions, padding).
  it.skipIf(!haveCorpus)('a corpus capture replays to the same flows as the file', async () => {
    const file = join(CORPUS_PCAPS, 'ndpi_dns-tunnel-iodine.pcap');
    const fromFile = await fileFlows(file);
    const { flows, end, sent } = await captureReplay(ns, file);
    expect(end.stats.psDrop).toBe(0);
    expect(end.stats.packets).toBeGreaterThanOrEqual(sent);
    expect(canonical(flows)).toEqual(canonical(fromFile.flows));
  });
});
