// Per-Packet Information (LINKTYPE_PPI): a little-endian header whose length
// and inner link type say where the real frame starts and what it is. Only
// inner Ethernet and raw IP are decoded; 802.11 inside PPI is counted as an
// unsupported link type.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kPpiMinHeader = 8;

Anomaly ppi(Layer in, Decoded& out) {
  if (in.cap < kPpiMinHeader) return Anomaly::link_truncated;
  const uint32_t header_len = le16(in.p + 2);
  const uint32_t inner = le32(in.p + 4);
  if (header_len < kPpiMinHeader) return Anomaly::link_truncated;
  if (header_len > in.cap) return Anomaly::link_truncated;
  const Layer rest = in.advance(header_len);
  switch (inner) {
    case linktype::kEthernet: return ethernet(rest, out);
    case linktype::kRaw: return ip_any(rest, out);
    default: return Anomaly::unsupported_linktype;
  }
}

}  // namespace mommy::decode
