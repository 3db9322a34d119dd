// ICMP and ICMPv6: type and code stand in for ports, as in Zeek's conn.log
// and Community ID. The payload starts after the 8-byte header.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kIcmpHeader = 8;

Anomaly icmp(Layer in, Decoded& out) {
  if (in.cap < 2) return Anomaly::icmp_truncated;
  out.has_ports = true;
  out.src_port = in.p[0];
  out.dst_port = in.p[1];
  if (in.cap >= kIcmpHeader) {
    out.payload = in.p + kIcmpHeader;
    out.payload_cap = in.cap - kIcmpHeader;
  }
  out.payload_len = in.wire > kIcmpHeader ? in.wire - kIcmpHeader : 0;
  return Anomaly::ok;
}

}  // namespace mommy::decode
