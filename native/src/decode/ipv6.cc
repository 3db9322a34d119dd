// IPv6 (RFC 8200): the fixed header, then the extension-header chain up to the
// transport. The fragment header (44) makes later fragments transport-less, as
// in IPv4. ESP and "no next header" end the chain as protocol-only flows.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kIpv6Header = 40;
constexpr int kMaxExtensionHeaders = 8;

namespace nh {
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kAuth = 51, kDestOpts = 60,
                  kMobility = 135, kHip = 139, kShim6 = 140;
}

Anomaly ipv6(Layer in, Decoded& out) {
  if (in.cap < kIpv6Header) return Anomaly::ipv6_truncated;
  if ((in.p[0] >> 4) != 6) return Anomaly::ipv6_bad_version;
  const uint32_t payload_len = be16(in.p + 4);
  // Payload length 0 means a jumbogram (RFC 2675) or a TSO capture: the frame
  // length stands in for it.
  const uint32_t total = payload_len == 0 ? in.wire : kIpv6Header + payload_len;
  if (total > in.wire) return Anomaly::ipv6_bad_payload_len;

  out.ip_version = 6;
  out.ttl = in.p[7];
  out.ip_bytes = total;
  std::memcpy(out.src, in.p + 8, 16);
  std::memcpy(out.dst, in.p + 24, 16);

  uint8_t next = in.p[6];
  const uint32_t cap = in.cap < total ? in.cap : total;
  Layer rest{in.p + kIpv6Header, cap - kIpv6Header, total - kIpv6Header};

  for (int ext = 0;; ++ext) {
    uint32_t ext_len;
    switch (next) {
      case nh::kHopByHop:
      case nh::kRouting:
      case nh::kDestOpts:
      case nh::kMobility:
      case nh::kHip:
      case nh::kShim6:
        if (rest.cap < 2) return Anomaly::ipv6_ext_truncated;
        ext_len = (static_cast<uint32_t>(rest.p[1]) + 1u) * 8u;
        break;
      case nh::kAuth:
        if (rest.cap < 2) return Anomaly::ipv6_ext_truncated;
        ext_len = (static_cast<uint32_t>(rest.p[1]) + 2u) * 4u;
        break;
      case nh::kFragment: {
        if (rest.cap < 8) return Anomaly::ipv6_ext_truncated;
        const uint16_t offset_flags = be16(rest.p + 2);
        const uint32_t offset = offset_flags & 0xFFF8u;
        const bool more = (offset_flags & 0x0001u) != 0;
        const uint8_t inner = rest.p[0];
        const uint32_t id = be32(rest.p + 4);
        rest = rest.advance(8);
        next = inner;
        // An "atomic fragment" (offset 0, no more) is a whole datagram.
        if (offset == 0 && !more) continue;
        out.fragment = true;
        out.first_fragment = offset == 0;
        out.frag_id = id;
        if (!out.first_fragment) {
          out.proto = next;
          out.payload_len = rest.wire;
          out.payload_cap = rest.cap;
          out.payload = rest.p;
          return Anomaly::ok;
        }
        continue;
      }
      default:
        out.proto = next;
        return out.first_fragment ? first_fragment_transport(next, rest, out) : transport(next, rest, out);
    }
    if (ext >= kMaxExtensionHeaders) return Anomaly::ipv6_too_many_ext;
    if (ext_len > rest.wire) return Anomaly::ipv6_bad_payload_len;
    if (ext_len > rest.cap) return Anomaly::ipv6_ext_truncated;
    next = rest.p[0];
    rest = rest.advance(ext_len);
  }
}

}  // namespace mommy::decode
