/**
 * A small, deterministic pcap writer and frame builders for tests: Ethernet,
 * IPv4 (header checksum filled in) and IPv6, IPv4 and IPv6 fragments, TCP and
 * UDP (checksums over the IPv4 or IPv6 pseudo-header), ICMP echo, plus
 * helpers that lay out whole conversations (TCP handshake, data and FIN; UDP
 * request/response, fragmented above an MTU; ICMP ping) and a seeded random
 * generator, so a test can build the same capture on every run. An address
 * with a ':' in it makes the TCP and UDP builders use IPv6.
 *
 * Frames are padded to the 60-byte Ethernet minimum as a NIC would send them,
 * so the decoder has to take packet sizes from the IP header, not the frame.
 *
 * @example
 * import { PcapWriter, tcpFrame, TCP } from './pcap-writer.js';
 * const w = new PcapWriter();
 * w.add(1_700_000_000_000_000, tcpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, flags: TCP.SYN }));
 * writeFileSync('out.pcap', w.toBuffer());
 * @module
 */
import { concatBytes } from '../bytes.js';
import { writeFileSync } from 'node:fs';

// ---- pcap file ----------------------------------------------------------------

/** LINKTYPE_ETHERNET, the only link type the frame builders produce. */
export const LINKTYPE_ETHERNET = 1;

export interface PcapWriterOptions {
  /** Link type of every frame. Default LINKTYPE_ETHERNET (1). */
  linktype?: number;
  /** Snapshot length written in the header; longer frames are cut to it. Default 262 144. */
  snaplen?: number;
}

interface Record {
  tsMicros: bigint;
  frame: Uint8Array;
  wireLength: number;
}

/** Collects frames and writes a classic little-endian microsecond pcap. */
export class PcapWriter {
  readonly linktype: number;
  readonly snaplen: number;
  #records: Record[] = [];

  constructor(options: PcapWriterOptions = {}) {
    this.linktype = options.linktype ?? LINKTYPE_ETHERNET;
    this.snaplen = options.snaplen ?? 262144;
  }

  /**
   * Appends one frame. `tsMicros` is microseconds since the Unix epoch;
   * `wireLength` (default: the frame's length) lets a test write a frame cut
   * short by the snapshot length.
   */
  add(tsMicros: number | bigint, frame: Uint8Array, wireLength = frame.length): this {
    const ts = BigInt(tsMicros);
    if (ts < 0n) throw new RangeError('tsMicros must not be negative');
    if (wireLength < frame.length) throw new RangeError('wireLength is shorter than the frame');
    this.#records.push({ tsMicros: ts, frame, wireLength });
    return this;
  }

  /** Frames added so far. */
  get count(): number {
    return this.#records.length;
  }

  toBuffer(): Buffer {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeInt32LE(0, 8); // thiszone
    header.writeUInt32LE(0, 12); // sigfigs
    header.writeUInt32LE(this.snaplen, 16);
    header.writeUInt32LE(this.linktype, 20);
    const parts: Buffer[] = [header];
    for (const r of this.#records) {
      const caplen = Math.min(r.frame.length, this.snaplen);
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(Number(r.tsMicros / 1_000_000n), 0);
      rec.writeUInt32LE(Number(r.tsMicros % 1_000_000n), 4);
      rec.writeUInt32LE(caplen, 8);
      rec.writeUInt32LE(r.wireLength, 12);
      parts.push(rec, Buffer.from(r.frame.buffer, r.frame.byteOffset, caplen));
    }
    return Buffer.concat(parts);
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }
}

// ---- byte helpers -------------------------------------------------------------

/** Parses "aa:bb:cc:dd:ee:ff". */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new TypeError(`bad MAC address '${mac}'`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Parses a dotted-quad IPv4 address. */
export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new TypeError(`bad IPv4 address '${ip}'`);
  return Uint8Array.from(parts.map(Number));
}

/** Parses an IPv6 address in the usual text forms ("fd00::1", "fd00:77:0:0:0:0:0:1"; no embedded IPv4). */
export function ipv6Bytes(ip: string): Uint8Array {
  const bad = () => new TypeError(`bad IPv6 address '${ip}'`);
  const halves = ip.split('::');
  if (halves.length > 2) throw bad();
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw bad();
  const all = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw bad();
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = parseInt(g, 16) >>> 8;
    out[2 * i + 1] = parseInt(g, 16) & 0xff;
  });
  return out;
}

const isIpv6 = (ip: string) => ip.includes(':');

/** The Internet checksum (RFC 1071) of the concatenated chunks. */
export function internetChecksum(...chunks: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined; // a byte left over from the previous chunk
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      if (odd === undefined) odd = c[i];
      else {
        sum += (odd << 8) | c[i];
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}


const u16 = (v: number) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
const u32 = (v: number) => Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

// ---- layers -------------------------------------------------------------------

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_ARP = 0x0806;
export const IPPROTO_IPV6_FRAGMENT = 44;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Default addresses: locally administered unicast MACs no real host uses. */
export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';

export interface EthernetOptions {
  srcMac?: string;
  dstMac?: string;
  ethertype: number;
  payload: Uint8Array;
  /** Pad to the 60-byte minimum (without FCS) as a NIC does. Default true. */
  pad?: boolean;
}

export function ethernetFrame(o: EthernetOptions): Uint8Array {
  const frame = concatBytes(macBytes(o.dstMac ?? DEFAULT_DST_MAC), macBytes(o.srcMac ?? DEFAULT_SRC_MAC), u16(o.ethertype), o.payload);
  if ((o.pad ?? true) && frame.length < 60) return concatBytes(frame, new Uint8Array(60 - frame.length));
  return frame;
}

export interface ArpOptions {
  /** 'request' (who has `target`? tell `sender`) or 'reply' (`sender` is at `senderMac`). */
  op: 'request' | 'reply';
  sender: string;
  target: string;
  senderMac?: string;
  /** The target's hardware address: zeros in a request. */
  targetMac?: string;
}

/** An ARP message for IPv4 over Ethernet (RFC 826), broadcast when a request. */
export function arpFrame(o: ArpOptions): Uint8Array {
  const senderMac = o.senderMac ?? DEFAULT_SRC_MAC;
  const targetMac = o.targetMac ?? (o.op === 'request' ? '00:00:00:00:00:00' : DEFAULT_DST_MAC);
  const body = concatBytes(
    u16(1), u16(ETHERTYPE_IPV4), Uint8Array.of(6, 4), u16(o.op === 'request' ? 1 : 2),
    macBytes(senderMac), ipv4Bytes(o.sender), macBytes(targetMac), ipv4Bytes(o.target),
  );
  return ethernetFrame({ srcMac: senderMac, dstMac: o.op === 'request' ? 'ff:ff:ff:ff:ff:ff' : targetMac, ethertype: ETHERTYPE_ARP, payload: body });
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  ttl?: number;
  /** Identification field. Default 0. */
  id?: number;
  tos?: number;
  /** Don't Fragment. Default true. */
  df?: boolean;
}

/** An IPv4 packet (20-byte header, no options) with its header checksum. */
export function ipv4Packet(o: Ipv4Options): Uint8Array {
  const total = 20 + o.payload.length;
  if (total > 0xffff) throw new RangeError('IPv4 packet longer than 65535 bytes');
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  h[0] = 0x45;
  h[1] = o.tos ?? 0;
  v.setUint16(2, total);
  v.setUint16(4, o.id ?? 0);
  v.setUint16(6, (o.df ?? true) ? 0x4000 : 0);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(ipv4Bytes(o.src), 12);
  h.set(ipv4Bytes(o.dst), 16);
  v.setUint16(10, internetChecksum(h));
  return concatBytes(h, o.payload);
}

/**
 * Splits an IPv4 packet made by `ipv4Packet` (20-byte header) into fragments
 * carrying at most `maxPayload` bytes each (rounded down to a multiple of 8),
 * each with its own header checksum. Wrap them with `ethernetFrame`.
 */
export function fragmentIpv4(packet: Uint8Array, maxPayload: number): Uint8Array[] {
  const step = Math.floor(maxPayload / 8) * 8;
  if (step < 8) throw new RangeError('maxPayload must be at least 8');
  const header = packet.subarray(0, 20);
  const body = packet.subarray(20);
  const out: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += step) {
    const chunk = body.subarray(off, off + step);
    const h = Uint8Array.from(header);
    const v = new DataView(h.buffer);
    v.setUint16(2, 20 + chunk.length);
    v.setUint16(6, (off + step < body.length ? 0x2000 : 0) | (off / 8));
    v.setUint16(10, 0);
    v.setUint16(10, internetChecksum(h));
    out.push(concatBytes(h, chunk));
  }
  return out;
}

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Next header (the upper-layer protocol when there are no extension headers). */
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  /** 20-bit flow label. Default 0. */
  flowLabel?: number;
}

/** An IPv6 packet (40-byte header, no extension headers). */
export function ipv6Packet(o: Ipv6Options): Uint8Array {
  if (o.payload.length > 0xffff) throw new RangeError('IPv6 payload longer than 65535 bytes (jumbograms are not built)');
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  v.setUint32(0, (6 << 28) | ((o.flowLabel ?? 0) & 0xfffff));
  v.setUint16(4, o.payload.length);
  h[6] = o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  h.set(ipv6Bytes(o.src), 8);
  h.set(ipv6Bytes(o.dst), 24);
  return concatBytes(h, o.payload);
}

/**
 * Splits an IPv6 packet made by `ipv6Packet` (no extension headers) into
 * fragments (RFC 8200 section 4.5): each is the base header, a fragment
 * header with `identification`, and at most `maxPayload` bytes of the
 * original payload (rounded down to a multiple of 8). Wrap them with
 * `ethernetFrame` and ETHERTYPE_IPV6.
 */
export function fragmentIpv6(packet: Uint8Array, maxPayload: number, identification: number): Uint8Array[] {
  const step = Math.floor(maxPayload / 8) * 8;
  if (step < 8) throw new RangeError('maxPayload must be at least 8');
  const header = packet.subarray(0, 40);
  const nextHeader = header[6];
  const body = packet.subarray(40);
  const out: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += step) {
    const chunk = body.subarray(off, off + step);
    const h = Uint8Array.from(header);
    new DataView(h.buffer).setUint16(4, 8 + chunk.length);
    h[6] = IPPROTO_IPV6_FRAGMENT;
    const more = off + step < body.length ? 1 : 0;
    const frag = concatBytes(Uint8Array.of(nextHeader, 0), u16(off | more), u32(identification >>> 0));
    out.push(concatBytes(h, frag, chunk));
  }
  return out;
}

/** The checksum pseudo-header of RFC 768 (IPv4) or RFC 8200 section 8.1 (IPv6). */
function pseudoHeader(src: string, dst: string, proto: number, length: number): Uint8Array {
  if (isIpv6(src) !== isIpv6(dst)) throw new TypeError(`addresses of different families: '${src}', '${dst}'`);
  if (isIpv6(src)) return concatBytes(ipv6Bytes(src), ipv6Bytes(dst), u32(length), Uint8Array.of(0, 0, 0, proto));
  return concatBytes(ipv4Bytes(src), ipv4Bytes(dst), Uint8Array.of(0, proto), u16(length));
}

/** TCP flag bits. */
export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export interface TcpOptions {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** OR of TCP.* bits. */
  flags: number;
  window?: number;
  payload?: Uint8Array;
}

/** A TCP segment (20-byte header, no options) with its checksum. */
export function tcpSegment(o: TcpOptions): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  v.setUint16(0, o.srcPort);
  v.setUint16(2, o.dstPort);
  v.setUint32(4, (o.seq ?? 0) >>> 0);
  v.setUint32(8, (o.ack ?? 0) >>> 0);
  h[12] = 5 << 4;
  h[13] = o.flags & 0xff;
  v.setUint16(14, o.window ?? 64240);
  const seg = concatBytes(h, payload);
  new DataView(seg.buffer).setUint16(16, internetChecksum(pseudoHeader(o.src, o.dst, IPPROTO_TCP, seg.length), seg));
  return seg;
}

export interface UdpOptions {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
}

/** A UDP datagram with its checksum (0 is sent as 0xffff, as RFC 768 says). */
export function udpDatagram(o: UdpOptions): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const d = concatBytes(u16(o.srcPort), u16(o.dstPort), u16(8 + payload.length), u16(0), payload);
  const sum = internetChecksum(pseudoHeader(o.src, o.dst, IPPROTO_UDP, d.length), d);
  new DataView(d.buffer).setUint16(6, sum === 0 ? 0xffff : sum);
  return d;
}

export interface IcmpEchoOptions {
  src: string;
  dst: string;
  /** false: echo request (type 8); true: echo reply (type 0). */
  reply?: boolean;
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
}

/** An ICMP echo request or reply with its checksum. */
export function icmpEcho(o: IcmpEchoOptions): Uint8Array {
  const m = concatBytes(Uint8Array.of(o.reply ? 0 : 8, 0, 0, 0), u16(o.identifier), u16(o.sequence), o.payload ?? new Uint8Array(0));
  new DataView(m.buffer).setUint16(2, internetChecksum(m));
  return m;
}

// ---- whole frames ---------------------------------------------------------------

/** Layer-2 and IP fields every frame builder accepts besides its own. */
export interface FrameCommon {
  srcMac?: string;
  dstMac?: string;
  ttl?: number;
  id?: number;
}

function ipFrame(c: FrameCommon, src: string, dst: string, proto: number, payload: Uint8Array): Uint8Array {
  if (isIpv6(src))
    return ethernetFrame({ srcMac: c.srcMac, dstMac: c.dstMac, ethertype: ETHERTYPE_IPV6, payload: ipv6Packet({ src, dst, nextHeader: proto, payload, hopLimit: c.ttl }) });
  return ethernetFrame({
    srcMac: c.srcMac,
    dstMac: c.dstMac,
    ethertype: ETHERTYPE_IPV4,
    payload: ipv4Packet({ src, dst, proto, payload, ttl: c.ttl, id: c.id }),
  });
}

export function tcpFrame(o: TcpOptions & FrameCommon): Uint8Array {
  return ipFrame(o, o.src, o.dst, IPPROTO_TCP, tcpSegment(o));
}

export function udpFrame(o: UdpOptions & FrameCommon): Uint8Array {
  return ipFrame(o, o.src, o.dst, IPPROTO_UDP, udpDatagram(o));
}

/**
 * One UDP datagram as the frames a host with link MTU `mtu` sends: one frame
 * when the IP packet fits, else IP fragments of at most `mtu` bytes each
 * (IPv4: DF clear, identification `id`; IPv6: a fragment header with
 * identification `id`). Default MTU 1500.
 */
export function udpFrames(o: UdpOptions & FrameCommon & { mtu?: number }): Uint8Array[] {
  const mtu = o.mtu ?? 1500;
  const datagram = udpDatagram(o);
  const eth = (ethertype: number, payload: Uint8Array) => ethernetFrame({ srcMac: o.srcMac, dstMac: o.dstMac, ethertype, payload });
  if (isIpv6(o.src)) {
    const packet = ipv6Packet({ src: o.src, dst: o.dst, nextHeader: IPPROTO_UDP, payload: datagram, hopLimit: o.ttl });
    if (packet.length <= mtu) return [eth(ETHERTYPE_IPV6, packet)];
    return fragmentIpv6(packet, mtu - 48, o.id ?? 0).map((p) => eth(ETHERTYPE_IPV6, p));
  }
  const fits = 20 + datagram.length <= mtu;
  const packet = ipv4Packet({ src: o.src, dst: o.dst, proto: IPPROTO_UDP, payload: datagram, ttl: o.ttl, id: o.id, df: fits });
  if (fits) return [eth(ETHERTYPE_IPV4, packet)];
  return fragmentIpv4(packet, mtu - 20).map((p) => eth(ETHERTYPE_IPV4, p));
}

export function icmpEchoFrame(o: IcmpEchoOptions & FrameCommon): Uint8Array {
  if (isIpv6(o.src)) throw new TypeError('icmpEchoFrame builds ICMP for IPv4 only (ICMPv6 is not built)');
  return ipFrame(o, o.src, o.dst, IPPROTO_ICMP, icmpEcho(o));
}

// ---- conversations --------------------------------------------------------------

export { seededRandom } from '../random.js';

/** `n` bytes from `random`. */
export function randomBytes(random: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

export interface Endpoints {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  clientMac?: string;
  serverMac?: string;
}

export interface TcpSessionOptions extends Endpoints {
  /** Payloads in order; `fromClient` says who sends each. Every one is ACKed by the other side. */
  exchanges?: { fromClient: boolean; payload: Uint8Array }[];
  /**
   * How it ends: 'fin' (client FIN, server FIN-ACK, client ACK), 'rst' (client RST
   * after the data), 'open' (no teardown), 'refused' (SYN answered by RST-ACK),
   * 'unanswered' (one SYN, nothing back).
   */
  ending?: 'fin' | 'rst' | 'open' | 'refused' | 'unanswered';
  clientIsn?: number;
  serverIsn?: number;
}

/** The frames of one TCP connection, in order, with consistent sequence numbers. */
export function tcpSession(o: TcpSessionOptions): Uint8Array[] {
  const ending = o.ending ?? 'fin';
  let cseq = o.clientIsn ?? 1000;
  let sseq = o.serverIsn ?? 5000;
  const c2s = (flags: number, payload?: Uint8Array) =>
    tcpFrame({ src: o.client, dst: o.server, srcPort: o.clientPort, dstPort: o.serverPort, srcMac: o.clientMac, dstMac: o.serverMac, seq: cseq, ack: flags & TCP.ACK ? sseq : 0, flags, payload });
  const s2c = (flags: number, payload?: Uint8Array) =>
    tcpFrame({ src: o.server, dst: o.client, srcPort: o.serverPort, dstPort: o.clientPort, srcMac: o.serverMac, dstMac: o.clientMac, seq: sseq, ack: flags & TCP.ACK ? cseq : 0, flags, payload });

  const frames: Uint8Array[] = [c2s(TCP.SYN)];
  cseq++;
  if (ending === 'unanswered') return frames;
  if (ending === 'refused') {
    frames.push(s2c(TCP.RST | TCP.ACK));
    return frames;
  }
  frames.push(s2c(TCP.SYN | TCP.ACK));
  sseq++;
  frames.push(c2s(TCP.ACK));
  for (const x of o.exchanges ?? []) {
    if (x.fromClient) {
      frames.push(c2s(TCP.PSH | TCP.ACK, x.payload));
      cseq += x.payload.length;
      frames.push(s2c(TCP.ACK));
    } else {
      frames.push(s2c(TCP.PSH | TCP.ACK, x.payload));
      sseq += x.payload.length;
      frames.push(c2s(TCP.ACK));
    }
  }
  if (ending === 'fin') {
    frames.push(c2s(TCP.FIN | TCP.ACK));
    cseq++;
    frames.push(s2c(TCP.FIN | TCP.ACK));
    sseq++;
    frames.push(c2s(TCP.ACK));
  } else if (ending === 'rst') {
    frames.push(c2s(TCP.RST | TCP.ACK));
  }
  return frames;
}

export interface UdpExchangeOptions extends Endpoints {
  /** Request payloads; each gets a response unless `responses` is false. */
  requests: Uint8Array[];
  /** Response payloads, one per request (missing ones: no response). */
  responses?: Uint8Array[];
  /**
   * Link MTU: datagrams whose IP packet is longer are sent as IP fragments
   * (see `udpFrames`). Default: never fragment.
   */
  mtu?: number;
  /**
   * IP identification of the first datagram; each later one (both
   * directions) takes the next value. Give exchanges between the same two
   * hosts ranges that do not overlap, or their fragments mix. Default 0.
   */
  firstId?: number;
}

/** Request/response pairs over one UDP 5-tuple. */
export function udpExchange(o: UdpExchangeOptions): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let id = o.firstId ?? 0;
  const datagram = (fromClient: boolean, payload: Uint8Array): Uint8Array[] => {
    const ends = fromClient
      ? { src: o.client, dst: o.server, srcPort: o.clientPort, dstPort: o.serverPort, srcMac: o.clientMac, dstMac: o.serverMac }
      : { src: o.server, dst: o.client, srcPort: o.serverPort, dstPort: o.clientPort, srcMac: o.serverMac, dstMac: o.clientMac };
    const thisId = id++ & 0xffff;
    if (o.mtu === undefined) return [udpFrame({ ...ends, payload, id: o.firstId === undefined ? undefined : thisId })];
    return udpFrames({ ...ends, payload, id: thisId, mtu: o.mtu });
  };
  o.requests.forEach((payload, i) => {
    frames.push(...datagram(true, payload));
    const response = o.responses?.[i];
    if (response) frames.push(...datagram(false, response));
  });
  return frames;
}

export interface PingOptions {
  client: string;
  server: string;
  clientMac?: string;
  serverMac?: string;
  identifier: number;
  /** Echo requests sent. */
  count: number;
  /** Requests answered (the first `answered`). Default: all. */
  answered?: number;
  payload?: Uint8Array;
}

/** Echo requests and replies with increasing sequence numbers. */
export function icmpPing(o: PingOptions): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let seq = 1; seq <= o.count; seq++) {
    const common = { identifier: o.identifier, sequence: seq, payload: o.payload };
    frames.push(icmpEchoFrame({ ...common, src: o.client, dst: o.server, srcMac: o.clientMac, dstMac: o.serverMac }));
    if (seq <= (o.answered ?? o.count))
      frames.push(icmpEchoFrame({ ...common, reply: true, src: o.server, dst: o.client, srcMac: o.serverMac, dstMac: o.clientMac }));
  }
  return frames;
}

/**
 * Interleaves conversations at random (keeping each one's own order) and
 * stamps them `stepMicros` apart from `startMicros`.
 */
export function interleave(
  conversations: Uint8Array[][],
  random: () => number,
  startMicros: number,
  stepMicros = 1000,
): { tsMicros: number; frame: Uint8Array }[] {
  const queues = conversations.filter((c) => c.length > 0).map((c) => [...c]);
  const out: { tsMicros: number; frame: Uint8Array }[] = [];
  let t = startMicros;
  while (queues.length > 0) {
    const i = Math.floor(random() * queues.length);
    out.push({ tsMicros: t, frame: queues[i].shift()! });
    t += stepMicros;
    if (queues[i].length === 0) queues.splice(i, 1);
  }
  return out;
}
