// UDP (RFC 768). The payload length comes from the IP header, not the UDP
// length field, so a lying UDP length cannot point outside the datagram.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kUdpHeader = 8;

Anomaly udp(Layer in, Decoded& out) {
  if (in.cap < kUdpHeader) return Anomaly::udp_truncated;
  out.has_ports = true;
  out.src_port = be16(in.p);
  out.dst_port = be16(in.p + 2);
  out.payload = in.p + kUdpHeader;
  out.payload_cap = in.cap - kUdpHeader;
  out.payload_len = in.wire - kUdpHeader;
  return Anomaly::ok;
}

}  // namespace mommy::decode
