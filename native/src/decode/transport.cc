// IP protocol dispatch. TCP, UDP, SCTP, ICMP and ICMPv6 are decoded; every other
// protocol becomes a protocol-only flow (ports 0) whose payload is the whole
// IP payload.
#include "decode/layers.h"

namespace mommy::decode {

namespace ipproto {
constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58, kSctp = 132;
}

Anomaly transport(uint8_t proto, Layer in, Decoded& out) {
  out.proto = proto;
  switch (proto) {
    case ipproto::kTcp: return tcp(in, out);
    case ipproto::kUdp: return udp(in, out);
    case ipproto::kSctp: return sctp(in, out);
    case ipproto::kIcmp:
    case ipproto::kIcmpv6: return icmp(in, out);
    default:
      out.payload = in.p;
      out.payload_cap = in.cap;
      out.payload_len = in.wire;
      return Anomaly::ok;
  }
}

Anomaly first_fragment_transport(uint8_t proto, Layer in, Decoded& out) {
  const Anomaly full = transport(proto, in, out);
  if (full == Anomaly::ok) return full;
  // A first fragment may end inside the transport header (crafted or tiny
  // MTU): the ports, which is all the flow needs, come first in TCP, UDP and
  // SCTP. Without them the fragment is refused like any short header.
  const bool ported = proto == ipproto::kTcp || proto == ipproto::kUdp || proto == ipproto::kSctp;
  if (!ported || in.cap < 4) return full;
  out.has_ports = true;
  out.src_port = be16(in.p);
  out.dst_port = be16(in.p + 2);
  out.tcp_flags = proto == ipproto::kTcp && in.cap > 13 ? in.p[13] : 0;
  out.payload = nullptr;
  out.payload_cap = 0;
  out.payload_len = 0;
  return Anomaly::ok;
}

}  // namespace mommy::decode
