// IPv4 (RFC 791). Header length and total length come from the packet and are
// checked against the minimum and against the frame before use. Ethernet
// padding beyond the total length is cut off. A total length of 0 is what
// TSO/GRO captures (big TCP) record: the frame length stands in for it.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kIpv4MinHeader = 20;

Anomaly ip_any(Layer in, Decoded& out) {
  if (in.cap < 1) return Anomaly::ipv4_truncated;
  switch (in.p[0] >> 4) {
    case 4: return ipv4(in, out);
    case 6: return ipv6(in, out);
    default: return Anomaly::ipv4_bad_version;
  }
}

Anomaly ipv4(Layer in, Decoded& out) {
  if (in.cap < kIpv4MinHeader) return Anomaly::ipv4_truncated;
  if ((in.p[0] >> 4) != 4) return Anomaly::ipv4_bad_version;
  const uint32_t header_len = (in.p[0] & 0x0Fu) * 4u;
  if (header_len < kIpv4MinHeader || header_len > in.wire) return Anomaly::ipv4_bad_header_len;
  if (header_len > in.cap) return Anomaly::ipv4_truncated;

  uint32_t total = be16(in.p + 2);
  if (total == 0) total = in.wire;
  if (total < header_len || total > in.wire) return Anomaly::ipv4_bad_total_len;

  out.ip_version = 4;
  out.ttl = in.p[8];
  out.proto = in.p[9];
  out.ip_bytes = total;
  std::memcpy(out.src, in.p + 12, 4);
  std::memcpy(out.dst, in.p + 16, 4);

  const uint16_t flags_offset = be16(in.p + 6);
  const uint32_t frag_offset = (flags_offset & 0x1FFFu) * 8u;
  const bool more_fragments = (flags_offset & 0x2000u) != 0;

  const uint32_t cap = in.cap < total ? in.cap : total;
  const Layer body{in.p + header_len, cap - header_len, total - header_len};

  if (frag_offset != 0 || more_fragments) {
    out.fragment = true;
    out.first_fragment = frag_offset == 0;
    out.frag_id = be16(in.p + 4);
    if (!out.first_fragment) {
      // Later fragments carry no transport header: the flow table attributes
      // them to the flow their first fragment opened.
      out.payload_len = body.wire;
      out.payload_cap = body.cap;
      out.payload = body.p;
      return Anomaly::ok;
    }
    return first_fragment_transport(out.proto, body, out);
  }
  return transport(out.proto, body, out);
}

}  // namespace mommy::decode
