// TCP (RFC 9293): ports, flags, and the data offset, checked before the
// payload is located.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kTcpMinHeader = 20;

Anomaly tcp(Layer in, Decoded& out) {
  if (in.cap < kTcpMinHeader) return Anomaly::tcp_truncated;
  const uint32_t data_offset = (in.p[12] >> 4) * 4u;
  if (data_offset < kTcpMinHeader || data_offset > in.wire) return Anomaly::tcp_bad_offset;
  if (data_offset > in.cap) return Anomaly::tcp_truncated;
  out.has_ports = true;
  out.src_port = be16(in.p);
  out.dst_port = be16(in.p + 2);
  out.tcp_flags = in.p[13];
  out.payload = in.p + data_offset;
  out.payload_cap = in.cap - data_offset;
  out.payload_len = in.wire - data_offset;
  return Anomaly::ok;
}

}  // namespace mommy::decode
