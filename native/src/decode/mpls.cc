// MPLS label stack (RFC 3032). Nothing after the bottom label says what it
// carries, so, as routers and Wireshark's heuristics do, the IP version nibble
// decides; anything else (pseudowires) is counted as not IP.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kLabel = 4;

Anomaly mpls(Layer in, Decoded& out, int depth) {
  for (int labels = 0;; ++labels) {
    if (labels >= kMaxLinkLayers || depth + labels > kMaxLinkLayers) return Anomaly::mpls_too_deep;
    if (in.cap < kLabel) return Anomaly::mpls_truncated;
    const bool bottom = (in.p[2] & 0x01) != 0;
    in = in.advance(kLabel);
    if (bottom) break;
  }
  if (in.cap < 1) return Anomaly::mpls_truncated;
  switch (in.p[0] >> 4) {
    case 4: return ipv4(in, out);
    case 6: return ipv6(in, out);
    default: return Anomaly::mpls_unknown_payload;
  }
}

}  // namespace mommy::decode
