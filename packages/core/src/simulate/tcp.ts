/**
 * One TCP connection laid out in time as the capture point sees it:
 * handshake, data in MSS-sized segments paced at the sender's rate and
 * acknowledged every second segment, delayed ACKs that ride on the
 * receiver's next data when it comes soon enough, and FIN or RST teardown.
 *
 * Times are microseconds. Each side has a round trip from the capture
 * point and back (`clientRtt`, `serverRtt`): a side's reaction to what the
 * other sent is seen that long after it.
 * @module
 */
import { TCP, tcpFrame } from '../synth/pcap-writer.js';
import type { Host } from './network.js';
import type { Rng } from './random.js';
import type { Trace } from './trace.js';

export type Side = 'client' | 'server';

/** Ethernet MTU 1500 less 40 bytes of IPv4 and TCP headers (no options). */
const MSS = 1460;
/**
 * Segments of bulk transfers: the capture sees what generic receive
 * offload hands the host, up to 44 segments coalesced into one.
 */
const GRO_SEGMENT = 44 * MSS;
const BULK_FROM = 256 * 1024;
/** A receiver that has nothing to send waits this long before a lone ACK (Linux: 40 ms). */
const DELAYED_ACK = 40_000;

/** Data too large to hold: `length` bytes, `head` first, then `block` over and over. */
export interface BulkPayload {
  length: number;
  head: Uint8Array;
  block: Uint8Array;
}

export interface TcpConnectionOptions {
  client: Host;
  server: Host;
  clientPort: number;
  serverPort: number;
  /** Microseconds from the capture point to the client and back. */
  clientRtt: number;
  serverRtt: number;
  /** Bytes per microsecond each side sends at (12.5: 100 Mbit/s). */
  rate: number;
}

export interface SendOptions {
  /** Microseconds the sender waits (thinks, computes) before sending. */
  after?: number;
}

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');

export class TcpConnection {
  readonly #trace: Trace;
  readonly #o: TcpConnectionOptions;
  readonly #seq: Record<Side, number>;
  readonly #ipId: Record<Side, number>;
  /** Latest frame. */
  #t: number;
  /** The last move, that the next one answers or follows: its time and who made it. */
  #mark: number;
  #lastSender: Side = 'client';
  #pendingAck: { by: Side; at: number } | undefined;

  constructor(trace: Trace, rng: Rng, options: TcpConnectionOptions, at: number) {
    this.#trace = trace;
    this.#o = options;
    this.#t = at;
    this.#mark = at;
    this.#seq = { client: rng.int(0, 0xffffffff), server: rng.int(0, 0xffffffff) };
    this.#ipId = { client: rng.int(0, 0xffff), server: rng.int(0, 0xffff) };
    trace.newFlow();
  }

  /** Time of the latest frame. */
  get time(): number {
    return this.#t;
  }

  #rtt(side: Side): number {
    return side === 'client' ? this.#o.clientRtt : this.#o.serverRtt;
  }

  #frame(from: Side, t: number, flags: number, seq: number, ack: number, payload?: Uint8Array): void {
    const [src, dst] = from === 'client' ? [this.#o.client, this.#o.server] : [this.#o.server, this.#o.client];
    const [srcPort, dstPort] = from === 'client' ? [this.#o.clientPort, this.#o.serverPort] : [this.#o.serverPort, this.#o.clientPort];
    this.#ipId[from] = (this.#ipId[from] + 1) & 0xffff;
    const frame = tcpFrame({
      src: src.ip, dst: dst.ip, srcPort, dstPort, srcMac: src.mac, dstMac: dst.mac, ttl: src.ttl, id: this.#ipId[from],
      seq: seq >>> 0, ack: flags & TCP.ACK ? ack >>> 0 : 0, flags, window: src.window, payload,
    });
    this.#trace.add(t, frame);
    if (t > this.#t) this.#t = t;
  }

  /** A frame with the side's current sequence and acknowledgement numbers. */
  #control(from: Side, t: number, flags: number): void {
    this.#frame(from, t, flags, this.#seq[from], this.#seq[other(from)]);
  }

  /**
   * Sends the lone ACK a receiver still owes when nothing else is sent
   * before it is due. A move before then makes it unneeded: the receiver's
   * own data carries the acknowledgement, and more data or a FIN from the
   * other side is acknowledged together with what came before.
   */
  #settleAck(start: number): void {
    const p = this.#pendingAck;
    this.#pendingAck = undefined;
    if (p && start > p.at) this.#control(p.by, p.at, TCP.ACK);
  }

  /** SYN, SYN-ACK, ACK. */
  connect(): this {
    const t = this.#t;
    this.#control('client', t, TCP.SYN);
    this.#seq.client++;
    this.#control('server', t + this.#o.serverRtt, TCP.SYN | TCP.ACK);
    this.#seq.server++;
    this.#mark = t + this.#o.serverRtt + this.#o.clientRtt;
    this.#control('client', this.#mark, TCP.ACK);
    this.#lastSender = 'client';
    return this;
  }

  /** Time the next move is seen: `from` reacting to the last one, after `after` µs. */
  #next(from: Side, after: number): number {
    return this.#mark + (this.#lastSender === from ? 0 : this.#rtt(from)) + after;
  }

  /** SYN answered by SYN-ACK, which the client resets instead of completing: an open port to a SYN scan. */
  halfOpen(): this {
    const t = this.#t;
    this.#control('client', t, TCP.SYN);
    this.#seq.client++;
    this.#control('server', t + this.#o.serverRtt, TCP.SYN | TCP.ACK);
    this.#seq.server++;
    this.#control('client', t + this.#o.serverRtt + this.#o.clientRtt, TCP.RST);
    return this;
  }

  /** SYN answered by SYN-ACK and `retries` retransmissions of it, the handshake never completed (a spoofed SYN). */
  neverCompleted(retries: number): this {
    const t = this.#t;
    this.#control('client', t, TCP.SYN);
    this.#seq.client++;
    for (let i = 0; i <= retries; i++) this.#control('server', t + this.#o.serverRtt + (2 ** i - 1) * 1e6, TCP.SYN | TCP.ACK);
    return this;
  }

  /** SYN answered by RST-ACK: a closed port. */
  refuse(): this {
    const t = this.#t;
    this.#control('client', t, TCP.SYN);
    this.#seq.client++;
    this.#control('server', t + this.#o.serverRtt, TCP.RST | TCP.ACK);
    return this;
  }

  /** A SYN and `retries` retransmissions, none answered (after 1 s, then doubling, as Linux retries). */
  unanswered(retries = 0): this {
    const t = this.#t;
    for (let i = 0; i <= retries; i++) this.#control('client', t + (2 ** i - 1) * 1e6, TCP.SYN);
    return this;
  }

  /** One message from `from`, in segments, acknowledged by the other side. */
  send(from: Side, payload: Uint8Array | BulkPayload, options: SendOptions = {}): this {
    const to = other(from);
    const start = this.#next(from, options.after ?? 0);
    this.#settleAck(start);
    const length = payload.length;
    const segment = length > BULK_FROM ? GRO_SEGMENT : MSS;
    const rate = this.#o.rate;
    const ack = this.#seq[to];
    let t = start;
    let unacked = 0;
    for (let off = 0; off < length; off += segment) {
      const len = Math.min(segment, length - off);
      const last = off + len >= length;
      this.#frame(from, t, last ? TCP.PSH | TCP.ACK : TCP.ACK, this.#seq[from] + off, ack, slice(payload, off, len));
      if (++unacked === 2 && !last) {
        this.#frame(to, t + this.#rtt(to), TCP.ACK, ack, this.#seq[from] + off + len);
        unacked = 0;
      }
      if (!last) t += len / rate;
    }
    this.#seq[from] = (this.#seq[from] + length) >>> 0;
    this.#mark = t;
    this.#pendingAck = { by: to, at: t + this.#rtt(to) + (unacked === 2 ? 0 : DELAYED_ACK) };
    this.#lastSender = from;
    return this;
  }

  /** FIN from `from`, FIN-ACK back, last ACK. */
  close(from: Side = 'client', after = 0): this {
    const to = other(from);
    const t = this.#next(from, after);
    this.#settleAck(t);
    this.#control(from, t, TCP.FIN | TCP.ACK);
    this.#seq[from]++;
    this.#control(to, t + this.#rtt(to), TCP.FIN | TCP.ACK);
    this.#seq[to]++;
    this.#mark = t + this.#rtt(to) + this.#rtt(from);
    this.#control(from, this.#mark, TCP.ACK);
    this.#lastSender = from;
    return this;
  }

  /** RST-ACK from `from`: an abort. */
  reset(from: Side = 'client', after = 0): this {
    const t = this.#next(from, after);
    this.#settleAck(t);
    this.#control(from, t, TCP.RST | TCP.ACK);
    this.#mark = t;
    this.#lastSender = from;
    return this;
  }
}

/** `len` bytes of the message from `off`. */
function slice(payload: Uint8Array | BulkPayload, off: number, len: number): Uint8Array {
  if (payload instanceof Uint8Array) return payload.subarray(off, off + len);
  const out = new Uint8Array(len);
  let at = 0;
  if (off < payload.head.length) {
    const head = payload.head.subarray(off, off + len);
    out.set(head);
    at = head.length;
  }
  while (at < len) {
    const part = payload.block.subarray(0, len - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
