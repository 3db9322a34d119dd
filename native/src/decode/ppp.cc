// PPPoE session stage (RFC 2516) and the PPP protocol field (RFC 1661).
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kPppoeHeader = 6;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

namespace {
Anomaly ppp_protocol(uint16_t proto, Layer in, Decoded& out) {
  switch (proto) {
    case kPppIpv4: return ipv4(in, out);
    case kPppIpv6: return ipv6(in, out);
    default: return Anomaly::not_ip;  // LCP, IPCP, CHAP, ...
  }
}
}  // namespace

Anomaly pppoe_session(Layer in, Decoded& out) {
  if (in.cap < kPppoeHeader + 2) return Anomaly::pppoe_truncated;
  return ppp_protocol(be16(in.p + kPppoeHeader), in.advance(kPppoeHeader + 2), out);
}

// LINKTYPE_PPP: optional HDLC address/control bytes (FF 03), then the
// protocol field, which may be compressed to one byte (odd low byte).
Anomaly ppp(Layer in, Decoded& out) {
  if (in.cap >= 2 && in.p[0] == 0xFF && in.p[1] == 0x03) in = in.advance(2);
  if (in.cap < 1) return Anomaly::link_truncated;
  if (in.p[0] & 0x01) return ppp_protocol(in.p[0], in.advance(1), out);
  if (in.cap < 2) return Anomaly::link_truncated;
  return ppp_protocol(be16(in.p), in.advance(2), out);
}

}  // namespace mommy::decode
