// UDP (RFC 768). The payload ends where the IP header says the datagram
// ends, or earlier where the UDP length field says so (bytes after it are
// not the datagram's, as for tshark and Suricata); a UDP length past the
// end of the IP datagram, or shorter than the header, is not trusted (0 is
// an IPv6 jumbogram's).
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kUdpHeader = 8;

Anomaly udp(Layer in, Decoded& out) {
  if (in.cap < kUdpHeader) return Anomaly::udp_truncated;
  out.has_ports = true;
  out.src_port = be16(in.p);
  out.dst_port = be16(in.p + 2);
  const uint32_t length = be16(in.p + 4);
  const uint32_t datagram = length >= kUdpHeader && length < in.wire ? length : in.wire;
  out.payload = in.p + kUdpHeader;
  out.payload_len = datagram - kUdpHeader;
  out.payload_cap = in.cap < datagram ? in.cap - kUdpHeader : out.payload_len;
  return Anomaly::ok;
}

}  // namespace mommy::decode
