/**
 * The decoders, one frame at a time, through the addon's test-only
 * decodeFrame: each link type, each encapsulation, and a malformed frame for
 * each anomaly name that the decoder can report.
 */
import { describe, expect, it } from 'vitest';

import { native } from './support/native.js';
import { arpFrame, ipv4Packet, TCP, tcpFrame, tcpSegment, udpDatagram, udpFrame } from '@mommynet/core/synth';

const LT = { NULL: 0, ETHERNET: 1, PPP: 9, RAW: 101, LOOP: 108, SLL: 113, IPV4: 228, IPV6: 229, NFLOG: 239, SLL2: 276, PPI: 192 };

const bytes = (...parts: (number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const be16 = (v: number) => [v >> 8, v & 255];
const le16 = (v: number) => [v & 255, v >> 8];
const le32 = (v: number) => [...le16(v & 0xffff), ...le16(v >>> 16)];
const be32 = (v: number) => [...be16(v >>> 16), ...be16(v & 0xffff)];

const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
const tcpArgs = { src: '192.0.2.1', dst: '198.51.100.7', srcPort: 443, dstPort: 51000, flags: TCP.ACK | TCP.PSH, payload: Uint8Array.of(1, 2, 3) };
const ipv4Tcp = ipv4Packet({ src: tcpArgs.src, dst: tcpArgs.dst, proto: 6, payload: tcpSegment(tcpArgs) });
const ethernet = (ethertype: number, payload: Uint8Array) => bytes(MACS, be16(ethertype), payload);

/** An IPv6 header (+ optional extension headers already in `payload`). */
function ipv6(next: number, payload: Uint8Array, hopLimit = 57): Uint8Array {
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), last];
  return bytes([0x60, 0, 0, 0], be16(payload.length), [next, hopLimit], addr(1), addr(2), payload);
}
const udp6 = udpDatagram({ src: '0.0.0.0', dst: '0.0.0.0', srcPort: 5353, dstPort: 53, payload: Uint8Array.of(9, 9) });

const expectTcp = { status: 'ok', src: '192.0.2.1', dst: '198.51.100.7', proto: 6, srcPort: 443, dstPort: 51000, ipBytes: 43, payloadLen: 3 };

describe('link layers', () => {
  it.each([
    ['Ethernet', LT.ETHERNET, ethernet(0x0800, ipv4Tcp)],
    ['raw IP', LT.RAW, ipv4Tcp],
    ['LINKTYPE_IPV4', LT.IPV4, ipv4Tcp],
    ['Linux SLL', LT.SLL, bytes([0, 0, 0, 1, 0, 6], MACS.slice(0, 6), [0, 0], be16(0x0800), ipv4Tcp)],
    ['Linux SLL2', LT.SLL2, bytes(be16(0x0800), [0, 0], be32(2), [0, 1, 0, 6], MACS.slice(0, 6), [0, 0], ipv4Tcp)],
    ['BSD null, little-endian family', LT.NULL, bytes(le32(2), ipv4Tcp)],
    ['BSD null, big-endian family', LT.NULL, bytes(be32(2), ipv4Tcp)],
    ['OpenBSD loop', LT.LOOP, bytes(be32(2), ipv4Tcp)],
    ['PPP with HDLC framing', LT.PPP, bytes([0xff, 0x03], be16(0x0021), ipv4Tcp)],
    ['PPPoE session', LT.ETHERNET, ethernet(0x8864, bytes([0x11, 0, 0, 1], be16(ipv4Tcp.length + 2), be16(0x0021), ipv4Tcp))],
    ['MPLS, two labels', LT.ETHERNET, ethernet(0x8847, bytes([0, 0x10, 0x00, 64, 0, 0x20, 0x01, 64], ipv4Tcp))],
    ['NFLOG', LT.NFLOG, bytes([2, 0, 0, 0], le16(8), le16(1), [8, 0, 0, 0], le16(4 + ipv4Tcp.length), le16(9), ipv4Tcp)],
    ['PPI around Ethernet', LT.PPI, bytes([0, 0], le16(8), le32(1), ethernet(0x0800, ipv4Tcp))],
  ])('%s', (_name, linktype, frame) => {
    expect(native.decodeFrame(linktype, frame)).toMatchObject(expectTcp);
  });

  it('reads 802.1Q and stacked 802.1ad tags into vlan and inner_vlan', () => {
    const single = ethernet(0x8100, bytes(be16(0x2000 | 100), be16(0x0800), ipv4Tcp));
    expect(native.decodeFrame(LT.ETHERNET, single)).toMatchObject({ ...expectTcp, vlan: 100, innerVlan: 0 });
    const qinq = ethernet(0x88a8, bytes(be16(200), be16(0x8100), be16(300), be16(0x0800), ipv4Tcp));
    expect(native.decodeFrame(LT.ETHERNET, qinq)).toMatchObject({ ...expectTcp, vlan: 200, innerVlan: 300 });
  });

  it('takes sizes from the IP header, not from Ethernet padding', () => {
    const frame = udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2 }); // padded to 60 bytes
    expect(frame.length).toBe(60);
    expect(native.decodeFrame(LT.ETHERNET, frame)).toMatchObject({ ipBytes: 28, payloadLen: 0 });
  });

  it('ends a UDP payload where the UDP length says when that is inside the IP datagram', () => {
    const frame = udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1024, dstPort: 53, payload: new Uint8Array(35).fill(7) });
    const withLength = (length: number) => {
      const f = frame.slice();
      f.set(be16(length), 14 + 20 + 4);
      return f;
    };
    // The IP datagram holds 35 bytes after the UDP header, the UDP length claims 0 or 12 of them.
    expect(native.decodeFrame(LT.ETHERNET, withLength(8))).toMatchObject({ ipBytes: 63, payloadLen: 0, payloadCaptured: 0 });
    expect(native.decodeFrame(LT.ETHERNET, withLength(20))).toMatchObject({ ipBytes: 63, payloadLen: 12, payloadCaptured: 12 });
    // A length past the datagram's end, or shorter than the header, is not believed.
    expect(native.decodeFrame(LT.ETHERNET, withLength(500))).toMatchObject({ payloadLen: 35, payloadCaptured: 35 });
    expect(native.decodeFrame(LT.ETHERNET, withLength(3))).toMatchObject({ payloadLen: 35, payloadCaptured: 35 });
    // Cut by the snapshot length inside the shortened datagram: what was captured of it.
    expect(native.decodeFrame(LT.ETHERNET, withLength(20).subarray(0, 14 + 28 + 5), 14 + 63)).toMatchObject({ payloadLen: 12, payloadCaptured: 5 });
  });

  it('counts the bytes on the wire of a frame cut by the snapshot length', () => {
    const frame = tcpFrame({ ...tcpArgs, payload: new Uint8Array(1000) });
    const cut = frame.subarray(0, 100);
    expect(native.decodeFrame(LT.ETHERNET, cut, frame.length)).toMatchObject({ ipBytes: 1040, payloadLen: 1000, payloadCaptured: 46 });
  });
});

describe('IPv6', () => {
  it('follows the extension-header chain to the transport', () => {
    const hopByHop = bytes([60, 0, 1, 4, 0, 0, 0, 0]); // next: destination options
    const destOpts = bytes([17, 0, 1, 4, 0, 0, 0, 0]); // next: UDP
    expect(native.decodeFrame(LT.IPV6, ipv6(0, bytes(hopByHop, destOpts, udp6)))).toMatchObject({
      status: 'ok', ipVersion: 6, proto: 17, srcPort: 5353, dstPort: 53, ttl: 57, src: '2001:db8::1', dst: '2001:db8::2',
    });
  });

  it('marks fragments: the first carries ports, later ones none', () => {
    const first = bytes([17, 0], be16(0x0001), be32(77), udp6);
    expect(native.decodeFrame(LT.IPV6, ipv6(44, first))).toMatchObject({ fragment: true, firstFragment: true, srcPort: 5353, hasPorts: true });
    const later = bytes([17, 0], be16(0x0010), be32(77), [1, 2, 3, 4]);
    expect(native.decodeFrame(LT.IPV6, ipv6(44, later))).toMatchObject({ fragment: true, firstFragment: false, hasPorts: false, proto: 17 });
  });

  it('treats an atomic fragment as a whole datagram', () => {
    const atomic = bytes([17, 0], be16(0), be32(5), udp6);
    expect(native.decodeFrame(LT.IPV6, ipv6(44, atomic))).toMatchObject({ fragment: false, srcPort: 5353 });
  });
});

describe('IPv4 fragments', () => {
  it('accepts a first fragment that holds only the ports', () => {
    const seg = tcpSegment(tcpArgs).subarray(0, 8);
    const ip = ipv4Packet({ src: tcpArgs.src, dst: tcpArgs.dst, proto: 6, payload: seg, df: false });
    const v = new DataView(ip.buffer, ip.byteOffset);
    v.setUint16(6, 0x2000); // more fragments, offset 0
    expect(native.decodeFrame(LT.RAW, ip)).toMatchObject({ status: 'ok', fragment: true, firstFragment: true, srcPort: 443, hasPorts: true });
  });
});

describe('ARP', () => {
  it('reads a request and a reply as a packet from the sender to the target address', () => {
    const request = arpFrame({ op: 'request', sender: '192.168.7.200', target: '192.168.7.1' });
    expect(native.decodeFrame(LT.ETHERNET, request)).toMatchObject({ status: 'ok', arp: true, src: '192.168.7.200', dst: '192.168.7.1', proto: 0, hasPorts: false, ipBytes: 28 });
    const reply = arpFrame({ op: 'reply', sender: '192.168.7.1', target: '192.168.7.200' });
    expect(native.decodeFrame(LT.ETHERNET, reply)).toMatchObject({ status: 'ok', arp: true, src: '192.168.7.1', dst: '192.168.7.200' });
    // Behind a VLAN tag too; RARP (operation 3) is not IP.
    expect(native.decodeFrame(LT.ETHERNET, ethernet(0x8100, bytes([0, 5, 8, 6], request.subarray(14))))).toMatchObject({ status: 'ok', arp: true, vlan: 5 });
    const rarp = Uint8Array.from(request);
    rarp[14 + 7] = 3;
    expect(native.decodeFrame(LT.ETHERNET, rarp).status).toBe('not_ip');
  });
});

describe('anomalies', () => {
  const ipWith = (patch: (v: DataView, b: Uint8Array) => void, base = ipv4Tcp) => {
    const b = Uint8Array.from(base);
    patch(new DataView(b.buffer), b);
    return b;
  };
  it.each([
    ['unsupported_linktype', 147, ipv4Tcp],
    ['not_ip', LT.ETHERNET, ethernet(0x0806, new Uint8Array(28))], // ARP for another hardware type than Ethernet
    ['arp_truncated', LT.ETHERNET, ethernet(0x0806, Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1))],
    ['link_truncated', LT.ETHERNET, Uint8Array.of(1, 2, 3)],
    ['vlan_truncated', LT.ETHERNET, ethernet(0x8100, Uint8Array.of(0))],
    ['vlan_too_deep', LT.ETHERNET, ethernet(0x8100, bytes(...Array(6).fill([0, 1, 0x81, 0]), [0, 1, 8, 0], ipv4Tcp))],
    ['mpls_truncated', LT.ETHERNET, ethernet(0x8847, Uint8Array.of(0, 0x10))],
    ['mpls_too_deep', LT.ETHERNET, ethernet(0x8847, bytes(...Array(12).fill([0, 0x10, 0, 64])))],
    ['mpls_unknown_payload', LT.ETHERNET, ethernet(0x8847, bytes([0, 0x10, 0x01, 64], [0, 0, 0, 0]))],
    ['pppoe_truncated', LT.ETHERNET, ethernet(0x8864, Uint8Array.of(0x11, 0))],
    ['nflog_malformed', LT.NFLOG, bytes([2, 0, 0, 0], le16(2), le16(1))],
    ['ipv4_truncated', LT.RAW, ipv4Tcp.subarray(0, 12)],
    ['ipv4_bad_version', LT.IPV4, ipWith((_, b) => (b[0] = 0x55))],
    ['ipv4_bad_header_len', LT.RAW, ipWith((_, b) => (b[0] = 0x44))],
    ['ipv4_bad_total_len', LT.RAW, ipWith((v) => v.setUint16(2, 2000))],
    ['ipv6_truncated', LT.IPV6, ipv6(17, udp6).subarray(0, 30)],
    ['ipv6_bad_version', LT.IPV6, ipWith((_, b) => (b[0] = 0x40), ipv6(17, udp6))],
    ['ipv6_bad_payload_len', LT.IPV6, ipWith((v) => v.setUint16(4, 999), ipv6(17, udp6))],
    ['ipv6_ext_truncated', LT.IPV6, ipv6(0, Uint8Array.of(17))],
    ['ipv6_too_many_ext', LT.IPV6, ipv6(60, bytes(...Array(10).fill([60, 0, 1, 4, 0, 0, 0, 0])))],
    ['tcp_truncated', LT.RAW, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: new Uint8Array(10) })],
    ['tcp_bad_offset', LT.RAW, ipWith((_, b) => (b[20 + 12] = 0x20))],
    ['udp_truncated', LT.RAW, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: new Uint8Array(4) })],
    ['sctp_truncated', LT.RAW, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 132, payload: new Uint8Array(8) })],
    ['icmp_truncated', LT.RAW, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1, payload: new Uint8Array(1) })],
  ])('%s', (name, linktype, frame) => {
    expect(native.decodeFrame(linktype as number, frame as Uint8Array).status).toBe(name);
  });

  // A new anomaly name fails this until it gets a case in the table above
  // (fragment_orphan needs the flow table's fragment tracker: see edge tests).
  it('has a case above for every anomaly the addon can report', () => {
    expect(native.anomalies().map((a) => a.name).sort()).toEqual(
      [
        'unsupported_linktype', 'not_ip', 'link_truncated', 'vlan_truncated', 'vlan_too_deep', 'mpls_truncated', 'mpls_too_deep',
        'mpls_unknown_payload', 'pppoe_truncated', 'nflog_malformed', 'ipv4_truncated', 'ipv4_bad_version', 'ipv4_bad_header_len',
        'ipv4_bad_total_len', 'ipv6_truncated', 'ipv6_bad_version', 'ipv6_bad_payload_len', 'ipv6_ext_truncated', 'ipv6_too_many_ext',
        'tcp_truncated', 'tcp_bad_offset', 'udp_truncated', 'sctp_truncated', 'icmp_truncated', 'fragment_orphan', 'arp_truncated',
      ].sort(),
    );
  });
});
