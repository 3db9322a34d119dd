// Linux NFLOG (LINKTYPE_NFLOG): a 4-byte header, then TLVs in host byte order
// (little-endian on every capture seen in practice), each padded to 4 bytes.
// TLV type 9 (NFULA_PAYLOAD) holds the IP packet.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kNflogHeader = 4;
constexpr uint32_t kTlvHeader = 4;
constexpr uint16_t kNfulaPayload = 9;

Anomaly nflog(Layer in, Decoded& out) {
  if (in.cap < kNflogHeader) return Anomaly::link_truncated;
  const uint8_t family = in.p[0];
  in = in.advance(kNflogHeader);
  while (in.cap >= kTlvHeader) {
    const uint16_t len = le16(in.p);
    const uint16_t type = le16(in.p + 2) & 0x7FFF;  // top bit: nested flag
    if (len < kTlvHeader) return Anomaly::nflog_malformed;
    if (type == kNfulaPayload) {
      const uint32_t body = len - kTlvHeader;
      Layer payload = in.advance(kTlvHeader);
      if (payload.cap > body) payload.cap = body;
      payload.wire = body;
      if (family == 2) return ipv4(payload, out);
      if (family == 10) return ipv6(payload, out);
      return ip_any(payload, out);
    }
    const uint32_t padded = (static_cast<uint32_t>(len) + 3u) & ~3u;
    if (padded > in.cap) return Anomaly::link_truncated;
    in = in.advance(padded);
  }
  return Anomaly::link_truncated;
}

}  // namespace mommy::decode
